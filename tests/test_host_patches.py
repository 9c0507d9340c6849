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
def test_window_and_tap_sums_agree_with_the_patch_matrix(g):
    x = _codes()
    pad = -3
    a = g.im2col(x, pad)
    chan = x.to(torch.int32).sum(-1)
    assert torch.equal(g.window_sums(chan, x.shape[3] * pad).reshape(-1),
                       a.to(torch.int32).sum(1))
    assert torch.equal(g.tap_sums(x, pad), a.to(torch.int64).sum(0))


@pytest.mark.parametrize("g", GEOMS, ids=str)
def test_col2im_is_the_adjoint_of_im2col(g):
    x = torch.randn(2, 7, 7, 4)
    a = g.im2col(x)
    cols = torch.randn_like(a)
    back = g.col2im(cols, 2, 7, 7, 4)
    assert torch.allclose((a * cols).sum(), (x * back).sum(), rtol=1e-5)
