"""The static HLS headers (hls_templates/hls/include/frac_*.h) as they are, against the model.

A small C++ driver includes the headers straight from hls_templates/ with a config struct
rendered for a test config, reads commands on stdin and prints results; each test compares them
with the Python definition (fpga_model.digits, reference.brick_product, kernel.check_descriptor,
a bytearray for the DDR window) with ``==``.
"""

from __future__ import annotations

import struct
import subprocess

import numpy as np
import pytest

from codegen._tools import tool
from codegen.csim import CXXFLAGS, ap_types_dir
from codegen.render import TEMPLATE_DIR, template_context, template_env
from fpga_model import ArrayConfig, Descriptor, brick_product, code_range, ring_pairs
from fpga_model.descriptor import DESC_WORDS
from fpga_model.digits import num_digits, pad_bits, prefix_groups, split_digits
from fpga_model.kernel import check_descriptor
from fpga_model.planes import unpack_planes

CFG = ArrayConfig(bits=(2, 3, 5, 16), tiles=(2, 2))
WINDOW_WORDS = 16  # room for a descriptor at byte offset 9 and its ninth beat

DRIVER = r"""
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>

#include "frac_config.h"
#include "include/frac_walker.h"
#include "hls_stream.h"

typedef frac_config CFG;

int main() {
    static frac::word_t window[%(words)d];
    for (int i = 0; i < %(words)d; ++i) {
        window[i] = 0;
    }
    std::string line;
    while (std::getline(std::cin, line)) {
        std::istringstream in(line);
        std::string cmd;
        in >> cmd;
        if (cmd == "D") {  // digits of a code word
            unsigned bits, is_signed, word;
            in >> bits >> is_signed >> word;
            const unsigned d = frac::num_digits(bits);
            const unsigned pad = frac::pad_bits(bits);
            std::printf("%%u %%u", d, pad);
            for (unsigned p = 0; p < d; ++p) {
                const frac::digit_t x = frac::digit_of(word, d, pad, p);
                std::printf(" %%d", int(frac::brick_value(x, is_signed && p == 0)));
            }
            std::printf("\n");
        } else if (cmd == "P") {  // a code from its plane digits (one chunk of K = 16 codes)
            unsigned bits, is_signed, lane;
            in >> bits >> is_signed >> lane;
            const unsigned d = frac::num_digits(bits);
            const unsigned pad = frac::pad_bits(bits);
            long long u = 0;
            for (unsigned p = 0; p < d; ++p) {
                unsigned long long v;
                in >> v;
                u = (u << 2) | int(frac::plane_digit(ap_uint<32>(v), lane, pad && p + 1 == d));
            }
            if (is_signed && ((u >> (2 * d - 1)) & 1)) {
                u -= 1LL << (2 * d);
            }
            std::printf("%%u\n", unsigned((u >> pad) & 0xFFFF));
        } else if (cmd == "B") {  // one brick
            unsigned x, y, sx, sy;
            in >> x >> y >> sx >> sy;
            std::printf("%%d\n", int(frac::brick_product(x, y, sx != 0, sy != 0)));
        } else if (cmd == "S") {  // ring schedule
            unsigned da, db, kp, kq;
            in >> da >> db >> kp >> kq;
            frac::schedule<CFG> s;
            frac::build_schedule<CFG>(da, db, kp, kq, s);
            std::printf("%%u %%u %%u |", s.rings, s.pairs, s.split);
            for (unsigned q = 0; q < s.pairs; ++q) {
                std::printf(" %%u,%%u,%%u", unsigned(s.pa[q]), unsigned(s.pb[q]),
                            unsigned(s.shift[q]));
            }
            std::printf("\n");
        } else if (cmd == "C") {  // descriptor check, from its words placed at a byte offset
            unsigned long long at;
            in >> at;
            for (unsigned w = 0; w < CFG::DESC_BYTES / 4; ++w) {
                unsigned long long v;
                in >> v;
                for (unsigned b = 0; b < 4; ++b) {
                    const unsigned long long a = at + 4 * w + b;
                    window[a / 8].range(8 * (a %% 8) + 7, 8 * (a %% 8)) = (v >> (8 * b)) & 0xFF;
                }
            }
            const frac::descriptor d = frac::read_descriptor<CFG>(window, at);
            std::printf("%%u\n", frac::check_descriptor<CFG>(d));
        } else if (cmd == "F") {  // fill the window with a byte pattern
            for (unsigned a = 0; a < 8 * %(words)d; ++a) {
                window[a / 8].range(8 * (a %% 8) + 7, 8 * (a %% 8)) = (a * 37 + 11) & 0xFF;
            }
        } else if (cmd == "W") {  // pack values of nbits from a byte offset, merge the edges
            unsigned long long addr;
            unsigned nbits, count;
            in >> addr >> nbits >> count;
            frac::bit_packer p;
            frac::packer_open(p, addr);
            for (unsigned i = 0; i < count; ++i) {
                unsigned long long v;
                in >> v;
                frac::packer_put(window, p, ap_uint<64>(v), nbits);
            }
            frac::packer_pad_byte(window, p);
            frac::merge_edge(window, p.head);
            frac::merge_edge(window, frac::packer_close(p));
        } else if (cmd == "R") {  // burst nwords 32-bit words from a byte offset
            unsigned long long addr, nwords;
            in >> addr >> nwords;
            hls::stream<frac::word_t> s;
            frac::burst_pairs(window, addr, nwords, s);
            std::printf("%%u", unsigned(s.size()));
            for (unsigned long long w = 0; w < nwords; ++w) {
                static frac::word_t pair;
                if (w %% 2 == 0) {
                    pair = s.read();
                }
                std::printf(" %%u", unsigned(pair.range(32 * (w %% 2) + 31, 32 * (w %% 2))));
            }
            std::printf("\n");
        } else if (cmd == "X") {  // the window's bytes
            for (unsigned a = 0; a < 8 * %(words)d; ++a) {
                std::printf("%%s%%u", a ? " " : "",
                            unsigned(window[a / 8].range(8 * (a %% 8) + 7, 8 * (a %% 8))));
            }
            std::printf("\n");
        } else if (cmd == "O") {  // the order of a pass's steps
            frac::descriptor d = frac::descriptor();
            unsigned et;
            in >> d.pass >> d.m >> d.n >> d.k >> d.a_bits >> d.b_bits >> et;
            d.early_stop = et != 0;
            const frac::pass_plan<CFG> p = frac::plan_pass<CFG>(d);
            std::printf("%%d %%d %%llu\n", int(p.k_outer), int(p.b_resident),
                        (unsigned long long)p.steps);
        } else if (cmd == "T") {  // adder-tree width and the accumulator width
            std::printf("%%u %%u %%u\n", frac::tree<CFG>::WIDTH, unsigned(CFG::acc_t::width),
                        frac::bits_for(%(probe)d));
        }
    }
    return 0;
}
"""


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    """Compile the driver once; return a function that feeds it lines and returns its lines."""
    work = tmp_path_factory.mktemp("headers")
    ctx = template_context(CFG)
    (work / "frac_config.h").write_text(
        template_env().get_template("hls/frac_config.h.j2").render(**ctx))
    src = work / "driver.cpp"
    src.write_text(DRIVER % {"words": WINDOW_WORDS, "probe": 9 * 16})
    exe = work / "driver"
    run = tool("g++").run([*CXXFLAGS, "-isystem", str(ap_types_dir()), f"-I{work}",
                           f"-I{TEMPLATE_DIR / 'hls'}", str(src), "-o", str(exe)], cwd=work,
                          log_path=work / "build.log")
    assert "warning" not in run.output, run.output

    def ask(lines: list[str]) -> list[str]:
        r = subprocess.run([str(exe)], input="\n".join(lines) + "\n", capture_output=True,
                           text=True, check=True)
        return r.stdout.splitlines()

    return ask


