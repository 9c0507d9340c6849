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

from fpga_model import exact_matmul

__all__ = ["affine_gemm", "code_sum", "float32_holds", "int32_holds", "ZeroAxis"]

ZeroAxis = str  # "tensor" (one zero point for B) or "col" (one per column of B)


def _span(x: torch.Tensor) -> int:
    """Bound on |code - zero| for codes of x's dtype (zero points lie in the code range)."""
    return 1 << (8 * x.element_size())


_I32_LIMIT = 1 << 31  # int32 holds every integer below this in magnitude
_F32_EXACT = 1 << 24  # float32 holds every integer below this exactly


def int32_holds(k: int, a: torch.Tensor, b: torch.Tensor, terms: int = 1) -> bool:
    """True when ``terms`` sums of K products (a - z_a)(b - z_b) and every partial sum fit int32."""
    return k * _span(a) * _span(b) * terms < _I32_LIMIT


def float32_holds(k: int, a: torch.Tensor, b: torch.Tensor, terms: int = 1) -> bool:
    """True when float32 holds those sums exactly (every partial sum below 2^24)."""
    return k * _span(a) * _span(b) * terms < _F32_EXACT


_FLOAT_SUM_MIN = 1024  # long reductions over the outer dim: float32 sums are vectorized


def code_sum(x: torch.Tensor, dim: int, dtype: torch.dtype = torch.int64) -> torch.Tensor:
    """Exact sum of integer codes along ``dim``, as ``dtype`` (which must hold it).

    A float32 sum is exact while every partial sum stays below 2^24 and reduces a long outer
    dimension several times faster than an integer sum; int32 accumulation is exact below 2^31.
    """
    n = x.shape[dim]
    bound = n * _span(x)
    if dim == 0 and n >= _FLOAT_SUM_MIN and bound <= _F32_EXACT:
        return x.to(torch.float32).sum(0).to(dtype)
    acc = torch.int32 if bound < _I32_LIMIT else torch.int64
    return x.sum(dim=dim, dtype=acc).to(dtype)


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
        b: K x N integer codes; b_zero: an int ("tensor"), or a 1-D int64 tensor of length N
            ("col"), each in b's code range.
        b_axis: "tensor" or "col".
        a_rowsum: ``a.sum(1)`` when the caller has a cheaper way to get it.
    """
    if b_axis not in ("tensor", "col"):
        raise ValueError(f"b_axis={b_axis!r}: use 'tensor' or 'col'")
    out = run(a, b)
    k = a.shape[1]
    if out.dtype == torch.int32 and not int32_holds(k, a, b):
        out = out.to(torch.int64)
    dt = out.dtype  # every term below fits it (int32_holds)
    if b_axis == "col":
        zb = b_zero.to(dt)
        if k > b.shape[1]:  # long rows (im2col patches): a @ z_b as the host's own int8 GEMM
            zmat = b_zero.to(b.dtype).view(1, -1).expand(k, -1).contiguous()
            out = out.sub_(exact_matmul(a, zmat, k * _span(a) * _span(b)))
        else:  # short rows, wide output: the row sums of a and a rank-1 update
            rs = code_sum(a, 1, dt) if a_rowsum is None else a_rowsum.to(dt)
            if out.is_cuda:  # CUDA has no integer addmm: the same outer product, broadcast
                out = out.sub_(rs.view(-1, 1) * zb.view(1, -1))
            else:
                out = out.addmm_(rs.view(-1, 1), zb.view(1, -1), alpha=-1)
        if a_zero:  # z_a sum_k (b - z_b), one value per column
            out = out.sub_(code_sum(b, 0, dt).sub_(zb, alpha=k).mul_(a_zero).view(1, -1))
        return out
    if b_zero:
        rs = code_sum(a, 1, dt) if a_rowsum is None else a_rowsum.to(dt)
        out = out.sub_(rs.mul(b_zero).view(-1, 1))
    if a_zero:
        out = out.sub_(code_sum(b, 0, dt).sub_(k * b_zero).mul_(a_zero).view(1, -1))
    return out
