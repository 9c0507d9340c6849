"""The kernel over a DDR image: results equal gemm, refusals stop the walk with the right code."""

from __future__ import annotations

import numpy as np
import pytest

from fpga_model import ArrayConfig, Descriptor, Pass, gemm
from fpga_model.descriptor import DESC_BYTES
from fpga_model.kernel import run_kernel
from fpga_model.memory import MemoryImage, buffer_spans, read_pass

CFG = ArrayConfig(bits=(3, 4, 8), tiles=(2, 3), max_k=64)


def test_descriptor_round_trip():
    d = Descriptor(m=3, n=4, k=5, a_bits=3, b_bits=8, a_addr=64, b_addr=128, c_addr=192,
                   mask_addr=256, stat_addr=320, a_signed=False, stop_ring=1, tau=(1 << 40) + 7,
                   pass_=Pass.GC, layer=42)
    assert len(d.pack()) == DESC_BYTES and Descriptor.unpack(d.pack()) == d
    plain = Descriptor(m=1, n=1, k=1, a_bits=4, b_bits=4)
    assert Descriptor.unpack(plain.pack()) == plain and not plain.early_stop


def test_list_with_precision_changes_matches_gemm():
    rng = np.random.default_rng(0)
    img = MemoryImage(max_descriptors=4)
    # the last pass takes a relative tau: beta = 0.25 of its prefix maximum
    specs = [(3, 8, True, False, None, None), (8, 4, False, True, 1, 50), (4, 4, True, True, 0, 0),
             (8, 8, True, True, 0, None)]
    ops = []
    for ab, bb, sa, sb, ring, tau in specs:
        rel = 1 << 14 if ab == bb == 8 else None
        lo = -(1 << (ab - 1)) if sa else 0
        a = rng.integers(lo, lo + (1 << ab), (5, 20))
        lo = -(1 << (bb - 1)) if sb else 0
        b = rng.integers(lo, lo + (1 << bb), (20, 4))
        ops.append((img.add_pass(a, b, ab, bb, a_signed=sa, b_signed=sb, stop_ring=ring, tau=tau,
                                 tau_rel=rel), a, b))
    mem = img.to_bytes()
    st = run_kernel(CFG, mem, img.desc_addr, len(img.descriptors))
    assert st.ok and st.error == 0
    total = 0
    for d, a, b in ops:
        r = gemm(CFG, a, b, d.a_bits, d.b_bits, a_signed=d.a_signed, b_signed=d.b_signed,
                 stop_ring=d.stop_ring, tau=d.tau, tau_rel=d.tau_rel)
        got = read_pass(mem, d)
        assert (got.values == r.values).all() and (got.stopped == r.stopped).all()
        assert got.stats == {k: r.counters[k] for k in ("cycles", "digit_products",
                                                        "tile_cycles", "stopped", "prefix_max",
                                                        "tau")}
        if d.tau_rel is not None:  # the STAT record says which threshold the pass derived
            assert got.stats["tau"] == -(-got.stats["prefix_max"] // 4) > 0
            assert 0 < got.stats["stopped"] < d.m * d.n
        total += r.cycles
    assert st.cycles == total


@pytest.mark.parametrize("bad, code", [
    ({"a_bits": 6}, 2), ({"b_bits": 12}, 3), ({"m": 0}, 4), ({"k": 65}, 5), ({"k": 0}, 5),
    ({"stop_ring": 4, "tau": 0}, 6), ({"stop_ring": 0, "tau": 1 << 63}, 6),
])
def test_refused_descriptor_stops_the_walk(bad, code):
    img = MemoryImage(max_descriptors=3)
    first = img.add_pass(np.ones((2, 2)), np.ones((2, 2)), 4, 4)
    fields = {"m": 1, "n": 1, "k": 1, "a_bits": 4, "b_bits": 4, "c_addr": img.alloc(8),
              "mask_addr": img.alloc(1), "stat_addr": img.alloc(32), **bad}
    img.add_descriptor(Descriptor(**fields))
    img.add_pass(np.ones((2, 2)), np.ones((2, 2)), 4, 4)
    mem = img.to_bytes()
    st = run_kernel(CFG, mem, 0, 3)
    assert (st.status, st.error) == (2, code)
    assert st.cycles == read_pass(mem, first).stats["cycles"]  # only the first one ran


def test_out_of_range_code_cannot_be_packed():
    img = MemoryImage(max_descriptors=1)
    with pytest.raises(ValueError, match=r"^A code 8 is out of range \[-8, 7\] for 4-bit signed "
                                         r"operands; quantize to that range first$"):
        img.add_pass(np.full((1, 1), 8), np.ones((1, 1)), 4, 4)  # 8 is not a signed 4-bit code
    img.add_pass(np.full((1, 1), 8), np.ones((1, 1)), 4, 4, a_signed=False)  # fine unsigned
    assert run_kernel(CFG, img.to_bytes(), 0, 1).ok


def test_results_are_int32_only_where_the_bound_allows():
    cfg = ArrayConfig(bits=(8, 16), tiles=(1, 1), max_k=16)
    img = MemoryImage(max_descriptors=3)
    small = img.add_pass(np.full((1, 3), 127), np.full((3, 1), 127), 8, 8)
    big = img.add_pass(np.full((1, 3), 32767), np.full((3, 1), 32767), 16, 16)
    assert not small.c64 and buffer_spans(small)["C"][1] == 4
    assert big.c64 and buffer_spans(big)["C"][1] == 8
    img.add_descriptor(Descriptor(**{**big.__dict__, "c64": False}))  # must be refused: code 7
    mem = img.to_bytes()
    st = run_kernel(cfg, mem, 0, 3)
    assert (st.status, st.error) == (3, 7)
    assert read_pass(mem, small).values.tolist() == [[3 * 127 * 127]]
    assert read_pass(mem, big).values.tolist() == [[3 * 32767 * 32767]]


def test_pad_bits_and_lanes_past_k_are_masked():
    """Every plane pattern is legal: stray pad bits and lanes past K change nothing."""
    rng = np.random.default_rng(4)
    a, b = rng.integers(-4, 4, (3, 5)), rng.integers(0, 8, (5, 2))
    img = MemoryImage(max_descriptors=1)
    d = img.add_pass(a, b, 3, 3, b_signed=False, stop_ring=0, tau=3)
    clean = img.to_bytes()
    dirty = bytearray(clean)
    for addr, lines in ((d.a_addr, d.m), (d.b_addr, d.n)):
        for line in range(lines):  # D = 2 planes of one chunk per line
            word = addr + 4 * (2 * line + 1)  # the bottom plane: set every pad bit
            dirty[word:word + 4] = (int.from_bytes(dirty[word:word + 4], "little")
                                    | 0x55555555).to_bytes(4, "little")
            top = addr + 4 * 2 * line  # lanes 5..15 of the top plane (past K = 5)
            dirty[top + 2] |= 0xFC
            dirty[top + 3] = 0xFF
    assert dirty != clean
    assert run_kernel(CFG, clean, 0, 1).ok and run_kernel(CFG, dirty, 0, 1).ok
    got, want = read_pass(dirty, d), read_pass(clean, d)
    assert (got.values == want.values).all() and (got.stopped == want.stopped).all()
    r = gemm(CFG, a, b, 3, 3, b_signed=False, stop_ring=0, tau=3)
    assert (got.values == r.values).all() and (got.stopped == r.stopped).all()


def test_unsigned_16_bit_words():
    cfg = ArrayConfig(bits=(16,), tiles=(1, 1), max_k=16)
    img = MemoryImage(max_descriptors=1)
    a = np.array([[65535, 1]])
    b = np.array([[2], [3]])
    d = img.add_pass(a, b, 16, 16, a_signed=False, b_signed=False)
    mem = img.to_bytes()
    assert run_kernel(cfg, mem, 0, 1).ok
    assert read_pass(mem, d).values.tolist() == [[65535 * 2 + 3]]