def _words(bits: int, signed: bool) -> list[int]:
    """Every valid code word for narrow widths, a sample for wide ones, and invalid words."""
    lo, hi = code_range(bits, signed)
    rng = np.random.default_rng(bits * 2 + signed)
    valid = list(range(lo, hi + 1)) if bits <= 10 else [
        lo, hi, 0, -1 if signed else 1, *(int(x) for x in rng.integers(lo, hi + 1, 2000))]
    edges = [0x7FFF, 0x8000, 0xFFFF, hi + 1, lo - 1]
    words = [v & 0xFFFF for v in valid + edges] + [int(x) for x in rng.integers(0, 1 << 16, 500)]
    return sorted(set(words))


@pytest.mark.parametrize("bits", range(2, 17))
def test_digits_equal_the_model(driver, bits):
    cases = [(s, w) for s in (0, 1) for w in _words(bits, bool(s))]
    got = driver([f"D {bits} {s} {w}" for s, w in cases])
    assert len(got) == len(cases)
    checked = 0
    for (s, w), line in zip(cases, got, strict=True):
        value = w - (1 << 16) if s and w >= 1 << 15 else w  # sign- or zero-extended word
        lo, hi = code_range(bits, bool(s))
        d, pad, *digits = (int(x) for x in line.split())
        assert (d, pad) == (num_digits(bits), pad_bits(bits))
        if lo <= value <= hi:  # codes come from the planes, so they are always in range
            assert digits == split_digits(value, bits, bool(s)), (bits, s, w)
            checked += 1
    assert checked


