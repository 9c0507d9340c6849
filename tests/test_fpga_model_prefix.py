"""Asymmetric early-stop prefixes: schedule, prefix property, operand-gated counters, descriptor."""

from dataclasses import replace

import numpy as np
import pytest

from fpga_model import ArrayConfig, ConfigError, Descriptor, gemm, gemm_reference, truncate
from fpga_model.cycles import CYCLE_COSTS as C
from fpga_model.cycles import pass_counters
from fpga_model.digits import prefix_groups, prefix_keep, ring_pairs
from fpga_model.kernel import check_descriptor
from fpga_model.wall import bus_read_bytes

CFG = ArrayConfig(bits=(3, 4, 8, 16), tiles=(2, 3), bricks=4)


@pytest.mark.parametrize("da, db", [(1, 1), (2, 4), (4, 8), (8, 4), (3, 3), (2, 8)])
def test_prefix_groups_split_the_rings(da, db):
    every = [pair for ring in ring_pairs(da, db) for pair in ring]
    for p in range(1, da + 1):
        for q in range(1, db + 1):
            first, rest = prefix_groups(da, db, p, q)
            assert sorted(first + rest) == sorted(every)
            assert set(first) == {(a, b) for a in range(p) for b in range(q)}
            # each group keeps the ring order; the first covers rings 0..max(p, q)-1
            assert list(first) == [x for x in every if x in first]
            assert list(rest) == [x for x in every if x in rest]
            assert max(max(x) for x in first) == max(p, q) - 1
            if rest:  # the rest is a run of whole rings from min(p if p<da, q if q<db)
                start = min(v for v, d in ((p, da), (q, db)) if v < d)
                rings = sorted({max(x) for x in rest})
                assert rings == list(range(start, max(da, db)))
            else:
                assert (p, q) == (da, db)
    # the symmetric stop ring is the square prefix
    for r in range(max(da, db)):
        p, q = prefix_keep(da, db, r)
        first, _ = prefix_groups(da, db, p, q)
        assert list(first) == [x for ring in ring_pairs(da, db)[:r + 1] for x in ring]


@pytest.mark.parametrize("a_bits, b_bits, sa, sb", [(8, 16, False, True), (4, 8, True, True),
                                                    (3, 16, False, True), (16, 4, True, False)])
def test_prefix_property_reference_equals_fast(a_bits, b_bits, sa, sb):
    rng = np.random.default_rng(a_bits * 31 + b_bits)
    m, k, n = 5, 37, 7
    lo_a, hi_a = (-(1 << (a_bits - 1)), 1 << (a_bits - 1)) if sa else (0, 1 << a_bits)
    lo_b, hi_b = (-(1 << (b_bits - 1)), 1 << (b_bits - 1)) if sb else (0, 1 << b_bits)
    a = rng.integers(lo_a, hi_a, (m, k)).astype(np.int32)
    b = rng.integers(lo_b, hi_b, (k, n)).astype(np.int32)
    da, db = CFG.digits(a_bits), CFG.digits(b_bits)
    for p in range(1, da + 1):
        for q in range(1, db + 1):
            pref = truncate(a, a_bits, p).astype(np.int64) @ truncate(b, b_bits, q).astype(np.int64)
            full = a.astype(np.int64) @ b.astype(np.int64)
            tau = int(np.median(np.abs(pref)))
            want = np.where(np.abs(pref) >= tau, pref, full)
            for fn in (gemm, gemm_reference):
                r = fn(CFG, a, b, a_bits, b_bits, a_signed=sa, b_signed=sb, prefix=(p, q),
                       tau=tau)
                assert np.array_equal(np.asarray(r.values), want)
                assert np.array_equal(r.stopped, np.abs(pref) >= tau)
            r0 = gemm(CFG, a, b, a_bits, b_bits, a_signed=sa, b_signed=sb, prefix=(p, q), tau=0)
            assert np.array_equal(np.asarray(r0.values), pref)  # tau 0: every output stops


def test_symmetric_stop_ring_is_the_square_prefix():
    rng = np.random.default_rng(1)
    a = rng.integers(-128, 128, (4, 9)).astype(np.int16)
    b = rng.integers(-8, 8, (9, 5)).astype(np.int16)
    for r in range(4):
        p, q = prefix_keep(4, 2, r)
        x = gemm(CFG, a, b, 8, 4, stop_ring=r, tau=50)
        y = gemm(CFG, a, b, 8, 4, prefix=(p, q), tau=50)
        assert np.array_equal(x.values, y.values) and x.counters == y.counters


