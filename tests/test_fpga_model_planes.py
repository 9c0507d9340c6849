"""Digit planes in DDR (memory contract v2): the layout by hand, packing round trips, sizes."""

from __future__ import annotations

import numpy as np
import pytest

from fpga_model import Descriptor, code_range, split_digits
from fpga_model.memory import buffer_spans, mask_row_bytes, pack_mask, unpack_mask
from fpga_model.planes import (PLANE_K, line_words, operand_bytes, pack_planes, plane_chunks,
                               unpack_planes)


def test_one_line_by_hand():
    # a 6-bit signed line of 17 codes: 2 chunks x 3 planes; digit l of a word at bits 2l+1:2l
    x = np.zeros((1, 17), dtype=np.int16)
    x[0, 0], x[0, 1], x[0, 16] = -1, 0b011011, -32
    w = pack_planes(x, 6)
    assert w.shape == (1, 2, 3) and w.dtype == np.dtype("<u4")
    assert [int(v) for v in w[0, 0]] == [0b0111, 0b1011, 0b1111]  # planes top to bottom
    assert [int(v) for v in w[0, 1]] == [0b10, 0, 0]


@pytest.mark.parametrize("bits", [2, 3, 4, 5, 7, 8, 12, 16])
@pytest.mark.parametrize("signed", [True, False])
def test_round_trip_and_digits(bits, signed):
    rng = np.random.default_rng(bits)
    lo, hi = code_range(bits, signed)
    x = rng.integers(lo, hi + 1, (5, 37))
    x[0, :2] = lo, hi
    w = pack_planes(x, bits)
    assert w.nbytes == operand_bytes(5, 37, bits) == 5 * line_words(37, bits) * 4
    back = unpack_planes(w.tobytes(), 0, 5, 37, bits, signed)
    assert (back == x).all()
    d = w.shape[2]
    for kk in (0, 17, 36):  # the planes hold split_digits, MSB plane first
        digits = [int(w[1, kk // PLANE_K, p]) >> (2 * (kk % PLANE_K)) & 3 for p in range(d)]
        want = split_digits(int(x[1, kk]), bits, signed)
        assert [v & 3 for v in want] == digits


def test_sizes():
    assert plane_chunks(1) == 1 and plane_chunks(16) == 1 and plane_chunks(17) == 2
    d = Descriptor(m=3, n=10, k=33, a_bits=3, b_bits=12, a_addr=64, b_addr=128, c_addr=256,
                   mask_addr=512, stat_addr=576, c64=False)
    assert buffer_spans(d) == {"A": (64, 3 * 3 * 2 * 4), "B": (128, 10 * 3 * 6 * 4),
                               "C": (256, 4 * 30), "MASK": (512, 3 * 2), "STAT": (576, 48)}
    assert buffer_spans(Descriptor(**{**d.__dict__, "c64": True}))["C"] == (256, 8 * 30)


def test_mask_rows_are_padded_to_bytes():
    stopped = np.zeros((2, 10), dtype=bool)
    stopped[0, 0] = stopped[0, 9] = stopped[1, 8] = True
    raw = pack_mask(stopped)
    assert raw == bytes([0x01, 0x02, 0x00, 0x01]) and mask_row_bytes(10) == 2
    assert (unpack_mask(raw, 0, 2, 10) == stopped).all()