@pytest.mark.parametrize("bits", range(2, 17))
def test_plane_reader_equals_the_model(driver, bits):
    """Any plane pattern is a legal code: the C++ reader and unpack_planes agree bit for bit."""
    rng = np.random.default_rng(100 + bits)
    d = num_digits(bits)
    cases = []
    for s in (0, 1):
        for _ in range(40):
            words = [int(x) for x in rng.integers(0, 1 << 32, d, dtype=np.uint64)]
            cases.append((s, int(rng.integers(0, 16)), words))
    got = driver([f"P {bits} {s} {lane} " + " ".join(map(str, w)) for s, lane, w in cases])
    for (s, lane, words), line in zip(cases, got, strict=True):
        raw = np.array(words, dtype="<u4").tobytes()
        want = int(unpack_planes(raw, 0, 1, 16, bits, bool(s))[0, lane])
        assert int(line) == want & 0xFFFF, (bits, s, lane, words)


def test_brick_products_equal_the_model(driver):
    cases = [(x, y, sx, sy) for x in range(4) for y in range(4) for sx in (0, 1) for sy in (0, 1)]
    got = [int(v) for v in driver([f"B {x} {y} {sx} {sy}" for x, y, sx, sy in cases])]
    want = [int(brick_product(x, y, bool(sx), bool(sy))) for x, y, sx, sy in cases]
    assert got == want
    assert min(got) == -6 and max(got) == 9


def test_ring_schedule_equals_ring_pairs(driver):
    """The whole pass (kp = da, kq = db) is ring order; a prefix's pairs come first, each
    group in ring order (digits.prefix_groups)."""
    dmax = CFG.max_digits
    cases = [(da, db, kp, kq) for da in range(1, dmax + 1) for db in range(1, dmax + 1)
             for kp in range(1, da + 1) for kq in range(1, db + 1)]
    got = driver([f"S {da} {db} {kp} {kq}" for da, db, kp, kq in cases])
    for (da, db, kp, kq), line in zip(cases, got, strict=True):
        head, pairs = line.split("|")
        first, rest = prefix_groups(da, db, kp, kq)
        assert [int(x) for x in head.split()] == [max(da, db), da * db, len(first)]
        parsed = [tuple(int(v) for v in item.split(",")) for item in pairs.split()]
        want = [(pa, pb, 2 * ((da - 1 - pa) + (db - 1 - pb))) for pa, pb in first + rest]
        assert parsed == want
        if (kp, kq) == (da, db):
            assert [x[:2] for x in parsed] == [x for ring in ring_pairs(da, db) for x in ring]


def _descriptors(rng: np.random.Generator) -> list[list[int]]:
    base = Descriptor(m=3, n=4, k=5, a_bits=3, b_bits=16, a_addr=64, b_addr=128,
                      stop_ring=1, tau=7).words()
    out = [base]
    tweaks = {
        1: [0, 1, 2, 3, 4, 255, 256 + 2, 0xFFFFFF03],  # pass byte (layer bits above it)
        2: [0, 1, 2, 3, 4, 5, 6, 15, 16, 17, 1 << 31],  # a_bits
        3: [2, 4, 16, 17, 0xFFFFFFFF],  # b_bits
        5: [0, 1], 6: [0, 1], 7: [0, 1, CFG.max_k, CFG.max_k + 1, 0xFFFFFFFF],
        4: [0, 7, 8, 9], 0: [0, 3, 4, 7, 0x14, 0xFFFFFFFF],  # stop ring, flags
        14: [0, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF],  # tau high word
        15: [0, 0x101, 0x0802, 0x0902, 0x0103, 0x0002, 0x0100, 0xFFFF0000, 0x10000],  # prefix
    }
    for idx, values in tweaks.items():
        for v in values:
            w = list(base)
            w[idx] = v
            out.append(w)
    for _ in range(400):
        w = list(base)
        for idx in rng.choice(list(tweaks), size=3, replace=False):
            w[idx] = int(rng.choice(tweaks[idx]))
        out.append(w)
    return out


