"""Quantized layers: FW/EB/GC are bit-exact integer GEMMs; the float path agrees up to rounding."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from fpga_model import ArrayConfig, Pass, gemm
from host.accel.emulator import EmulatorTarget
from host.driver import Driver
from host.layers import FLOAT, ArrayEngine, Group, QuantConv2d, QuantLinear, Runtime
from host.quant import channel_range, quantize_rows, quantize_tensor, tensor_range

CFG = ArrayConfig()


def _layer(engine, cin=6, cout=10, k=3, stride=1, pad=1, bits=(4, 6, 8), seed=7, linear=False):
    driver = Driver(CFG, EmulatorTarget(CFG))
    engine = ArrayEngine(driver) if engine == "array" else FLOAT
    rt = Runtime(engine=engine, generator=torch.Generator().manual_seed(seed))
    torch.manual_seed(0)
    layer = (QuantLinear(cin, cout, runtime=rt) if linear
             else QuantConv2d(cin, cout, k, stride, pad, runtime=rt))
    layer.plan.a_bits, layer.plan.w_bits, layer.plan.g_bits = bits
    return layer, driver


def _shifted_patches(codes_nhwc, zero, k, stride, pad):
    """Plain im2col of (codes - zero) as int64 (zero padding = the zero point's code)."""
    x = (codes_nhwc.long() - zero).permute(0, 3, 1, 2).double()
    cols = F.unfold(x, k, padding=pad, stride=stride)  # N, C*k*k, L
    n, c = x.shape[:2]
    return cols.reshape(n, c, k, k, -1).permute(0, 4, 2, 3, 1).reshape(-1, k * k * c).long()


@pytest.mark.parametrize("stride, k, pad", [(1, 3, 1), (2, 3, 1), (2, 1, 0)])
def test_conv_fw_gc_eb_equal_plain_integer_gemms(stride, k, pad):
    layer, driver = _layer("array", k=k, stride=stride, pad=pad)
    x = torch.randn(5, 6, 7, 7, requires_grad=True)
    y = layer(x)
    dy = torch.randn_like(y)
    y.backward(dy)
    a_bits, w_bits, g_bits = layer.plan.a_bits, layer.plan.w_bits, layer.plan.g_bits
    # FW
    wq = quantize_rows(layer.weight.detach().permute(0, 2, 3, 1).reshape(10, -1), w_bits)
    xq = quantize_tensor(x.detach().permute(0, 2, 3, 1), a_bits, *tensor_range(x))
    a = _shifted_patches(xq.codes, xq.zero, k, stride, pad)
    w_int = wq.codes.long() - wq.zero.view(-1, 1)
    fw = (a @ w_int.t()).to(torch.float32).mul_(wq.scale.view(1, -1) * xq.scale)
    assert torch.equal(y.detach().permute(0, 2, 3, 1).reshape(-1, 10), fw)
    # GC and EB share one stochastic quantization of the error (one draw of the generator)
    gen = torch.Generator().manual_seed(7)
    dy_rows = dy.permute(0, 2, 3, 1).reshape(-1, 10)
    eq = quantize_tensor(dy_rows, g_bits, *tensor_range(dy), stochastic=True, generator=gen)
    e_int = eq.codes.long() - eq.zero
    gc = (a.t() @ e_int).to(torch.float32).mul_(xq.scale * eq.scale)
    want_w = gc.t().reshape(10, k, k, 6).permute(0, 3, 1, 2)
    assert torch.equal(layer.weight.grad, want_w)
    # EB: weights per input channel, (C_in, C_out*k*k) rows
    wb = quantize_rows(layer.weight.detach().transpose(0, 1).reshape(6, -1), w_bits)
    wb_int = (wb.codes.long() - wb.zero.view(-1, 1)).view(6, 10, k, k)
    w_eb = wb_int.permute(1, 2, 3, 0).reshape(10, k * k * 6)  # (C_out, (ky, kx, C_in))
    cols = e_int @ w_eb  # patch gradients, exact
    n, _, h, w = x.shape
    ho = (h + 2 * pad - k) // stride + 1
    cols_f = (cols.double().reshape(n, ho * ho, k, k, 6).permute(0, 4, 2, 3, 1)
              .reshape(n, -1, ho * ho))
    dx_int = F.fold(cols_f, (h, w), k, padding=pad, stride=stride).round().long()
    want_x = dx_int.to(torch.float32).mul_((wb.scale * eq.scale).view(1, -1, 1, 1))
    assert torch.equal(x.grad, want_x)  # integer input gradient, one dequantizing multiply
    passes = [(d.pass_, d.a_bits, d.b_bits) for d in driver.program]
    assert passes == [(Pass.FW, a_bits, w_bits), (Pass.GC, a_bits, g_bits),
                      (Pass.EB, g_bits, w_bits)]


@pytest.mark.parametrize("make", [
    lambda e: _layer(e, stride=1),
    lambda e: _layer(e, stride=2),
    lambda e: _layer(e, k=1, stride=2, pad=0),
    lambda e: _layer(e, cin=12, linear=True),
], ids=["conv3s1", "conv3s2", "conv1s2", "linear"])
@pytest.mark.parametrize("anchored", [False, True])
def test_fake_quantized_float_path_matches_up_to_rounding(make, anchored):
    outs = []
    for engine in ("array", "float"):
        layer, _ = make(engine)
        layer.plan.anchored = anchored
        torch.manual_seed(1)
        shape = (6, 12) if isinstance(layer, QuantLinear) else (6, 6, 8, 8)
        x = torch.randn(*shape)
        x = x.relu() if anchored else x
        x.requires_grad_(True)
        y = layer(x)
        y.backward(torch.randn_like(y))
        outs.append((y.detach(), x.grad, layer.weight.grad))
    for got, want in zip(*outs):
        assert got.shape == want.shape
        assert torch.allclose(got, want, rtol=1e-5, atol=1e-6 * float(want.abs().max()))


def test_psg_weight_gradient_is_the_sign_of_the_arrays_early_stopped_gc():
    layer, driver = _layer("array", bits=(8, 8, 8))
    p = layer.plan
    p.stop_ring, p.tau, p.tau_relative, p.sign_grad, p.anchored = 1, 0.3, True, True, True
    p.tau_current = False  # the previous step's max (one sweep)
    layer.psg_max = 0.05  # as if set by a previous step
    x = torch.relu(torch.randn(4, 6, 6, 6))
    y = layer(x)
    dy = torch.randn_like(y)
    y.backward(dy)
    # ring 1 keeps 4 of 8 bits: offsets 8 or 7 (random tie direction), drawn from the
    # run's generator before the activation codes and before the error dither
    gen = torch.Generator().manual_seed(7)
    off_a = 8 - int(torch.randint(0, 2, (1,), generator=gen))
    off_e = 8 - int(torch.randint(0, 2, (1,), generator=gen))
    # anchored codes: per-tensor ranges from the channels' mean max (not the min/max)
    xq = quantize_tensor(x.permute(0, 2, 3, 1), 8, *channel_range(x), anchored=True,
                         offset=off_a)
    eq = quantize_tensor(dy.permute(0, 2, 3, 1).reshape(-1, 10), 8, *channel_range(dy, 8),
                         stochastic=True, generator=gen, anchored=True, offset=off_e)
    assert xq.zero == off_a and eq.zero == off_e
    at = (_shifted_patches(xq.codes, off_a, 3, 1, 1) + off_a).t().contiguous()
    tau = math.ceil(0.3 * 0.05 / (xq.scale * eq.scale))
    ref = gemm(CFG, at.to(torch.uint8).numpy(), eq.codes.numpy(), 8, 8, a_signed=False,
               stop_ring=1, tau=tau)
    assert 0 < ref.stopped.sum() < ref.stopped.size  # the test exercises both kinds of output
    exact = (at - off_a) @ (eq.codes.long() - off_e)
    stopped = torch.from_numpy(ref.stopped)
    chosen = torch.where(stopped, torch.from_numpy(ref.values), exact)  # prefix where stopped
    want = torch.sign(chosen.float()).t().reshape(10, 3, 3, 6)
    assert torch.equal(layer.weight.grad, want.permute(0, 3, 1, 2))
    gc = [d for d in driver.program if d.pass_ == Pass.GC][0]
    assert (gc.stop_ring, gc.tau, gc.a_signed) == (1, tau, False)


def test_psg_default_prefix_is_e2trains_and_tau_is_this_steps():
    layer, driver = _layer("array", bits=(8, 8, 12))
    p = layer.plan
    p.msb_bits, p.tau, p.sign_grad, p.anchored = (4, 16), 0.05, True, True
    assert p.keeps(8, 16) == (2, 8) and p.keeps(8, 8) == (2, 4)
    assert layer.prefix_offset(8, 12, "e") == 0  # errors keep every digit: no offset
    x = torch.relu(torch.randn(4, 6, 6, 6))
    layer(x).backward(torch.randn(4, 10, 6, 6))
    gc = [d for d in driver.program if d.pass_ == Pass.GC][0]
    assert (gc.prefix, gc.tau_rel, gc.tau, gc.b_bits) == ((2, 6), round(0.05 * 65536), None, 12)
    assert layer.psg_stopped is not None and 0 < float(layer.psg_stopped.float().mean()) < 1


def test_psg_offset_ties_make_the_prefix_unbiased():
    from fpga_model import truncate

    codes = torch.arange(0, 240)  # every residue equally often
    floor_err = (truncate(codes, 8, 2) - codes).float().mean()
    up_err = (truncate(codes + 8, 8, 2) - codes).float().mean()  # ties always up: +1/2
    down_err = (truncate(codes + 7, 8, 2) - codes).float().mean()  # ties always down: -1/2
    assert float(floor_err) < -7
    assert float(up_err) == 0.5 and float(down_err) == -0.5 and float(up_err + down_err) == 0
    layer = QuantConv2d(2, 2, 1, runtime=Runtime(generator=torch.Generator().manual_seed(0)))
    layer.plan.stop_ring, layer.plan.anchored = 1, True
    draws = [layer.prefix_offset(8, 8, "e") for _ in range(400)]
    assert set(draws) == {7, 8} and 150 < draws.count(8) < 250


def test_per_sample_groups_issue_one_descriptor_per_option_and_match_float():
    idx_a, idx_b = torch.tensor([0, 2, 3]), torch.tensor([1, 4])
    groups = (Group(idx_a, 3, 6), Group(idx_b, 6, 12))
    outs, drivers = [], []
    for engine in ("array", "float"):
        layer, driver = _layer(engine)
        drivers.append(driver)
        layer.plan.groups = groups
        torch.manual_seed(2)
        x = torch.randn(5, 6, 6, 6, requires_grad=True)
        y = layer(x)
        y.backward(torch.ones_like(y))
        outs.append((y.detach(), x.grad, layer.weight.grad))
    program = drivers[0].program
    assert drivers[1].program == []  # the float path issues nothing
    fw = [d for d in program if d.pass_ == Pass.FW]
    assert [(d.a_bits, d.m) for d in fw] == [(3, 3 * 36), (6, 2 * 36)]
    gcs = [d for d in program if d.pass_ == Pass.GC]
    assert [(d.b_bits, d.k) for d in gcs] == [(6, 3 * 36), (12, 2 * 36)]
    for got, want in zip(*outs):
        assert torch.allclose(got, want, rtol=1e-5, atol=1e-6 * float(want.abs().max()))


def test_dfq_mix_gradient_is_input_gradient_dot_quantized_input():
    layer, _ = _layer("array")
    layer.mix_bits = (3, 4, 6)
    x = torch.randn(4, 6, 5, 5, requires_grad=True)
    mix = torch.tensor([[0.0, 1.0, 0.0]], requires_grad=True)
    y = layer(x, mix)
    y.backward(torch.randn_like(y))
    lo, hi = tensor_range(x)
    want = [float((x.grad * quantize_tensor(x, b, lo, hi).dequantize()).sum())
            for b in (3, 4, 6)]
    assert torch.allclose(mix.grad, torch.tensor([want]), rtol=1e-5)


def test_eval_uses_running_range_and_emits_only_fw():
    layer, driver = _layer("array")
    layer(torch.randn(3, 6, 5, 5))  # training: seeds the running range
    layer.eval()
    driver.begin_batch()
    with torch.no_grad():
        layer(torch.randn(3, 6, 5, 5) * 50)  # out of range: codes saturate, no error
    assert [d.pass_ for d in driver.program] == [Pass.FW]


def test_one_pass_dequantize_equals_cast_then_multiply():
    from host.layers import _dequantize

    g = torch.Generator().manual_seed(0)
    for shift in (0, 20):  # beyond 2^24 the int64 -> float32 cast itself rounds
        v = torch.randint(-2**40, 2**40, (257, 9), generator=g) >> shift
        for s in (3.7e-6, 0.013, 1.0 / 3.0):
            st = torch.rand(1, 9, generator=g) * s
            assert torch.equal(_dequantize(v, s), v.to(torch.float32).mul_(s))
            assert torch.equal(_dequantize(v, st), v.to(torch.float32).mul_(st))
    assert _dequantize(v, st.double(), torch.float64).dtype == torch.float64
