"""Operand digits: the split of b-bit codes into 2-bit digits, MSB first, and the ring order.

Pure integer functions shared by the reference model, the fast path and the code generators.
An odd width is padded at the bottom (a 3-bit x becomes x<<1), so the top digit always holds the
top real bits; the top digit of a signed operand is signed ([-2, 1]), the others unsigned ([0, 3]).
"""

from __future__ import annotations

from functools import cache

__all__ = [
    "num_digits", "pad_bits", "code_range", "split_digits", "join_digits",
    "truncate", "ring_pairs", "kept_digits", "prefix_keep", "prefix_groups",
]

BRICK_WIDTH = 2  # default digit width; ArrayConfig.brick_width is the one place that sets it


def num_digits(bits: int, brick_width: int = BRICK_WIDTH) -> int:
    """D = ceil(bits / brick_width)."""
    return -(-bits // brick_width)


def pad_bits(bits: int, brick_width: int = BRICK_WIDTH) -> int:
    """Zero bits appended at the bottom so that the width is a whole number of digits."""
    return num_digits(bits, brick_width) * brick_width - bits


def code_range(bits: int, signed: bool) -> tuple[int, int]:
    """Inclusive (lo, hi) of integer codes at this width and signedness."""
    if signed:
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


def split_digits(x: int, bits: int, signed: bool, brick_width: int = BRICK_WIDTH) -> list[int]:
    """Digits of code ``x``, most significant first, after bottom padding.

    The top digit is two's-complement when ``signed`` (range [-2^(w-1), 2^(w-1)-1]).
    """
    lo, hi = code_range(bits, signed)
    if not lo <= x <= hi:
        raise ValueError(f"code {x} is out of range [{lo}, {hi}] for {bits}-bit "
                         f"{'signed' if signed else 'unsigned'} operands")
    d = num_digits(bits, brick_width)
    xp = x << pad_bits(bits, brick_width)
    mask = (1 << brick_width) - 1
    out = []
    for p in range(d):  # p = 0 is the top digit
        shift = brick_width * (d - 1 - p)
        if p == 0:
            out.append(xp >> shift)  # arithmetic shift keeps the sign of a signed top digit
        else:
            out.append((xp >> shift) & mask)
    return out


def join_digits(digits: list[int], bits: int, brick_width: int = BRICK_WIDTH) -> int:
    """Inverse of split_digits: the code value (unpadded scale)."""
    d = len(digits)
    acc = 0
    for p, v in enumerate(digits):
        acc += v << (brick_width * (d - 1 - p))
    return acc >> pad_bits(bits, brick_width)


def kept_digits(ring: int, bits: int, brick_width: int = BRICK_WIDTH) -> int:
    """Digits of an operand that take part once rings 0..ring have run: min(ring+1, D)."""
    return min(ring + 1, num_digits(bits, brick_width))


def truncate(x, bits: int, keep: int, brick_width: int = BRICK_WIDTH):
    """Code ``x`` truncated (arithmetic shift, toward -inf) to its top ``keep`` digits.

    Returned in the unpadded scale; works on ints and on numpy/torch integer arrays. It is an
    integer for every keep >= 1 because a dropped digit is at least as wide as the pad.
    """
    d = num_digits(bits, brick_width)
    if keep >= d:
        return x
    drop = brick_width * (d - keep) - pad_bits(bits, brick_width)
    return (x >> drop) << drop


@cache
def ring_pairs(d_a: int, d_b: int) -> tuple[tuple[tuple[int, int], ...], ...]:
    """Digit pairs (p_a, p_b) per ring, MSB-first: ring r holds the pairs with max(p_a, p_b) = r.

    p = 0 is an operand's top digit. Within a ring pairs are in lexicographic order; the order
    inside a ring does not change any value the contract exposes (ring boundaries do).
    """
    rings = []
    for r in range(max(d_a, d_b)):
        rings.append(tuple((pa, pb) for pa in range(d_a) for pb in range(d_b)
                           if max(pa, pb) == r))
    return tuple(rings)


def prefix_keep(d_a: int, d_b: int, stop_ring: int | None = None,
                prefix: tuple[int, int] | None = None) -> tuple[int, int]:
    """(p, q): the digits of A and of B that the early-stop prefix keeps.

    ``prefix`` names them directly (top p digits of A x top q digits of B, E2-Train's
    asymmetric predictor); the symmetric ``stop_ring`` R keeps min(R+1, D) of each, which is
    what rings 0..R hold; neither means the whole computation (D_a, D_b).
    """
    if prefix is not None:
        return int(prefix[0]), int(prefix[1])
    if stop_ring is not None:
        return min(stop_ring + 1, d_a), min(stop_ring + 1, d_b)
    return d_a, d_b


@cache
def prefix_groups(d_a: int, d_b: int, p: int, q: int
                  ) -> tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]:
    """The issue order with a prefix: (pairs with p_a < p and p_b < q, the other pairs).

    Each group keeps the MSB-first ring order of ``ring_pairs``. After the first group the
    accumulator holds exactly trunc_p(A) @ trunc_q(B) (``truncate`` to p and q digits); the
    symmetric stop ring R is p = q = R+1. Both groups are runs of whole rings: the first
    covers rings 0..max(p, q)-1, the second starts at ring min(p if p < D_a, q if q < D_b)
    (every later ring has a pair outside the prefix), which is what the RTL's ring steps use.
    """
    first, rest = [], []
    for ring in ring_pairs(d_a, d_b):
        for pa, pb in ring:
            (first if pa < p and pb < q else rest).append((pa, pb))
    return tuple(first), tuple(rest)