def _model_check(words: list[int]) -> int:
    """What fpga_model.kernel.run_kernel decides from the fields alone."""
    if (words[1] & 0xFF) > 2:
        return 1
    return check_descriptor(CFG, Descriptor.unpack(struct.pack(f"<{DESC_WORDS}I", *words)))


def test_descriptor_checks_equal_the_model(driver):
    cases = _descriptors(np.random.default_rng(1))
    got = [int(v) for v in driver([f"C {3 * (i % 4)} " + " ".join(map(str, w))
                                   for i, w in enumerate(cases)])]
    want = [_model_check(w) for w in cases]
    assert got == want
    assert set(want) == {0, 1, 2, 3, 4, 5, 6, 7}  # every field check was exercised


def _pattern(size: int) -> bytearray:
    return bytearray((a * 37 + 11) & 0xFF for a in range(size))


def test_packers_write_exactly_their_bytes(driver):
    """Values of 64, 32 and 1 bits packed from any byte offset: whole beats plus two merged
    edges leave every byte outside the buffer as it was (a bytearray says what is right)."""
    rng = np.random.default_rng(2)
    size = 8 * WINDOW_WORDS
    for _ in range(120):
        nbits = int(rng.choice([1, 32, 64]))
        count = int(rng.integers(1, (size - 8) * 8 // nbits + 1))
        addr = int(rng.integers(0, size - -(-count * nbits // 8) + 1))
        values = [int(v) for v in rng.integers(0, 1 << min(nbits, 62), count)]
        want = _pattern(size)
        if nbits == 1:
            packed = np.packbits(np.array(values, dtype=np.uint8), bitorder="little").tobytes()
        else:
            packed = b"".join(v.to_bytes(nbits // 8, "little") for v in values)
        want[addr:addr + len(packed)] = packed
        got = driver(["F", f"W {addr} {nbits} {count} " + " ".join(map(str, values)), "X"])
        assert [int(x) for x in got[0].split()] == list(want), (addr, nbits, count)


def test_bursts_realign_any_byte_offset(driver):
    size = 8 * WINDOW_WORDS
    mem = _pattern(size)
    lines, want = [], []
    for addr in range(0, 24):
        for nwords in (1, 2, 3, 5, 8):
            lines.append(f"R {addr} {nwords}")
            words = np.frombuffer(bytes(mem[addr:addr + 4 * nwords]), dtype="<u4")
            want.append([-(-nwords // 2), *(int(w) for w in words)])
    got = driver(["F", *lines])
    assert [[int(x) for x in line.split()] for line in got] == want


def test_pass_plans_equal_the_cycle_models_orders(driver):
    """frac_plan.h and fpga_model.hls_cycles choose the same order and step count."""
    from fpga_model.hls_cycles import hls_pass_cycles

    shapes = [(0, 131072, 16, 144), (1, 8192, 64, 576), (0, 64, 65536, 576), (2, 144, 16, 131072),
              (2, 576, 64, 8192), (2, 9000, 600, 64), (0, 5, 3, 4000), (2, 5, 3, 4000),
              (1, 100, 70000, 20)]
    lines, want = [], []
    for p, m, n, k in shapes:
        for a, b in ((16, 16), (3, 5)):
            for et in (0, 1):
                lines.append(f"O {p} {m} {n} {k} {a} {b} {et}")
                est = hls_pass_cycles(CFG, m, n, k, a, b, ("fw", "eb", "gc")[p],
                                      stop_ring=0 if et else None)
                want.append((int(est.order == "K outer"), int(est.b_resident), est.steps))
    got = [tuple(int(x) for x in line.split()) for line in driver(lines)]
    assert got == want
    assert {w[:2] for w in want} >= {(1, 1), (0, 1), (0, 0)}  # every order is exercised


def test_tree_and_accumulator_widths(driver):
    tree, acc, probe = (int(v) for v in driver(["T"])[0].split())
    assert acc == CFG.acc_width
    assert probe == (9 * 16).bit_length()
    # the tree holds [-6 * BRICKS, 9 * BRICKS] and no more bits than that needs
    assert -(1 << (tree - 1)) <= -6 * CFG.bricks and 9 * CFG.bricks < (1 << (tree - 1))
    assert 9 * CFG.bricks >= 1 << (tree - 2)
