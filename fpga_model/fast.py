"""The fast path: the same numbers as ``gemm_reference``, from exact integer GEMMs via BLAS.

A float GEMM is exact while every partial sum stays below 2^mantissa: float32 when
K * max|a| * max|b| < 2^24, float64 below 2^53, int64 beyond (never reached for a valid
ArrayConfig at 48 bits). The early-stop prefix is the GEMM of MSB-truncated operands
(``digits.truncate``), the value the accumulator holds after the stop ring.
"""

from __future__ import annotations

import numpy as np

from .config import ArrayConfig
from .cycles import pass_counters
from .digits import kept_digits, truncate
from .operands import check_gemm_args, is_torch
from .result import GemmResult

__all__ = ["gemm", "exact_matmul"]

_F32_EXACT = 1 << 24
_F64_EXACT = 1 << 53


def exact_matmul(a, b, bound: int):
    """Exact integer product of integer matrices whose partial sums are bounded by ``bound``.

    Takes numpy arrays (returns int64 numpy) or torch tensors (returns int64 torch, same device).
    """
    if is_torch(a):
        import torch

        if bound < _F32_EXACT and a.device.type == "cpu":
            dt = torch.float32
        elif bound < _F64_EXACT:
            dt = torch.float64  # on CUDA fp64 is exact and fast for these shapes (DESIGN §5)
        else:
            return a.to(torch.int64) @ b.to(torch.int64)
        return (a.to(dt) @ b.to(dt)).to(torch.int64)
    if bound < _F32_EXACT:
        dt = np.float32
    elif bound < _F64_EXACT:
        dt = np.float64
    else:
        return a.astype(np.int64) @ b.astype(np.int64)
    return (a.astype(dt, copy=False) @ b.astype(dt, copy=False)).astype(np.int64)


def _np(x) -> np.ndarray:
    return x.cpu().numpy() if is_torch(x) else np.asarray(x)


def gemm(cfg: ArrayConfig, a, b, a_bits: int, b_bits: int, *, a_signed: bool = True,
         b_signed: bool = True, stop_ring: int | None = None, tau: int | None = None,
         device: str | None = None) -> GemmResult:
    """GEMM of integer codes ``a`` (M x K) and ``b`` (K x N) on the array, bit-exact.

    Same contract as ``gemm_reference``. Operands may be numpy arrays (keep them in compact
    dtypes such as int8/int16) or torch tensors; ``device="cuda"`` moves numpy operands to the
    GPU and runs there (values come back as numpy). The stop mask is always numpy.
    """
    to_numpy = False
    if device is not None and device != "cpu" and not is_torch(a):
        import torch

        a, b = torch.as_tensor(np.asarray(a), device=device), torch.as_tensor(np.asarray(b), device=device)
        to_numpy = True
    elif not is_torch(a):
        a, b = np.asarray(a), np.asarray(b)
    g = check_gemm_args(cfg, a, b, a_bits, b_bits, a_signed, b_signed, stop_ring, tau)
    worst = (g.k * cfg.digit_abs_bound(a_bits, a_signed) * cfg.digit_abs_bound(b_bits, b_signed))
    if worst >= 1 << (cfg.acc_width - 1):
        # a partial sum might not fit the accumulator: let the definition decide (it raises)
        from .reference import gemm_reference

        ref = gemm_reference(cfg, _np(a), _np(b), a_bits, b_bits, a_signed=a_signed,
                             b_signed=b_signed, stop_ring=stop_ring, tau=tau)
        return ref
    values = exact_matmul(a, b, g.k * g.a_absmax * g.b_absmax)
    stopped_np = None
    if g.stop_ring is not None:
        ta = truncate(a, a_bits, kept_digits(g.stop_ring, a_bits))
        tb = truncate(b, b_bits, kept_digits(g.stop_ring, b_bits))
        # |trunc(x)| <= |x| rounded down to a digit boundary, at most one step larger in magnitude
        bound = g.k * (g.a_absmax + (1 << a_bits)) * (g.b_absmax + (1 << b_bits))
        partial = exact_matmul(ta, tb, bound)
        stopped = partial.abs() >= g.tau if is_torch(partial) else np.abs(partial) >= g.tau
        if is_torch(values):
            import torch

            values = torch.where(stopped, partial, values)
            stopped_np = stopped.cpu().numpy()
        else:
            values = np.where(stopped, partial, values)
            stopped_np = stopped
    counters = pass_counters(cfg, g.m, g.n, g.k, a_bits, b_bits, g.stop_ring, stopped_np)
    if stopped_np is None:
        stopped_np = np.zeros((g.m, g.n), dtype=bool)
    if to_numpy:
        values = values.cpu().numpy()
    return GemmResult(values, stopped_np, counters["cycles"], counters)
