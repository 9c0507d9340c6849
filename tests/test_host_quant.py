"""FracTrain's affine quantizer: codes in range, exact zero, per-channel rows, seeded rounding."""

from __future__ import annotations

import pytest
import torch

from fpga_model import code_range
from host.quant import (
    RunningRange,
    channel_range,
    code_dtype,
    dither,
    quantize_rows,
    quantize_tensor,
    tensor_range,
)


@pytest.mark.parametrize("bits", [3, 4, 6, 8, 12])
def test_affine_codes_in_range_and_error_within_half_step(bits):
    x = torch.randn(64, 33) * 3 + 0.5
    lo, hi = tensor_range(x)
    q = quantize_tensor(x, bits, lo, hi)
    assert q.signed and q.codes.dtype == code_dtype(bits, True)
    clo, chi = code_range(bits, True)
    assert int(q.codes.min()) >= clo and int(q.codes.max()) <= chi
    assert (q.dequantize() - x).abs().max() <= q.scale / 2 + 1e-5
    assert isinstance(q.zero, int)


def test_zero_is_exact_and_affine_codes_are_twos_complement():
    gen = torch.Generator().manual_seed(0)
    x = torch.relu(torch.randn(1000, generator=gen))
    x[:10] = 0.0
    q = quantize_tensor(x, 4, *tensor_range(x))
    # a non-negative tensor's unsigned grid [0, 15] is stored shifted: zero point -8
    assert q.signed and q.zero == -8 and q.codes.dtype == torch.int8
    assert int(q.codes.min()) == -8 and int(q.codes.max()) == 7
    assert (q.dequantize()[:10] == 0).all()
    y = torch.randn(1000, generator=gen) + 1.0  # an asymmetric range: the zero point is not 0
    y[:10] = 0.0
    qy = quantize_tensor(y, 6, *tensor_range(y))
    assert qy.signed and qy.zero != 0
    assert (qy.dequantize()[:10] == 0).all()  # 0.0 maps to the zero point exactly


def test_rows_are_quantized_per_output_channel():
    w = torch.randn(8, 27)
    w[3] *= 100  # one wide channel must not coarsen the others
    q = quantize_rows(w, 4)
    assert q.scale.shape == (8,) and q.zero.dtype == torch.int64
    err = (q.dequantize() - w).abs().amax(dim=1)
    assert (err <= q.scale / 2 + 1e-5).all()
    assert float(q.scale[0]) < float(q.scale[3]) / 20


def test_stochastic_rounding_is_unbiased_and_seeded():
    x = torch.full((200_000,), 0.3)
    lo, hi = -1.0, 1.0
    a = quantize_tensor(x, 4, lo, hi, stochastic=True, generator=torch.Generator().manual_seed(5))
    b = quantize_tensor(x, 4, lo, hi, stochastic=True, generator=torch.Generator().manual_seed(5))
    c = quantize_tensor(x, 4, lo, hi, stochastic=True, generator=torch.Generator().manual_seed(6))
    assert torch.equal(a.codes, b.codes) and not torch.equal(a.codes, c.codes)
    assert len(torch.unique(a.codes)) == 2  # the two neighbours of 0.3 on the grid
    assert abs(float(a.dequantize().mean()) - 0.3) < 2e-3
    det = quantize_tensor(x, 4, lo, hi)
    assert len(torch.unique(det.codes)) == 1


def test_dither_is_uniform_in_open_unit_interval():
    u = dither((100_000,), torch.Generator().manual_seed(1))
    assert float(u.min()) > 0 and float(u.max()) < 1
    assert abs(float(u.mean()) - 0.5) < 0.01


def test_anchored_codes_have_zero_point_zero():
    x = torch.randn(500)
    q = quantize_tensor(x, 8, *tensor_range(x), anchored=True)
    assert q.zero == 0 and q.signed and int(q.codes.abs().max()) == 127
    r = quantize_tensor(x.abs(), 8, *tensor_range(x.abs()), anchored=True)
    assert r.zero == 0 and not r.signed and int(r.codes.max()) == 255
    w = quantize_rows(torch.randn(4, 9), 6, anchored=True)
    assert int(w.zero.abs().max()) == 0


def test_running_range_tracks_training_batches_and_serves_eval():
    rr = RunningRange(momentum=0.9)
    lo, hi = rr.observe(torch.tensor([-1.0, 2.0]))
    assert (lo, hi) == (-1.0, 2.0)
    rr.observe(torch.tensor([-3.0, 4.0]))
    assert float(rr.lo) == pytest.approx(0.9 * -1 + 0.1 * -3)
    assert float(rr.hi) == pytest.approx(0.9 * 2 + 0.1 * 4)
    rr.eval()
    assert rr.observe(torch.tensor([-100.0, 100.0])) == pytest.approx((-1.2, 2.2))


