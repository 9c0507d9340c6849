"""Convolution lowered to GEMM in channels-last order: im2col of codes and col2im of gradients.

A row of the patch matrix is one output pixel; its columns run over (kernel row, kernel column,
input channel), channel fastest, so a weight ``(C_out, C_in, kh, kw)`` lines up as
``w.permute(0, 2, 3, 1).reshape(C_out, kh * kw * C_in)``. Codes stay in their compact dtype.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import torch

from .qgemm import code_sum

__all__ = ["ConvGeometry"]


@lru_cache(maxsize=64)
def _patch_index(k: int, s: int, hp: int, wp: int, ho: int, wo: int, n: int,
                 cc: int, device: torch.device = torch.device("cpu")) -> torch.Tensor:
    """Flat element index into N padded (hp, wp, cc) images of every patch-matrix element, on
    the device of the tensor it gathers from.

    The order is (n, ho, wo, dy, dx, channel): the patch matrix's rows and columns.
    """
    if device.type != "cpu":
        return _patch_index(k, s, hp, wp, ho, wo, n, cc).to(device)
    base = torch.arange(n * hp * wp, dtype=torch.int64)
    pix = base.as_strided((n, ho, wo, k, k), (hp * wp, s * wp, s, wp, 1)).reshape(-1, 1)
    idx = (pix * cc + torch.arange(cc, dtype=torch.int64)).reshape(-1)
    # int32 indices halve the index traffic of every gather
    return idx.to(torch.int32) if n * hp * wp * cc < (1 << 31) else idx


_STRIDED_COL2IM_MIN = 1 << 20  # elements: above this k*k strided adds beat index_add_ here


@lru_cache(maxsize=64)
def _pixel_index(k: int, s: int, hp: int, wp: int, ho: int, wo: int, n: int,
                 device: torch.device = torch.device("cpu")) -> torch.Tensor:
    """Padded-input pixel of every (patch row, kernel tap), as int64 (``index_add_`` wants it)."""
    return _patch_index(k, s, hp, wp, ho, wo, n, 1).to(device=device, dtype=torch.int64)


def _wide_rows(x: torch.Tensor) -> torch.Tensor:
    """A contiguous (..., C) tensor with its channel bytes viewed as few wide words.

    Gathering whole pixels moves the same bytes in fewer elements (a row of 8 one-byte codes
    is one int64).
    """
    nbytes = x.shape[-1] * x.element_size()
    for dt, size in ((torch.int64, 8), (torch.int32, 4), (torch.int16, 2)):
        if size > x.element_size() and nbytes % size == 0 \
                and (x.storage_offset() * x.element_size()) % size == 0:
            return x.view(dt)
    return x


@dataclass(frozen=True)
class ConvGeometry:
    """Kernel, stride and padding of a 2-D convolution (square kernels and strides)."""

    kernel: int
    stride: int
    padding: int

    def out_size(self, h: int, w: int) -> tuple[int, int]:
        k, s, p = self.kernel, self.stride, self.padding
        return (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1

    def im2col(self, x: torch.Tensor, pad_value: int | float = 0) -> torch.Tensor:
        """Patch matrix (N*Ho*Wo, k*k*C) of an NHWC tensor; padding takes ``pad_value``."""
        n, h, w, c = x.shape
        k, s, p = self.kernel, self.stride, self.padding
        ho, wo = self.out_size(h, w)
        if k == 1 and p == 0:
            return x[:, ::s, ::s, :].reshape(n * ho * wo, c)
        if p:
            xp = x.new_full((n, h + 2 * p, w + 2 * p, c), pad_value)
            xp[:, p:p + h, p:p + w, :] = x
        else:
            xp = x.contiguous()
        # gather whole pixels (as wide words) with a cached index: a strided 6-D copy of a few
        # bytes per pixel is several times slower
        wide = _wide_rows(xp)
        idx = _patch_index(k, s, h + 2 * p, w + 2 * p, ho, wo, n, wide.shape[-1], x.device)
        flat = wide.reshape(-1).index_select(0, idx)  # 1-D gathers are the fast kernel
        return flat.view(n * ho * wo, -1).view(x.dtype)

    def tap_sums(self, x: torch.Tensor, pad_value: int) -> torch.Tensor:
        """Every column sum of the patch matrix of NHWC codes ``x``, as a (k*k*C,) int64 vector.

        Sums the batch first, then each kernel tap's window of the (padded) image.
        """
        n, h, w, c = x.shape
        k, s, p = self.kernel, self.stride, self.padding
        if k == 1 and p == 0:  # the patch matrix is the (strided) pixels themselves
            return code_sum(self.im2col(x), 0)
        ho, wo = self.out_size(h, w)
        total = code_sum(x, 0)  # H x W x C
        if p:
            tp = total.new_full((h + 2 * p, w + 2 * p, c), pad_value * n)
            tp[p:p + h, p:p + w] = total
        else:
            tp = total.contiguous()
        idx = _patch_index(k, s, h + 2 * p, w + 2 * p, ho, wo, 1, c, x.device)
        return tp.reshape(-1).index_select(0, idx).view(ho * wo, k * k * c).sum(0)

    def col2im(self, cols: torch.Tensor, n: int, h: int, w: int, c: int) -> torch.Tensor:
        """Sum patch-matrix gradients (N*Ho*Wo, k*k*C) back onto an NHWC input gradient.

        Small ones: one ``index_add_`` of whole pixels (a cached index of each patch pixel's
        place in the padded input); large ones: k*k strided adds, which stream better. Either
        way each input pixel's sum is exact for integers (and for integer-valued floats below
        2^24).
        """
        k, s, p = self.kernel, self.stride, self.padding
        ho, wo = self.out_size(h, w)
        if k == 1 and p == 0:
            if s == 1:
                return cols.reshape(n, h, w, c)
            out = cols.new_zeros((n, h, w, c))
            out[:, ::s, ::s, :] = cols.reshape(n, ho, wo, c)
            return out
        hp, wp = h + 2 * p, w + 2 * p
        if cols.numel() > _STRIDED_COL2IM_MIN:
            out = cols.new_zeros((n, hp, wp, c))
            taps = cols.view(n, ho, wo, k, k, c)
            for dy in range(k):
                for dx in range(k):
                    out[:, dy:dy + s * (ho - 1) + 1:s, dx:dx + s * (wo - 1) + 1:s] += \
                        taps[:, :, :, dy, dx]
        else:
            idx = _pixel_index(k, s, hp, wp, ho, wo, n, cols.device)
            out = cols.new_zeros((n * hp * wp, c))
            out.index_add_(0, idx, cols.reshape(-1, c))
        return out.view(n, hp, wp, c)[:, p:p + h, p:p + w, :]
