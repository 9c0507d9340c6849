"""Convolution lowering in channels-last order: patches, their transpose, sums and col2im."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from host.patches import ConvGeometry

GEOMS = [ConvGeometry(3, 1, 1), ConvGeometry(3, 2, 1), ConvGeometry(1, 2, 0), ConvGeometry(1, 1, 0)]


def _codes(n=3, h=6, w=6, c=5):
    return torch.randint(-8, 8, (n, h, w, c), dtype=torch.int8)


@pytest.mark.parametrize("g", GEOMS, ids=str)
def test_im2col_matches_unfold_in_channel_last_column_order(g):
    x = _codes()
    a = g.im2col(x, pad_value=0)
    ref = F.unfold(x.permute(0, 3, 1, 2).float(), g.kernel, padding=g.padding, stride=g.stride)
    n, c, k = x.shape[0], x.shape[3], g.kernel
    ref = ref.reshape(n, c, k, k, -1).permute(0, 4, 2, 3, 1).reshape(a.shape)
    assert a.dtype == torch.int8 and torch.equal(a.float(), ref)


@pytest.mark.parametrize("g", GEOMS, ids=str)
def test_tap_sums_agree_with_the_patch_matrix(g):
    x = _codes()
    pad = -3
    a = g.im2col(x, pad)
    assert torch.equal(g.tap_sums(x, pad), a.to(torch.int64).sum(0))


@pytest.mark.parametrize("g", GEOMS, ids=str)
def test_col2im_is_the_adjoint_of_im2col(g):
    x = torch.randn(2, 7, 7, 4)
    a = g.im2col(x)
    cols = torch.randn_like(a)
    back = g.col2im(cols, 2, 7, 7, 4)
    assert torch.allclose((a * cols).sum(), (x * back).sum(), rtol=1e-5)


@pytest.mark.parametrize("g", GEOMS + [ConvGeometry(3, 1, 2), ConvGeometry(3, 2, 0)], ids=str)
@pytest.mark.parametrize("c, dtype", [(1, torch.uint8), (8, torch.uint8), (16, torch.int8),
                                      (6, torch.int16), (4, torch.float32), (3, torch.int64)])
def test_patches_and_sums_for_every_channel_width_and_dtype(g, c, dtype):
    """The gathered patch matrix (pixels moved as wide words) equals the plain strided one."""
    x = torch.randint(-100, 100, (3, 7, 6, c)).to(dtype)
    if dtype == torch.uint8:
        x = x.abs()
    pad = 5
    k, s, p = g.kernel, g.stride, g.padding
    xp = x.new_full((3, 7 + 2 * p, 6 + 2 * p, c), pad)
    xp[:, p:p + 7, p:p + 6] = x
    ho, wo = g.out_size(7, 6)
    want = torch.stack([xp[:, dy:dy + s * (ho - 1) + 1:s, dx:dx + s * (wo - 1) + 1:s]
                        for dy in range(k) for dx in range(k)], dim=3).reshape(3 * ho * wo, -1)
    a = g.im2col(x, pad)
    assert a.dtype == dtype and torch.equal(a, want)
    assert torch.equal(g.im2col(x[1:], pad), want[ho * wo:])  # another batch size, offset view
    if dtype != torch.float32:
        assert torch.equal(g.tap_sums(x, pad), want.to(torch.int64).sum(0))


@pytest.mark.parametrize("dtype", [torch.int32, torch.float32])
def test_col2im_large_strided_sums_equal_the_index_add_ones(dtype, monkeypatch):
    """Above the size threshold col2im adds k*k strided slabs; the sums are the same."""
    import host.patches as P

    g = ConvGeometry(3, 2, 1)
    n, h, c = 40, 32, 16
    ho = g.out_size(h, h)[0]
    cols = torch.randint(-2000, 2000, (n * ho * ho, 9 * c), dtype=torch.int32).to(dtype)
    assert cols.numel() > P._STRIDED_COL2IM_MIN
    big = g.col2im(cols, n, h, h, c)
    monkeypatch.setattr(P, "_STRIDED_COL2IM_MIN", cols.numel())
    small = g.col2im(cols, n, h, h, c)
    assert big.dtype == dtype and torch.equal(big, small)
    unfolded = cols.double().view(n, ho * ho, 3, 3, c).permute(0, 4, 2, 3, 1)
    x = F.fold(unfolded.reshape(n, -1, ho * ho), (h, h), 3, padding=1, stride=2)
    assert torch.equal(big.double(), x.permute(0, 2, 3, 1))