@pytest.mark.parametrize("shape", [(7,), (128, 8), (3, 5, 5, 9)])
@pytest.mark.parametrize("anchored", [False, True])
def test_stochastic_codes_are_floor_of_scaled_value_plus_dither(shape, anchored):
    """Stochastic codes are floor(x / s + z + u) with u = dither() from the same random stream.

    The float32 expression is pinned as the quantizer evaluates it (scale-and-offset, then the
    noise); a float64 evaluation must agree except within float32 rounding of an integer.
    """
    x = torch.randn(shape, generator=torch.Generator().manual_seed(3)) * 3
    lo, hi = tensor_range(x)
    for bits in (4, 8, 12):
        q = quantize_tensor(x, bits, lo, hi, stochastic=True, anchored=anchored,
                            generator=torch.Generator().manual_seed(9))
        u = dither(shape, torch.Generator().manual_seed(9))
        if anchored:  # symmetric signed codes, zero point 0
            qmax = (1 << (bits - 1)) - 1
            lo_code, hi_code, z = -qmax, qmax, 0
        else:
            shift = (1 << (bits - 1)) if q.signed else 0
            lo_code, hi_code, z = -shift, (1 << bits) - 1 - shift, q.zero
        base = torch.tensor(float(z - lo_code) + 32768.5 / 65536.0)
        v = torch.add(base, x, alpha=1.0 / q.scale)
        v = v + (u * 65536.0 - 32768.5) / 65536.0  # the noise's r / 2^16, exactly
        want = v.clamp_(0, hi_code - lo_code).floor_() + lo_code
        assert torch.equal(q.codes.to(torch.float32), want)
        exact = (x.double() / q.scale + z + u.double()).floor().clamp(lo_code, hi_code)
        near = ((x.double() / q.scale + z + u.double()) - exact).abs().clamp(max=1) < 1e-3
        assert torch.equal(q.codes.double()[~near], exact[~near])


def test_deterministic_rounding_is_to_nearest_halves_up():
    x = torch.tensor([-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0, 0.74, 0.76])
    q = quantize_tensor(x, 3, -1.0, 1.0, anchored=True)  # scale 1/3: codes = round(3x)
    assert q.codes.tolist() == [-3, -1, -1, 0, 1, 2, 3, 2, 2]
    a = quantize_tensor(torch.tensor([0.0, 1.0, 2.0, 7.0]), 3, 0.0, 7.0)  # scale 1: identity
    assert a.codes.tolist() == [-4, -3, -2, 3] and a.zero == -4 and a.signed  # stored - 2^2


@pytest.mark.parametrize("perm", [(0, 1, 2, 3), (0, 3, 1, 2), (0, 2, 3, 1), (3, 2, 1, 0)])
def test_tensor_range_of_any_layout(perm):
    """Permuted, sliced and expanded tensors give the same extremes as their contiguous copy."""
    base = torch.randn(4, 5, 6, 7, generator=torch.Generator().manual_seed(1))
    x = base.permute(*perm)
    assert tensor_range(x) == tensor_range(x.contiguous())
    sliced = x[:, 1:3]
    assert tensor_range(sliced) == tensor_range(sliced.contiguous())
    wide = base[:, :1].expand(4, 3, 6, 7)
    assert tensor_range(wide) == tensor_range(wide.contiguous())
    assert tensor_range(torch.tensor(2.5)) == (2.5, 2.5)


@pytest.mark.parametrize("stochastic", [False, True])
def test_large_permuted_tensors_quantize_like_their_contiguous_copy(stochastic):
    """The reused buffers (large tensors) keep the layout and never leak into earlier codes."""
    base = torch.randn(8, 16, 48, 48, generator=torch.Generator().manual_seed(2))  # 2^18+
    x = base.permute(0, 2, 3, 1)  # NHWC view of NCHW memory
    lo, hi = tensor_range(x)

    def q(t, seed=4):
        return quantize_tensor(t, 8, lo, hi, stochastic=stochastic,
                               generator=torch.Generator().manual_seed(seed))
    first = q(x)
    kept = first.codes.clone()
    assert first.codes.stride() == torch.empty_like(x).stride()  # the codes keep x's layout
    assert torch.equal(first.codes, q(x.contiguous()).codes)
    q(x * 3, seed=5)  # another large call reuses the buffers
    assert torch.equal(first.codes, kept)


def test_rows_round_halves_up_like_the_tensor_quantizer():
    w = torch.tensor([[-3.0, -1.5, 1.5, 3.0], [0.0, 1.5, 2.5, 7.0]])
    anch = quantize_rows(w[:1], 3, anchored=True)  # qmax 3, scale 1
    assert anch.codes.tolist() == [[-3, -1, 2, 3]] and anch.zero.tolist() == [0]
    aff = quantize_rows(w[1:], 3)  # range [0, 7], scale 1: codes u - 4
    assert aff.codes.tolist() == [[-4, -2, -1, 3]] and aff.zero.tolist() == [-4]
    assert torch.equal(aff.dequantize(), torch.tensor([[0.0, 2.0, 3.0, 7.0]]))


def test_channel_range_is_the_mean_channel_max_so_outliers_saturate():
    x = torch.zeros(4, 3, 2, 2)  # N, C, H, W: channel 2 is dead (all zero)
    x[:, 0] = 1.0
    x[0, 1, 0, 0] = -3.0
    x[1, 0, 1, 1] = 100.0  # one outlier in channel 0
    lo, hi = channel_range(x)
    assert (lo, hi) == (-51.5, 51.5)  # mean of 100 and 3; signed because of the -3
    assert channel_range(x.abs().clamp(max=5.0)) == (0.0, 4.0)  # (5 + 3) / 2, unsigned
    # wider codes widen the range by 2^(bits-8), never past the max |x|
    assert channel_range(x.abs().clamp(max=5.0), 9) == (0.0, 5.0)
    assert channel_range(x.abs().clamp(max=50.0), 9) == (0.0, 50.0)
    assert channel_range(x.abs().clamp(max=50.0), 8) == (0.0, 26.5)
    assert channel_range(torch.zeros(2, 3)) == (0.0, 0.0)
    q = quantize_tensor(x, 8, *channel_range(x), anchored=True)
    assert int(q.codes.max()) == 127  # the outlier saturates at the top code
    rr = RunningRange()
    assert rr.observe(x, channels=True) == (-51.5, 51.5)
