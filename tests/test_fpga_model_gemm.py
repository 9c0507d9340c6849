"""The bit-exact contract: gemm == gemm_reference == numpy int64, and the ring-prefix property."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fpga_model import (AccumulatorOverflow, ArrayConfig, ConfigError, brick_product, code_range,
                        gemm, gemm_reference, truncate)
from fpga_model.digits import kept_digits

ALL = ArrayConfig(bits=tuple(range(2, 13)), tiles=(4, 4))
SIGNS = list(itertools.product([True, False], repeat=2))


def codes(rng, shape, bits, signed, kind="random"):
    lo, hi = code_range(bits, signed)
    if kind == "min":
        return np.full(shape, lo, dtype=np.int16)
    if kind == "max":
        return np.full(shape, hi, dtype=np.int16)
    if kind == "zero":
        return np.zeros(shape, dtype=np.int16)
    return rng.integers(lo, hi + 1, size=shape).astype(np.int16)


def exact(a, b):
    return a.astype(np.int64) @ b.astype(np.int64)


def test_brick_exhaustive():
    for x, y, sx, sy in itertools.product(range(4), range(4), [False, True], [False, True]):
        xv = x - 4 if sx and x >= 2 else x
        yv = y - 4 if sy and y >= 2 else y
        p = int(brick_product(x, y, sx, sy))
        assert p == xv * yv and -6 <= p <= 9  # a 5-bit signed product


@pytest.mark.parametrize("a_bits", range(2, 13))
def test_every_pair_and_sign_random_and_edges(a_bits):
    rng = np.random.default_rng(a_bits)
    for b_bits in range(2, 13):
        for sa, sb in SIGNS:
            # M, N not multiples of the 4x4 grid, K not a multiple of 16
            shapes = [(5, 19, 7), (1, 1, 1), (9, 33, 3)]
            kinds = [("random", "random"), ("min", "min"), ("max", "min"), ("max", "max"),
                     ("zero", "random")]
            for (m, k, n), (ka, kb) in itertools.product(shapes, kinds):
                a = codes(rng, (m, k), a_bits, sa, ka)
                b = codes(rng, (k, n), b_bits, sb, kb)
                want = exact(a, b)
                fast = gemm(ALL, a, b, a_bits, b_bits, a_signed=sa, b_signed=sb)
                # K * max|a| * max|b| < 2^31 here: the values come back as int32
                assert (fast.values == want).all() and fast.values.dtype == np.int32
                if ka == "random" or (m, k, n) == (1, 1, 1):
                    ref = gemm_reference(ALL, a, b, a_bits, b_bits, a_signed=sa, b_signed=sb)
                    assert (ref.values == want).all()
                    assert ref.counters == fast.counters and ref.cycles == fast.cycles
                assert not fast.stopped.any()


@pytest.mark.parametrize("a_bits, b_bits", [(a, b) for a in range(2, 5) for b in range(2, 5)])
@pytest.mark.parametrize("sa, sb", SIGNS)
def test_all_operand_pairs_small_widths(a_bits, b_bits, sa, sb):
    """Every code of A against every code of B (K=1 outer product), both paths."""
    la, ha = code_range(a_bits, sa)
    lb, hb = code_range(b_bits, sb)
    a = np.arange(la, ha + 1, dtype=np.int16)[:, None]
    b = np.arange(lb, hb + 1, dtype=np.int16)[None, :]
    want = exact(a, b)
    ref = gemm_reference(ALL, a, b, a_bits, b_bits, a_signed=sa, b_signed=sb)
    assert (ref.values == want).all()
    assert (gemm(ALL, a, b, a_bits, b_bits, a_signed=sa, b_signed=sb).values == want).all()


@pytest.mark.parametrize("a_bits, b_bits", [(3, 3), (3, 8), (4, 4), (6, 12), (8, 8), (12, 5),
                                            (2, 7), (11, 12)])
@pytest.mark.parametrize("sa, sb", SIGNS)
def test_ring_prefix_every_ring(a_bits, b_bits, sa, sb):
    rng = np.random.default_rng(a_bits * 100 + b_bits)
    a = codes(rng, (9, 37), a_bits, sa)
    b = codes(rng, (37, 6), b_bits, sb)
    rings = max(ALL.digits(a_bits), ALL.digits(b_bits))
    full = exact(a, b)
    for r in range(rings):
        prefix = exact(truncate(a.astype(np.int64), a_bits, kept_digits(r, a_bits)),
                       truncate(b.astype(np.int64), b_bits, kept_digits(r, b_bits)))
        # tau = 0 stops every output: the values are exactly the ring-r prefix
        ref0 = gemm_reference(ALL, a, b, a_bits, b_bits, a_signed=sa, b_signed=sb,
                              stop_ring=r, tau=0)
        assert (ref0.values == prefix).all() and ref0.stopped.all()
        tau = int(np.median(np.abs(prefix)))
        ref = gemm_reference(ALL, a, b, a_bits, b_bits, a_signed=sa, b_signed=sb,
                             stop_ring=r, tau=tau)
        fast = gemm(ALL, a, b, a_bits, b_bits, a_signed=sa, b_signed=sb, stop_ring=r, tau=tau)
        want_stop = np.abs(prefix) >= tau
        assert (ref.stopped == want_stop).all() and (fast.stopped == want_stop).all()
        want = np.where(want_stop, prefix, full)
        assert (ref.values == want).all() and (fast.values == want).all()
        assert ref.counters == fast.counters
    # after the last ring the prefix is the exact product
    assert (prefix == full).all()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), a_bits=st.integers(2, 12), b_bits=st.integers(2, 12),
       m=st.integers(1, 11), k=st.integers(1, 40), n=st.integers(1, 11),
       sa=st.booleans(), sb=st.booleans(), tm=st.integers(1, 5), tn=st.integers(1, 5))
def test_property_fast_equals_reference(data, a_bits, b_bits, m, k, n, sa, sb, tm, tn):
    cfg = ArrayConfig(bits=tuple(sorted({a_bits, b_bits})), tiles=(tm, tn))
    la, ha = code_range(a_bits, sa)
    lb, hb = code_range(b_bits, sb)
    a = np.array(data.draw(st.lists(st.integers(la, ha), min_size=m * k, max_size=m * k)),
                 dtype=np.int16).reshape(m, k)
    b = np.array(data.draw(st.lists(st.integers(lb, hb), min_size=k * n, max_size=k * n)),
                 dtype=np.int16).reshape(k, n)
    et = data.draw(st.booleans())
    kw = {}
    if et:
        rings = max(cfg.digits(a_bits), cfg.digits(b_bits))
        kw = {"stop_ring": data.draw(st.integers(0, rings - 1)),
              "tau": data.draw(st.integers(0, 1 << (a_bits + b_bits)))}
    ref = gemm_reference(cfg, a, b, a_bits, b_bits, a_signed=sa, b_signed=sb, **kw)
    fast = gemm(cfg, a, b, a_bits, b_bits, a_signed=sa, b_signed=sb, **kw)
    assert (ref.values == fast.values).all() and (ref.stopped == fast.stopped).all()
    assert ref.counters == fast.counters
    if not et:
        assert (fast.values == exact(a, b)).all()


def test_torch_operands_give_the_same_numbers():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    a = codes(rng, (20, 50), 6, True)
    b = codes(rng, (50, 9), 8, False)
    want = gemm(ALL, a, b, 6, 8, b_signed=False, stop_ring=1, tau=300)
    got = gemm(ALL, torch.from_numpy(a), torch.from_numpy(b), 6, 8, b_signed=False,
               stop_ring=1, tau=300)
    assert isinstance(got.values, torch.Tensor) and got.values.dtype == torch.int32
    assert (got.values.numpy() == want.values).all() and (got.stopped == want.stopped).all()
    assert got.counters == want.counters


def test_large_k_uses_exact_float64_and_int64_paths():
    cfg = ArrayConfig(bits=(12,), tiles=(2, 2))
    rng = np.random.default_rng(0)
    a = codes(rng, (3, 4096), 12, True, "min")  # every product is 2^22: float32 would round
    b = codes(rng, (4096, 2), 12, True, "min")
    a[0, 0] = 1
    assert (gemm(cfg, a, b, 12, 12).values == exact(a, b)).all()


@pytest.mark.parametrize("kw, message", [
    ({"a_bits": 5}, r"^bit-width 5 is not in the supported set 2,3,4,6,8,12;"),
    ({"stop_ring": 1}, r"^early termination needs both stop_ring and tau \(or neither\)$"),
    ({"stop_ring": 4, "tau": 1}, r"^stop ring 4 is outside 0\.\.3 for the 4x8 pair$"),
    ({"stop_ring": 0, "tau": -1}, r"^tau -1 must be a non-negative integer"),
])
def test_bad_requests(kw, message):
    cfg = ArrayConfig(bits=(2, 3, 4, 6, 8, 12), tiles=(2, 2))
    a = np.zeros((2, 3), dtype=np.int16)
    b = np.zeros((3, 2), dtype=np.int16)
    a_bits = kw.pop("a_bits", 4)
    for fn in (gemm, gemm_reference):
        with pytest.raises(ConfigError, match=message):
            fn(cfg, a, b, a_bits, 8, **kw)


def test_bad_codes_shapes_and_k():
    cfg = ArrayConfig(bits=(4, 8), tiles=(2, 2), max_k=64)
    ok = np.zeros((2, 3), dtype=np.int16)
    with pytest.raises(ConfigError, match=r"^A code 8 is out of range \[-8, 7\] for 4-bit signed"):
        gemm(cfg, np.full((2, 3), 8, dtype=np.int16), ok.T, 4, 8)
    msg = r"^B code -1 is out of range \[0, 255\] for 8-bit unsigned"
    with pytest.raises(ConfigError, match=msg):
        gemm_reference(cfg, ok, -np.ones((3, 2), dtype=np.int16), 4, 8, b_signed=False)
    with pytest.raises(ConfigError, match=r"^inner dimensions differ: A is 2x3, B is 2x2$"):
        gemm(cfg, ok, np.zeros((2, 2), dtype=np.int16), 4, 8)
    with pytest.raises(ConfigError, match=r"^K=65 exceeds the array's max K 64;"):
        gemm(cfg, np.zeros((1, 65), dtype=np.int16), np.zeros((65, 1), dtype=np.int16), 4, 8)
    with pytest.raises(ConfigError, match=r"holds float64 values; pass integer codes"):
        gemm(cfg, np.zeros((2, 3)), ok.T, 4, 8)


def test_accumulator_overflow_is_raised_never_wrapped():
    cfg = ArrayConfig(bits=(8,), tiles=(1, 1), acc_width=18, max_k=2)
    object.__setattr__(cfg, "max_k", 64)  # pretend validation let an unsafe K through
    a = np.full((1, 64), -128, dtype=np.int16)
    b = np.full((64, 1), -128, dtype=np.int16)
    for fn in (gemm, gemm_reference):
        with pytest.raises(AccumulatorOverflow, match="accumulator overflow at ring"):
            fn(cfg, a, b, 8, 8)


@pytest.mark.parametrize("a_dt, b_dt", list(itertools.product([np.int8, np.uint8], repeat=2)))
@pytest.mark.parametrize("kind", ["random", "min", "max", "mixed"])
def test_one_byte_codes_exact_in_every_layout(a_dt, b_dt, kind):
    """int8/uint8 codes (the int8-GEMM path where torch has one) equal int64 products."""
    from fpga_model import exact_matmul, fast

    rng = np.random.default_rng(7)
    cfg = ArrayConfig(tiles=(4, 4))

    def make(shape, dt):
        lo, hi = np.iinfo(dt).min, np.iinfo(dt).max
        x = {"random": rng.integers(lo, hi + 1, shape), "min": np.full(shape, lo),
             "max": np.full(shape, hi),
             "mixed": np.where(rng.random(shape) < 0.5, lo, hi)}[kind]
        return x.astype(dt)

    for m, k, n in [(1, 1, 1), (33, 300, 7), (64, 300, 40), (5, 20000, 9)]:
        a, b = make((m, k), a_dt), make((k, n), b_dt)
        want = exact(a, b)
        for x, y in [(a, b), (np.asfortranarray(a), np.asfortranarray(b)), (a.T.copy().T, b)]:
            got = exact_matmul(x, y, k * 255 * 255)
            assert got.dtype == fast.value_dtype(k * 255 * 255) and (got == want).all()
            r = gemm(cfg, x, y, 8, 8, a_signed=a_dt is np.int8, b_signed=b_dt is np.int8)
            assert (r.values == want).all() and not r.stopped.any()
        if fast._probe_byte_mm():
            assert fast._use_byte_mm(a, b)  # every size takes the int8-GEMM path
    torch = pytest.importorskip("torch")
    got = exact_matmul(torch.from_numpy(a).t().contiguous().t(), torch.from_numpy(b), 1 << 40)
    assert got.dtype == torch.int64 and (got.numpy() == want).all()


@pytest.mark.parametrize("dtype, bits, signed, bad", [
    (np.int8, 6, True, 40), (np.uint8, 6, False, 70), (np.int8, 8, False, -1),
    (np.uint8, 8, True, 200), (np.int16, 8, True, -200), (np.int16, 12, False, -3)])
def test_range_check_scans_unless_the_dtype_fits_the_width(dtype, bits, signed, bad):
    """int8/uint8 at 8 bits cannot hold a bad code; every other dtype/width pair is scanned."""
    cfg = ArrayConfig(bits=(6, 8, 12), tiles=(2, 2))
    a = np.zeros((3, 4), dtype=dtype)
    b = np.ones((4, 2), dtype=np.int8)
    assert (gemm(cfg, a, b, bits, 8, a_signed=signed).values == 0).all()
    a[1, 2] = bad
    with pytest.raises(ConfigError, match=f"A code {bad} is out of range"):
        gemm(cfg, a, b, bits, 8, a_signed=signed)
    full = np.full((3, 4), np.iinfo(np.int8).min if signed else 0, dtype=np.int8)
    if bits == 8 and signed:
        assert (gemm(cfg, full, b, 8, 8).values == exact(full, b)).all()


@pytest.mark.parametrize("dt, fill, k", [(np.int8, -128, 40000), (np.uint8, 255, 40000),
                                         (np.int16, 32767, 3000), (np.int16, -32768, 7)])
def test_values_are_int32_exactly_when_their_bound_fits(dt, fill, k):
    """Long reductions and wide codes whose sums pass 2^31 come back as exact int64."""
    from fpga_model import exact_matmul

    a, b = np.full((16, k), fill, dtype=dt), np.full((k, 2), fill, dtype=dt)
    bound = k * fill * fill  # (16 x 40000) byte codes take the int8-GEMM path where there is one
    want = np.full((16, 2), bound, dtype=np.int64)
    for x, y in ((a, b), (np.asfortranarray(a), b)):
        got = exact_matmul(x, y, bound)
        assert got.dtype == (np.int32 if bound < 2**31 else np.int64) and (got == want).all()
    torch = pytest.importorskip("torch")
    got = exact_matmul(torch.from_numpy(a), torch.from_numpy(b), bound)
    assert got.dtype == (torch.int32 if bound < 2**31 else torch.int64)
    assert (got.numpy() == want).all()


def test_byte_gemm_results_do_not_share_scratch_memory():
    """Values from successive int8-GEMM passes stay intact (scratch buffers are reused)."""
    from fpga_model import exact_matmul

    rng = np.random.default_rng(11)
    shapes = [(600, 40, 30), (30, 700, 40), (800, 33, 25), (600, 40, 30)]
    ops, outs = [], []
    for m, k, n in shapes:
        a = rng.integers(0, 256, (m, k)).astype(np.uint8)
        b = rng.integers(-128, 128, (k, n)).astype(np.int8)
        ops.append((a, b))
        outs.append(exact_matmul(a if m > k else np.asfortranarray(a), b, k * 255 * 128))
    for (a, b), got in zip(ops, outs):
        assert (got == exact(a, b)).all()
