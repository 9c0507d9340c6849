"""The definition: a digit- and brick-level model of the array (slow, exact, checked).

Each tile takes one digit pair (p_a, p_b) at a time: 16 bricks multiply 2-bit digits of 16
reduction indices, an adder tree sums them, one shifter moves the sum by the pair's weight, and
the accumulator adds it with a range check. Pairs come in MSB-first rings (``digits.ring_pairs``),
the early-stop prefix's pairs first (``digits.prefix_groups``).
"""

from __future__ import annotations

import numpy as np

from .config import ArrayConfig
from .cycles import pass_counters
from .digits import num_digits, pad_bits, prefix_groups
from .errors import AccumulatorOverflow
from .operands import check_gemm_args, relative_tau
from .result import GemmResult

__all__ = ["gemm_reference", "brick_product", "digit_planes"]


def brick_product(x, y, x_signed, y_signed):
    """One 2b x 2b brick: raw 2-bit patterns ``x``, ``y`` (0..3), sign-mode bit per operand.

    In signed mode a pattern is a two's-complement digit in [-2, 1]; else unsigned in [0, 3].
    The product lies in [-6, 9] (5-bit signed). Works elementwise on numpy arrays.
    """
    xv = np.where(np.logical_and(x_signed, np.asarray(x) >= 2), np.asarray(x) - 4, x)
    yv = np.where(np.logical_and(y_signed, np.asarray(y) >= 2), np.asarray(y) - 4, y)
    return xv * yv


def digit_planes(codes: np.ndarray, bits: int, brick_width: int = 2) -> np.ndarray:
    """Raw 2-bit digit patterns of ``codes`` after bottom padding, shape (D, *codes.shape).

    Plane 0 is the top digit; patterns are two's-complement bits (the sign mode decodes them).
    """
    d = num_digits(bits, brick_width)
    xp = codes.astype(np.int64) << pad_bits(bits, brick_width)
    mask = (1 << brick_width) - 1
    return np.stack([(xp >> (brick_width * (d - 1 - p))) & mask for p in range(d)])


def gemm_reference(cfg: ArrayConfig, a, b, a_bits: int, b_bits: int, *, a_signed: bool = True,
                   b_signed: bool = True, stop_ring: int | None = None,
                   tau: int | None = None, prefix: tuple[int, int] | None = None,
                   tau_rel: int | None = None) -> GemmResult:
    """Digit/brick-level GEMM of integer codes ``a`` (M x K) and ``b`` (K x N); the definition.

    Without early termination ``values == a @ b`` exactly. With ``stop_ring=R, tau=T`` an output
    whose partial after ring R satisfies |partial| >= T stops with that partial; with
    ``prefix=(p, q)`` the pairs of the top p digits of A and top q digits of B are issued first
    (``digits.prefix_groups``) and the partial after them decides. ``tau_rel`` (instead of
    ``tau``): the array first sweeps the prefix over every block and keeps its largest
    |partial|; tau is ``operands.relative_tau`` of it, then each block decides and runs on.
    Raises ConfigError for bad widths, shapes, K or codes, AccumulatorOverflow on overflow.
    """
    a = np.asarray(a)
    b = np.asarray(b)
    g = check_gemm_args(cfg, a, b, a_bits, b_bits, a_signed, b_signed, stop_ring, tau, prefix,
                        tau_rel)
    bw, L = cfg.brick_width, cfg.bricks
    da, db = cfg.digits(a_bits), cfg.digits(b_bits)
    pa_planes = digit_planes(a, a_bits, bw)  # (Da, M, K)
    pb_planes = digit_planes(b, b_bits, bw)  # (Db, K, N)
    lo, hi = -(1 << (cfg.acc_width - 1)), (1 << (cfg.acc_width - 1)) - 1
    unpad = pad_bits(a_bits, bw) + pad_bits(b_bits, bw)
    acc = np.zeros((g.m, g.n), dtype=np.int64)
    partial = None
    keep = g.keep or (da, db)
    for r, group in enumerate(prefix_groups(da, db, *keep)):
        for pa, pb in group:
            sa = a_signed and pa == 0  # sign mode only on a signed operand's top digit
            sb = b_signed and pb == 0
            shift = bw * ((da - 1 - pa) + (db - 1 - pb))
            for k0 in range(0, g.k, L):  # one chunk of L bricks per cycle
                xa = pa_planes[pa][:, k0:k0 + L]  # (M, L)
                xb = pb_planes[pb][k0:k0 + L, :]  # (L, N)
                prods = brick_product(xa[:, :, None], xb[None, :, :], sa, sb)  # (M, L, N)
                assert prods.min() >= -6 and prods.max() <= 9
                tree = prods.sum(axis=1)  # 16-input adder tree
                acc = acc + (tree << shift)
                if acc.min() < lo or acc.max() > hi:
                    raise AccumulatorOverflow(
                        f"accumulator overflow at ring {max(pa, pb)}, pair ({pa},{pb}): a partial sum "
                        f"left the {cfg.acc_width}-bit range; lower K or widen --acc-width")
        if g.keep is not None and r == 0:
            partial = acc.copy()
    values = acc >> unpad
    pmax = tau_used = 0
    if g.keep is not None:
        assert partial is not None
        part = partial >> unpad
        assert (part << unpad == partial).all()  # the prefix is an integer in the output scale
        pmax = int(np.abs(part).max())
        tau_used = g.tau if g.tau_rel is None else relative_tau(pmax, g.tau_rel)
        stopped = np.abs(part) >= tau_used
        values = np.where(stopped, part, values)
    else:
        stopped = np.zeros((g.m, g.n), dtype=bool)
    counters = pass_counters(cfg, g.m, g.n, g.k, a_bits, b_bits, g.stop_ring,
                             stopped if g.keep is not None else None, prefix=g.keep,
                             two_sweeps=g.tau_rel is not None)
    # what the array reports in STAT: the prefix sweep's maximum (relative tau) and the tau
    counters["prefix_max"], counters["tau"] = pmax if g.tau_rel is not None else 0, tau_used
    return GemmResult(values.astype(np.int64), stopped, counters["cycles"], counters)
