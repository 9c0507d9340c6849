"""Checks shared by both model paths: widths in the set, shapes, K, code ranges, early-stop args."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .config import ArrayConfig
from .digits import code_range, prefix_keep
from .errors import ConfigError

__all__ = ["GemmArgs", "check_gemm_args", "is_torch", "TAU_REL_ONE", "relative_tau"]

TAU_REL_ONE = 1 << 16  # tau_rel is a fraction in units of 2^-16 (beta = tau_rel / 2^16)


def relative_tau(prefix_max: int, tau_rel: int) -> int:
    """The threshold of a relative-tau pass: ceil(max|prefix| * tau_rel / 2^16), integers only
    (one multiply and a shift in hardware, once per pass after the prefix sweep)."""
    return (int(prefix_max) * int(tau_rel) + TAU_REL_ONE - 1) >> 16


_TORCH_TYPE: dict[type, bool] = {}


def is_torch(x) -> bool:
    """True for torch tensors (without importing torch): the answer is cached per type."""
    t = type(x)
    hit = _TORCH_TYPE.get(t)
    if hit is None:
        hit = _TORCH_TYPE[t] = t.__module__.startswith("torch")
    return hit


@dataclass(frozen=True)
class GemmArgs:
    m: int
    n: int
    k: int
    a_bits: int
    b_bits: int
    a_signed: bool
    b_signed: bool
    stop_ring: int | None
    tau: int | None
    a_absmax: int
    b_absmax: int
    keep: tuple[int, int] | None = None  # (p, q) digits of the early-stop prefix; None: no stop
    tau_rel: int | None = None  # tau = ceil(max|prefix| * tau_rel / 2^16) (two sweeps)


def _minmax(x) -> tuple[int, int]:
    if (x.numel() if is_torch(x) else x.size) == 0:
        return 0, 0
    return int(x.min()), int(x.max())


@lru_cache(maxsize=None)
def _held_range(dtype) -> tuple[int, int] | None:
    """(min, max) that an integer dtype (torch or numpy) can hold; None for other dtypes."""
    if not isinstance(dtype, np.dtype):  # a torch dtype
        import torch

        if dtype.is_floating_point or dtype.is_complex:
            return None
        if dtype == torch.bool:
            return 0, 1
        info = torch.iinfo(dtype)
        return info.min, info.max
    if dtype.kind not in "iu":
        return None
    info = np.iinfo(dtype)
    return int(info.min), int(info.max)


def _check_codes(x, name: str, bits: int, signed: bool) -> int:
    """Raise unless every code of ``x`` is in the width's range; return a bound on |code|.

    A dtype that cannot hold an out-of-range code (int8 for 8-bit signed, uint8 for 8-bit
    unsigned) needs no scan: the bound is then the dtype's.
    """
    held = _held_range(x.dtype)
    if held is None:
        if is_torch(x):
            raise ConfigError(f"{name} holds {x.dtype} values; pass integer codes")
        raise ConfigError(f"{name} holds {x.dtype} values; pass integer codes "
                          f"(e.g. np.int16)")
    lo, hi = code_range(bits, signed)
    if lo <= held[0] and held[1] <= hi:
        return max(-held[0], held[1])
    xmin, xmax = _minmax(x)
    if xmin < lo or xmax > hi:
        bad = xmin if xmin < lo else xmax
        kind = "signed" if signed else "unsigned"
        raise ConfigError(f"{name} code {bad} is out of range [{lo}, {hi}] for {bits}-bit "
                          f"{kind} operands; quantize to that range first")
    return max(abs(xmin), abs(xmax))


def _check_prefix(cfg: ArrayConfig, a_bits: int, b_bits: int, prefix) -> tuple[int, int]:
    """(p, q) of an asymmetric prefix, each in 1..D of its operand."""
    da, db = cfg.digits(a_bits), cfg.digits(b_bits)
    ok = (isinstance(prefix, (tuple, list)) and len(prefix) == 2
          and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in prefix))
    if not ok or not (1 <= prefix[0] <= da and 1 <= prefix[1] <= db):
        raise ConfigError(f"prefix {prefix!r} must be (p, q) with 1 <= p <= {da} digits of A "
                          f"and 1 <= q <= {db} digits of B for the {a_bits}x{b_bits} pair")
    return int(prefix[0]), int(prefix[1])


def check_gemm_args(cfg: ArrayConfig, a, b, a_bits: int, b_bits: int, a_signed: bool,
                    b_signed: bool, stop_ring: int | None, tau: int | None,
                    prefix: tuple[int, int] | None = None,
                    tau_rel: int | None = None) -> GemmArgs:
    """Validate a GEMM request against the configuration; raise ConfigError naming the fix.

    Early stop takes ``tau`` with either the symmetric ``stop_ring`` or an asymmetric
    ``prefix`` (p, q) (top p digits of A x top q digits of B), not both. ``tau_rel`` (a
    fraction of 2^16) replaces ``tau``: the threshold is relative to this pass's largest
    |prefix| (``TAU_REL_ONE``).
    """
    if tau_rel is not None:
        if tau is not None:
            raise ConfigError("early termination takes tau or tau_rel, not both")
        if (not isinstance(tau_rel, (int, np.integer)) or isinstance(tau_rel, bool)
                or not 0 <= tau_rel <= TAU_REL_ONE):
            raise ConfigError(f"tau_rel {tau_rel!r} must be an integer fraction of 2^16 in "
                              f"0..{TAU_REL_ONE} (beta * 65536)")
        tau = 0  # checked as a tau; the pass derives the real one from its prefix maximum
    cfg.check_pair(a_bits, b_bits)
    if len(a.shape) != 2 or len(b.shape) != 2:
        raise ConfigError(f"operands must be 2-D (A: M x K, B: K x N); got shapes "
                          f"{tuple(a.shape)} and {tuple(b.shape)}")
    m, k = a.shape
    k2, n = b.shape
    if k != k2:
        raise ConfigError(f"inner dimensions differ: A is {m}x{k}, B is {k2}x{n}")
    if min(m, n, k) < 1:
        raise ConfigError(f"empty GEMM {m}x{k}x{n}; M, N and K must be at least 1")
    if k > cfg.max_k:
        raise ConfigError(f"K={k} exceeds the array's max K {cfg.max_k}; split the reduction "
                          f"or regenerate with a larger --max-k")
    if stop_ring is not None and prefix is not None:
        raise ConfigError("early termination takes a stop_ring or a prefix (p, q), not both")
    if (stop_ring is None and prefix is None) != (tau is None):
        raise ConfigError("early termination needs both stop_ring and tau (or neither)")
    keep = None
    if prefix is not None:
        keep = _check_prefix(cfg, a_bits, b_bits, prefix)
    if stop_ring is not None or prefix is not None:
        rings = max(cfg.digits(a_bits), cfg.digits(b_bits))
        if prefix is None and (not isinstance(stop_ring, (int, np.integer))
                               or not 0 <= stop_ring < rings):
            raise ConfigError(f"stop ring {stop_ring!r} is outside 0..{rings - 1} for the "
                              f"{a_bits}x{b_bits} pair")
        if not isinstance(tau, (int, np.integer)) or tau < 0 or tau >= (1 << 63):
            raise ConfigError(f"tau {tau!r} must be a non-negative integer in the output scale")
        tau = int(tau)
        if prefix is None:
            stop_ring = int(stop_ring)
            keep = prefix_keep(cfg.digits(a_bits), cfg.digits(b_bits), stop_ring)
    amax = _check_codes(a, "A", a_bits, a_signed)
    bmax = _check_codes(b, "B", b_bits, b_signed)
    return GemmArgs(m, n, k, a_bits, b_bits, bool(a_signed), bool(b_signed), stop_ring, tau,
                    amax, bmax, keep, None if tau_rel is None else int(tau_rel))
