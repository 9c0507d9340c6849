"""Digit planes: how operand codes lie in DDR (memory contract v2, DESIGN §4.1).

An operand is a list of *lines* (A: its M rows; B: its N columns), each K codes long. A line is
cut into 16-wide K chunks; per chunk it holds D = ceil(b/2) plane words of 32 bits, the most
significant digit plane first. Word bits [2l+1:2l] hold the digit of reduction index
16*chunk + l, in the bottom-padded two's-complement code (a 3-bit x is x<<1). So a line is
ceil(K/16) * D words, lines follow each other, and the bytes moved scale with the width.

Every bit pattern is a legal digit: there is no code-range check. Two rules keep stray bits
harmless, and every reader (model, C-sim, RTL) applies them the same way:
  * the pad bit of an odd width (bit 0 of every digit in the bottom plane) is masked: it is
    read as 0, so the code is ``padded >> pad``;
  * lanes past K in a line's last chunk are masked: they read as zero digits.
The packer writes zeros there, so packed images never rely on the masks.

The array consumes a plane word in BRICKS-wide chunks: ``ArrayConfig`` requires BRICKS to divide
PLANE_K (1, 2, 4, 8 or 16), so a chunk never straddles two words.
"""

from __future__ import annotations

import numpy as np

from .digits import num_digits, pad_bits

__all__ = ["PLANE_K", "PLANE_BYTES", "plane_chunks", "line_words", "operand_bytes",
           "pack_planes", "unpack_planes"]

PLANE_K = 16  # digits (reduction indices) per plane word
PLANE_BYTES = 4  # one plane word: PLANE_K two-bit digits

_LANE_SHIFTS = (2 * np.arange(PLANE_K)).astype(np.uint32)


def plane_chunks(k: int) -> int:
    """16-wide K chunks of a line: ceil(K / PLANE_K)."""
    return -(-k // PLANE_K)


def line_words(k: int, bits: int) -> int:
    """Plane words of one line of K codes at this width."""
    return plane_chunks(k) * num_digits(bits)


def operand_bytes(lines: int, k: int, bits: int) -> int:
    """Bytes of an operand of ``lines`` lines of K codes."""
    return lines * line_words(k, bits) * PLANE_BYTES


def pack_planes(x, bits: int) -> np.ndarray:
    """Plane words (lines x chunks x D, little-endian uint32) of a lines x K code matrix.

    ``x`` holds integer codes (numpy or a CPU torch tensor) in the width's range; signedness does
    not matter here (the bits are the two's-complement bits, the descriptor says how to read
    the top digit). Vectorised on bytes: per plane, four 2-bit digits make one byte of a word.
    """
    x = np.asarray(x)
    if x.dtype.kind not in "iu":
        x = x.astype(np.int64)
    lines, k = x.shape
    d, pad = num_digits(bits), pad_bits(bits)
    chunks = plane_chunks(k)
    u = np.zeros((lines, chunks * PLANE_K), dtype=np.uint16)  # 2D <= 16 bits: the padded code
    np.left_shift(x, pad, out=u[:, :k], casting="unsafe")
    out = np.empty((lines, chunks, d, PLANE_BYTES), dtype=np.uint8)
    for p in range(d):
        digits = (u >> (2 * (d - 1 - p))).astype(np.uint8).reshape(lines, chunks, PLANE_BYTES, 4)
        digits &= 3
        byte = out[:, :, p, :]
        np.copyto(byte, digits[..., 0])
        for lane in range(1, 4):
            byte |= digits[..., lane] << np.uint8(2 * lane)
    return out.view("<u4").reshape(lines, chunks, d)


def unpack_planes(mem, offset: int, lines: int, k: int, bits: int, signed: bool) -> np.ndarray:
    """The lines x K codes (int64) that an operand's plane words at ``offset`` mean.

    Applies the contract's masks: the pad bit of an odd width and the lanes past K are ignored.
    """
    d, pad = num_digits(bits), pad_bits(bits)
    chunks = plane_chunks(k)
    words = np.frombuffer(mem, dtype="<u4", count=lines * chunks * d,
                          offset=offset).reshape(lines, chunks, d)
    u = np.zeros((lines, chunks, PLANE_K), dtype=np.int64)
    for p in range(d):
        u = (u << 2) | ((words[:, :, p, None] >> _LANE_SHIFTS) & 3).astype(np.int64)
    u = u.reshape(lines, chunks * PLANE_K)[:, :k]
    width = 2 * d
    if signed:
        u = u - (((u >> (width - 1)) & 1) << width)
    return u >> pad
