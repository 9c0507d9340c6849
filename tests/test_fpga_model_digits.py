"""Digits: exhaustive split/join, digit ranges, truncation, ring order."""

from __future__ import annotations

import numpy as np
import pytest

from fpga_model import code_range, num_digits, pad_bits, ring_pairs, split_digits, truncate
from fpga_model.digits import join_digits, kept_digits


@pytest.mark.parametrize("bits", range(2, 13))
@pytest.mark.parametrize("signed", [True, False])
def test_split_join_exhaustive(bits, signed):
    lo, hi = code_range(bits, signed)
    for x in range(lo, hi + 1):
        d = split_digits(x, bits, signed)
        assert len(d) == num_digits(bits)
        assert join_digits(d, bits) == x
        top_lo, top_hi = (-2, 1) if signed else (0, 3)
        assert top_lo <= d[0] <= top_hi
        assert all(0 <= v <= 3 for v in d[1:])


def test_odd_widths_pad_at_the_bottom():
    # a 3-bit x is x<<1 in two digits: the top digit holds the top two real bits
    assert pad_bits(3) == 1 and split_digits(0b101, 3, False) == [0b10, 0b10]
    assert split_digits(-4, 3, True) == [-2, 0]


def test_out_of_range_code():
    with pytest.raises(ValueError, match=r"code 8 is out of range \[-8, 7\] for 4-bit signed"):
        split_digits(8, 4, True)


@pytest.mark.parametrize("bits", range(2, 13))
@pytest.mark.parametrize("signed", [True, False])
def test_truncate_keeps_top_digits(bits, signed):
    lo, hi = code_range(bits, signed)
    xs = np.arange(lo, hi + 1)
    for keep in range(1, num_digits(bits) + 1):
        got = truncate(xs, bits, keep)
        for x, t in zip(xs.tolist(), got.tolist()):
            d = split_digits(x, bits, signed)
            kept = d[:keep] + [0] * (len(d) - keep)
            assert t == join_digits(kept, bits) == truncate(x, bits, keep)


def test_ring_pairs_cover_each_pair_once_msb_first():
    for da in range(1, 9):
        for db in range(1, 9):
            rings = ring_pairs(da, db)
            flat = [p for ring in rings for p in ring]
            assert sorted(flat) == [(i, j) for i in range(da) for j in range(db)]
            for r, ring in enumerate(rings):
                assert all(max(i, j) == r for i, j in ring)
                # after ring r, exactly the pairs inside the top min(r+1, D) digits have run
                done = {p for ring2 in rings[:r + 1] for p in ring2}
                assert done == {(i, j) for i in range(min(r + 1, da)) for j in range(min(r + 1, db))}


def test_kept_digits():
    assert [kept_digits(r, 8) for r in range(5)] == [1, 2, 3, 4, 4]
