"""The output stage of a quantized GEMM: the array's integer product plus exact zero-point terms.

With ``A ~= s_a (a - z_a)`` and ``B ~= s_b (b - z_b)`` the array computes the integer product
``a @ b`` of the codes; the host adds

    sum_k (a - z_a)(b - z_b) = a @ b - (a @ z_b) - (z_a @ b) + (z_a @ z_b)

where ``z_a`` is per tensor and ``z_b`` is per tensor or per column of B (weights per output
channel in FW, per input channel in EB). Every term is an integer computed exactly; nothing is
rounded before the dequantizing multiply. The sum is kept in the array's value dtype (int32 for
short reductions of byte codes) while its bound allows.
"""

from __future__ import annotations

from typing import Callable

import torch

__all__ = ["affine_gemm", "int32_holds", "ZeroAxis"]

ZeroAxis = str  # "tensor" (one zero point for B) or "col" (one per column of B)


def _span(x: torch.Tensor) -> int:
    """Bound on |code - zero| for codes of x's dtype (zero points lie in the code range)."""
    return 1 << (8 * x.element_size())


def int32_holds(k: int, a: torch.Tensor, b: torch.Tensor, terms: int = 1) -> bool:
    """True when ``terms`` sums of K products (a - z_a)(b - z_b) and every partial sum fit int32."""
    return k * _span(a) * _span(b) * terms < (1 << 31)


def _sum(x: torch.Tensor, dim: int) -> torch.Tensor:
    """Exact integer sum of codes along ``dim`` (int32 accumulation is exact below 2^31)."""
    if x.shape[dim] * (torch.iinfo(x.dtype).max + 1) < (1 << 31):
        return x.sum(dim=dim, dtype=torch.int32).to(torch.int64)
    return x.sum(dim=dim, dtype=torch.int64)


def affine_gemm(run: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], a: torch.Tensor,
                a_zero: int, b: torch.Tensor, b_zero: int | torch.Tensor,
                b_axis: ZeroAxis = "tensor", *, a_rowsum: torch.Tensor | None = None
                ) -> torch.Tensor:
    """Exact ``sum_k (a - a_zero)(b - b_zero)`` (M x N) from the array's ``a @ b``.

    The result has the dtype of ``run``'s values (int32 or int64), widened to int64 unless
    ``int32_holds`` (every term and partial sum is within that bound).

    Args:
        run: executes the integer GEMM of the codes on the array and returns its values.
        a: M x K integer codes; a_zero: their per-tensor zero point.
        b: K x N integer codes; b_zero: an int, or a 1-D int64 tensor of length N ("col").
        b_axis: "tensor" or "col".
        a_rowsum: ``a.sum(1)`` when the caller has a cheaper way to get it (im2col windows).
    """
    out = run(a, b)
    k = a.shape[1]
    if out.dtype == torch.int32 and not int32_holds(k, a, b):
        out = out.to(torch.int64)
    dt = out.dtype
    if b_axis == "tensor":
        if b_zero:
            rs = _sum(a, 1) if a_rowsum is None else a_rowsum
            out = out.sub_(rs.to(dt).mul(b_zero).view(-1, 1))
        if a_zero:
            col = _sum(b, 0).mul_(a_zero)
            if b_zero:
                col.sub_(k * a_zero * b_zero)
            out = out.sub_(col.to(dt).view(1, -1))
        return out
    if b_axis != "col":
        raise ValueError(f"b_axis={b_axis!r}: use 'tensor' or 'col'")
    zb = b_zero.to(out.device)
    if bool((zb != 0).any()):
        rs = _sum(a, 1) if a_rowsum is None else a_rowsum
        # a rank-1 integer addmm is several times faster than addr_ on int64
        out = out.addmm_(rs.to(dt).view(-1, 1), zb.to(dt).view(1, -1), alpha=-1)
    if a_zero:
        out = out.sub_((_sum(b, 0).sub_(zb * k)).mul_(a_zero).to(dt).view(1, -1))
    return out
