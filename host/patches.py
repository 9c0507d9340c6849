"""Convolution lowered to GEMM in channels-last order: im2col of codes and col2im of gradients.

A row of the patch matrix is one output pixel; its columns run over (kernel row, kernel column,
input channel), channel fastest, so a weight ``(C_out, C_in, kh, kw)`` lines up as
``w.permute(0, 2, 3, 1).reshape(C_out, kh * kw * C_in)``. Codes stay in their compact dtype.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["ConvGeometry"]


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
        sn, sh, sw, sc = xp.stride()
        view = xp.as_strided((n, ho, wo, k, k, c), (sn, s * sh, s * sw, sh, sw, sc))
        return view.reshape(n * ho * wo, k * k * c)

    def window_sums(self, v: torch.Tensor, pad_value: int) -> torch.Tensor:
        """Per output pixel, the sum of a per-pixel integer map ``v`` (N, H, W) over its window.

        With ``v`` the channel sums of the input codes this is every row sum of the patch matrix,
        at a ninth of the memory traffic of summing the patch matrix itself.
        """
        n, h, w = v.shape
        k, s, p = self.kernel, self.stride, self.padding
        ho, wo = self.out_size(h, w)
        if p:
            vp = v.new_full((n, h + 2 * p, w + 2 * p), pad_value)
            vp[:, p:p + h, p:p + w] = v
        else:
            vp = v
        out = None
        for dy in range(k):
            for dx in range(k):
                tap = vp[:, dy:dy + s * (ho - 1) + 1:s, dx:dx + s * (wo - 1) + 1:s]
                out = tap.clone() if out is None else out.add_(tap)
        return out

    def tap_sums(self, x: torch.Tensor, pad_value: int) -> torch.Tensor:
        """Every column sum of the patch matrix of NHWC codes ``x``, as a (k*k*C,) int64 vector.

        Sums the batch first, then each kernel tap's window of the (padded) image.
        """
        n, h, w, c = x.shape
        k, s, p = self.kernel, self.stride, self.padding
        ho, wo = self.out_size(h, w)
        total = x.to(torch.int64).sum(0)  # H x W x C
        if p:
            tp = total.new_full((h + 2 * p, w + 2 * p, c), pad_value * n)
            tp[p:p + h, p:p + w] = total
        else:
            tp = total
        taps = [tp[dy:dy + s * (ho - 1) + 1:s, dx:dx + s * (wo - 1) + 1:s].sum((0, 1))
                for dy in range(k) for dx in range(k)]
        return torch.cat(taps)

    def col2im(self, cols: torch.Tensor, n: int, h: int, w: int, c: int) -> torch.Tensor:
        """Sum patch-matrix gradients (N*Ho*Wo, k*k*C) back onto an NHWC input gradient."""
        k, s, p = self.kernel, self.stride, self.padding
        ho, wo = self.out_size(h, w)
        if k == 1 and p == 0:
            if s == 1:
                return cols.reshape(n, h, w, c)
            out = cols.new_zeros((n, h, w, c))
            out[:, ::s, ::s, :] = cols.reshape(n, ho, wo, c)
            return out
        out = cols.new_zeros((n, h + 2 * p, w + 2 * p, c))
        view = cols.reshape(n, ho, wo, k, k, c)
        for dy in range(k):
            for dx in range(k):
                out[:, dy:dy + s * (ho - 1) + 1:s, dx:dx + s * (wo - 1) + 1:s, :] += view[:, :, :, dy, dx, :]
        return out[:, p:p + h, p:p + w, :]