def _gated_counters(cfg, m, n, k, a_bits, b_bits, p, q, stopped):
    """Block by block: every valid tile issues the prefix pairs, a running one the rest too;
    the block spends the rest's cycles unless all its outputs stopped."""
    tm, tn = cfg.tiles
    first, full = p * q, cfg.digits(a_bits) * cfg.digits(b_bits)
    chunks = -(-k // cfg.bricks)
    cyc, dp, tc = C.desc, 0, 0
    for r0 in range(0, m, tm):
        for c0 in range(0, n, tn):
            blk = stopped[r0:r0 + tm, c0:c0 + tn]
            pairs = first if blk.all() else full
            cyc += C.block + C.et_check + pairs * chunks
            for s in blk.flat:
                issued = first if s else full
                dp += issued * k
                tc += issued * chunks
    return cyc, dp, tc


@pytest.mark.parametrize("m, n, k", [(5, 7, 9), (4, 6, 33), (1, 1, 1)])
def test_stopped_tiles_are_operand_gated(m, n, k):
    rng = np.random.default_rng(m * n + k)
    for p, q in ((2, 8), (1, 1), (4, 3), (4, 8)):
        for density in (0.0, 0.4, 0.9, 1.0):
            stopped = rng.random((m, n)) < density
            c = pass_counters(CFG, m, n, k, 8, 16, None, stopped, prefix=(p, q))
            assert (c["cycles"], c["digit_products"], c["tile_cycles"]) == \
                _gated_counters(CFG, m, n, k, 8, 16, p, q, stopped)
            assert c["stopped"] == int(stopped.sum())


def test_prefix_descriptor_words_and_checks():
    d = Descriptor(m=2, n=3, k=4, a_bits=8, b_bits=16, a_signed=False, prefix=(2, 8), tau=7)
    assert d.words()[15] == 2 | (8 << 8) and d.early_stop
    assert Descriptor.unpack(d.pack()) == d
    assert check_descriptor(CFG, d) == 0
    for bad in ((0, 1), (5, 1), (1, 9)):
        assert check_descriptor(CFG, Descriptor(m=1, n=1, k=1, a_bits=8, b_bits=16,
                                                prefix=bad, tau=0)) == 6
    sym = Descriptor(m=1, n=1, k=1, a_bits=8, b_bits=16, stop_ring=1, tau=3)
    assert sym.words()[15] == 0 and Descriptor.unpack(sym.pack()) == sym


def test_bad_prefix_requests():
    a = np.zeros((2, 3), dtype=np.int16)
    b = np.zeros((3, 2), dtype=np.int16)
    with pytest.raises(ConfigError, match=r"^prefix \(3, 1\) must be \(p, q\) with 1 <= p <= 2"):
        gemm(CFG, a, b, 4, 8, prefix=(3, 1), tau=0)
    with pytest.raises(ConfigError, match="^early termination takes a stop_ring or a prefix"):
        gemm(CFG, a, b, 4, 8, prefix=(1, 1), stop_ring=0, tau=0)
    with pytest.raises(ConfigError, match="^early termination needs both"):
        gemm_reference(CFG, a, b, 4, 8, prefix=(1, 1))


def test_shared_vectors_carry_asymmetric_prefixes():
    """The early-stop job that C-sim and RTL compare with == holds both kinds of prefix."""
    from codegen.vectors import standard_jobs

    cfg = ArrayConfig(bits=(3, 4, 8, 16), tiles=(2, 3))
    job = next(j for j in standard_jobs(cfg) if j.name == "early-stop")
    kinds = {d.prefix is not None for d in job.descriptors}
    assert kinds == {True, False}
    assert any(d.prefix is not None and d.prefix[0] != d.prefix[1] for d in job.descriptors)


def test_relative_tau_is_this_passs_prefix_maximum():
    rng = np.random.default_rng(4)
    a = rng.integers(0, 256, (6, 40)).astype(np.int32)
    b = rng.integers(-(1 << 15), 1 << 15, (40, 5)).astype(np.int32)
    pref = truncate(a, 8, 2).astype(np.int64) @ b.astype(np.int64)
    rel = 3277  # beta = 0.05
    tau = -(-int(np.abs(pref).max()) * rel // 65536)
    want = gemm(CFG, a, b, 8, 16, a_signed=False, prefix=(2, 8), tau=tau)
    for fn in (gemm, gemm_reference):
        r = fn(CFG, a, b, 8, 16, a_signed=False, prefix=(2, 8), tau_rel=rel)
        assert np.array_equal(np.asarray(r.values), np.asarray(want.values))
        assert np.array_equal(r.stopped, want.stopped) and r.counters["tau"] == tau
        assert r.counters["prefix_max"] == int(np.abs(pref).max())
        # the prefix sweep before the pass: 3 x 2 blocks of 2 x 3 tiles, each with its
        # overheads and 2 x 8 digit pairs over ceil(40 / 4) = 10 chunks, for all 30 outputs;
        # then the threshold's multiply. It reads the operands as a pass without early stop
        # reads them and writes nothing.
        assert want.counters["blocks"] == 6
        sweep = 6 * (C.block + C.et_check + 16 * 10)
        assert r.counters["cycles"] == want.counters["cycles"] + sweep + C.tau_step
        assert r.counters["digit_products"] == want.counters["digit_products"] + 30 * 16 * 40
        assert r.counters["tile_cycles"] == want.counters["tile_cycles"] + 30 * 16 * 10
        reads = 8 * bus_read_bytes(CFG, 6, 5, 40, 8, 16)
        assert r.counters["dram_bits"] == want.counters["dram_bits"] + reads
        assert r.counters["stopped"] == want.counters["stopped"]
    d = Descriptor(m=6, n=5, k=40, a_bits=8, b_bits=16, prefix=(2, 8), tau_rel=rel)
    assert Descriptor.unpack(d.pack()) == d and d.words()[13] == rel
    assert check_descriptor(CFG, d) == 0
    assert check_descriptor(CFG, replace(d, tau_rel=65537)) == 6  # beta above 1
    with pytest.raises(ConfigError, match=r"^tau_rel 70000 must be an integer fraction"):
        gemm(CFG, a, b, 8, 16, a_signed=False, prefix=(2, 8), tau_rel=70000)
