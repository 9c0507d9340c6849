"""The quantized GEMM's output stage: the array's integer product plus exact zero-point terms."""

from __future__ import annotations

import pytest
import torch

from fpga_model import ArrayConfig, Pass
from host.accel.emulator import EmulatorTarget
from host.driver import Driver
from host.qgemm import affine_gemm

CFG = ArrayConfig()


def _runner(driver, a_bits, b_bits, a_signed, b_signed):
    def run(a, b):
        return driver.run_pass(0, Pass.FW, a, b, a_bits, b_bits, a_signed=a_signed,
                               b_signed=b_signed).values
    return run


def _codes(shape, bits, signed, gen):
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    dt = torch.int16 if bits > 8 else (torch.int8 if signed else torch.uint8)
    return torch.randint(lo, hi + 1, shape, generator=gen).to(dt)


@pytest.mark.parametrize("axis", ["tensor", "col"])
@pytest.mark.parametrize("a_bits, b_bits, a_signed", [(4, 6, True), (8, 8, False), (12, 3, True)])
@pytest.mark.parametrize("k, n", [(53, 11), (9, 40)], ids=["long-rows", "wide-output"])
def test_equals_plain_int64_product_of_zero_shifted_codes(axis, a_bits, b_bits, a_signed, k, n):
    g = torch.Generator().manual_seed(a_bits * 31 + b_bits)
    m = 37
    a = _codes((m, k), a_bits, a_signed, g)
    b = _codes((k, n), b_bits, True, g)
    za = int(torch.randint(-5, 6, (), generator=g)) if a_signed else 0
    zlen = {"tensor": 1, "col": n}[axis]
    zb = torch.randint(-(1 << (b_bits - 1)), 1 << (b_bits - 1), (zlen,), generator=g)
    zb_arg = int(zb[0]) if axis == "tensor" else zb
    driver = Driver(CFG, EmulatorTarget(CFG))
    got = affine_gemm(_runner(driver, a_bits, b_bits, a_signed, True), a, za, b, zb_arg, axis)
    zb_full = zb.view(1, -1)
    want = (a.long() - za) @ (b.long() - zb_full)
    # int32 while K * span(a) * span(b) < 2^31 (1-byte codes), else int64 (int16 codes)
    span = (1 << (8 * a.element_size())) * (1 << (8 * b.element_size()))
    assert got.dtype == (torch.int32 if k * span < 2**31 else torch.int64)
    assert torch.equal(got.to(torch.int64), want)
    assert len(driver.program) == 1 and driver.program[0].a_signed == a_signed


def test_precomputed_sums_give_the_same_integers():
    g = torch.Generator().manual_seed(3)
    a = _codes((20, 30), 6, True, g)
    b = _codes((30, 7), 4, True, g)
    driver = Driver(CFG, EmulatorTarget(CFG))
    run = _runner(driver, 6, 4, True, True)
    zc = torch.randint(-8, 8, (7,), generator=g)
    assert torch.equal(affine_gemm(run, a, 3, b, zc, "col"),
                       affine_gemm(run, a, 3, b, zc, "col", a_rowsum=a.long().sum(1)))


def test_unknown_zero_axis_is_an_error():
    a = torch.zeros((2, 3), dtype=torch.int8)
    with pytest.raises(ValueError, match="b_axis='row'"):
        affine_gemm(lambda x, y: torch.zeros((2, 4), dtype=torch.int32), a, 0,
                    torch.zeros((3, 4), dtype=torch.int8), torch.zeros(3), "row")


@pytest.mark.parametrize("k, terms, fits", [(32767, 1, True), (32768, 1, False),
                                            (8191, 4, True), (8192, 4, False)])
def test_int32_holds_is_the_exact_bound_for_byte_codes(k, terms, fits):
    from host.qgemm import int32_holds

    a = torch.zeros((1, 1), dtype=torch.int8)
    b = torch.zeros((1, 1), dtype=torch.uint8)
    assert int32_holds(k, a, b, terms) is fits
    assert not int32_holds(2, a, torch.zeros((1, 1), dtype=torch.int16), 1 << 14)


def test_long_reductions_widen_to_int64_before_the_zero_point_terms():
    """K * 255 * 255 > 2^31: the array's int32 product widens before the terms are applied."""
    k = 40000
    a = torch.full((16, k), -128, dtype=torch.int8)
    b = torch.full((k, 2), 127, dtype=torch.int8)
    driver = Driver(ArrayConfig(max_k=1 << 16), EmulatorTarget(CFG))
    got = affine_gemm(_runner(driver, 8, 8, True, True), a, 127, b, -128, "tensor")
    assert got.dtype == torch.int64 and torch.equal(got, torch.full((16, 2), -k * 255 * 255))
