"""The descriptor of one GEMM pass and its per-descriptor statistics record (byte layouts).

The host writes a list of descriptors per mini-batch; the kernel walks it and reconfigures per
descriptor. This module is the one definition of the layout: the HLS header, the Verilog
walker, the driver and the model all read ``DESC_FIELDS``/``STAT_FIELDS``.

Memory layout of the buffers in the DDR window (memory contract v2; byte offsets from MEM,
sizes in ``fpga_model.memory.buffer_spans``):
  A: M rows, B: N columns, each as digit planes (``fpga_model.planes``);
  C: M x N values, row-major, int32 or int64 (flag c64; ``needs_c64`` says when 32 bits
     cannot hold them); MASK: M rows of ceil(N/8) bytes, bit j%8 of byte j/8 is output j
     (1 = stopped early); STAT: one record of ``STAT_FIELDS`` (little-endian uint64 each).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum

__all__ = [
    "Pass", "Descriptor", "DESC_FIELDS", "DESC_WORDS", "DESC_BYTES", "STAT_FIELDS",
    "STAT_BYTES", "ERRORS", "ERROR_CODES", "FLAG_A_SIGNED", "FLAG_B_SIGNED", "FLAG_EARLY_STOP",
    "FLAG_C64", "FLAG_TAU_REL", "FLAGS", "C32_MAX_BITS", "needs_c64",
]


class Pass(IntEnum):
    """GEMM pass: FW act x weight, EB error x weight, GC act x error."""

    FW = 0
    EB = 1
    GC = 2


FLAG_A_SIGNED = 1 << 0
FLAG_B_SIGNED = 1 << 1
FLAG_EARLY_STOP = 1 << 2
FLAG_C64 = 1 << 3
# tau relative to the pass's largest |prefix| (tau word = beta * 2^16 in 0..2^16): the kernel
# first sweeps the prefix of every block, writing nothing, then runs the pass with
# tau = ceil(max|prefix| * beta) (fpga_model.cycles.pass_counters, two_sweeps).
FLAG_TAU_REL = 1 << 4
FLAGS = {"A_SIGNED": FLAG_A_SIGNED, "B_SIGNED": FLAG_B_SIGNED, "EARLY_STOP": FLAG_EARLY_STOP,
         "C64": FLAG_C64, "TAU_REL": FLAG_TAU_REL}

# Results may be int32 when a_bits + b_bits + bit_length(K) <= C32_MAX_BITS: every |code| is at
# most 2^bits and K < 2^bit_length(K), so |value| < 2^31 for every product sum and every
# early-stop prefix (a truncated code is no larger in magnitude). Cheap in hardware: two adds.
C32_MAX_BITS = 31


def needs_c64(a_bits: int, b_bits: int, k: int) -> bool:
    """Whether the results of a pass may not fit int32 (so C must be 64-bit)."""
    return a_bits + b_bits + int(k).bit_length() > C32_MAX_BITS


def _prefix_word(prefix: tuple[int, int] | None) -> int:
    """Word 15: p in bits 7:0, q in bits 15:8 (0 without an asymmetric prefix)."""
    if prefix is None:
        return 0
    p, q = prefix
    if not (1 <= p < 256 and 1 <= q < 256):
        raise ValueError(f"descriptor prefix {prefix} needs 1 <= p, q < 256")
    return p | (q << 8)


# (name, 32-bit word index, doc); 64-bit fields take two words, low word first.
DESC_FIELDS: tuple[tuple[str, int, str], ...] = (
    ("flags", 0, "bit0 a_signed, bit1 b_signed, bit2 early_stop, bit3 c64 (C is int64), "
                 "bit4 tau_rel (tau = beta * 2^16 of the pass's max |prefix|)"),
    ("pass_layer", 1, "bits 7:0 pass (0 FW, 1 EB, 2 GC), bits 31:8 layer id"),
    ("a_bits", 2, "width of A codes; must be in the generated set"),
    ("b_bits", 3, "width of B codes; must be in the generated set"),
    ("stop_ring", 4, "ring after which outputs with |partial| >= tau stop"),
    ("m", 5, "rows of A and C"),
    ("n", 6, "columns of B and C"),
    ("k", 7, "reduction length, 1..MAX_K"),
    ("a_addr", 8, "byte offset of A"),
    ("b_addr", 9, "byte offset of B"),
    ("c_addr", 10, "byte offset of C"),
    ("mask_addr", 11, "byte offset of the stop mask"),
    ("stat_addr", 12, "byte offset of the statistics record"),
    ("tau_lo", 13, "early-stop threshold (non-negative, unpadded scale), low word"),
    ("tau_hi", 14, "early-stop threshold, high word"),
    ("prefix", 15, "early stop: bits 7:0 p, bits 15:8 q (top p digits of A x top q digits of "
                   "B decide); 0: p = q = stop_ring + 1 (clipped to each operand)"),
)
DESC_WORDS = 16
DESC_BYTES = 4 * DESC_WORDS

# Per-descriptor statistics written by the kernel (uint64 each).
STAT_FIELDS: tuple[tuple[str, str], ...] = (
    ("cycles", "engine cycles of this descriptor, overheads included"),
    ("digit_products", "brick digit products on valid operands"),
    ("tile_cycles", "active tiles x compute cycles"),
    ("stopped", "outputs that stopped early"),
    ("prefix_max", "largest |prefix| of a relative-tau pass's prefix sweep (else 0)"),
    ("tau", "the early-stop threshold the pass used (the descriptor's or the relative one; "
            "0 without early stop)"),
)
STAT_BYTES = 8 * len(STAT_FIELDS)

# Why the kernel refused a descriptor (ERROR register; STATUS names which one); 0 = ok.
# The kernel checks in this order and stops at the first refused descriptor.
# (name, code, meaning): the names spell the constants in the HLS config header and the RTL
# include (ERR_<NAME>). There is no operand scan: every digit-plane pattern is a legal code.
ERRORS: tuple[tuple[str, int, str], ...] = (
    ("OK", 0, "ok"),
    ("PASS", 1, "pass is not FW, EB or GC"),
    ("A_BITS", 2, "a_bits not in the generated set"),
    ("B_BITS", 3, "b_bits not in the generated set"),
    ("SHAPE", 4, "m or n is 0"),
    ("K", 5, "k is 0 or larger than MAX_K"),
    ("EARLY_STOP", 6, "stop_ring beyond the last ring of the pair, prefix p or q outside "
                      "1..D of its operand, tau >= 2^63, or tau_rel > 2^16"),
    ("C32", 7, "c64 flag clear but a_bits + b_bits + bit_length(k) > 31: results need int64"),
)
ERROR_CODES = {code: text for _, code, text in ERRORS}


@dataclass(frozen=True)
class Descriptor:
    """One GEMM pass as the kernel sees it; ``pack()`` gives its DESC_BYTES little-endian bytes."""

    m: int
    n: int
    k: int
    a_bits: int
    b_bits: int
    a_addr: int = 0
    b_addr: int = 0
    c_addr: int = 0
    mask_addr: int = 0
    stat_addr: int = 0
    a_signed: bool = True
    b_signed: bool = True
    stop_ring: int | None = None
    tau: int | None = None
    pass_: Pass = Pass.FW
    layer: int = 0
    c64: bool = True
    prefix: tuple[int, int] | None = None  # early stop on an asymmetric prefix (p, q)
    tau_rel: int | None = None  # instead of tau: beta * 2^16, relative to the max |prefix|

    @property
    def early_stop(self) -> bool:
        return self.stop_ring is not None or self.prefix is not None

    def words(self) -> list[int]:
        flags = ((FLAG_A_SIGNED if self.a_signed else 0) | (FLAG_B_SIGNED if self.b_signed else 0)
                 | (FLAG_EARLY_STOP if self.early_stop else 0) | (FLAG_C64 if self.c64 else 0)
                 | (FLAG_TAU_REL if self.tau_rel is not None else 0))
        tau = self.tau_rel if self.tau_rel is not None else (self.tau or 0)
        vals = {
            "flags": flags,
            "pass_layer": (int(self.pass_) & 0xFF) | ((self.layer & 0xFFFFFF) << 8),
            "a_bits": self.a_bits, "b_bits": self.b_bits,
            "stop_ring": self.stop_ring or 0,
            "m": self.m, "n": self.n, "k": self.k,
            "a_addr": self.a_addr, "b_addr": self.b_addr, "c_addr": self.c_addr,
            "mask_addr": self.mask_addr, "stat_addr": self.stat_addr,
            "tau_lo": tau & 0xFFFFFFFF, "tau_hi": (tau >> 32) & 0xFFFFFFFF,
            "prefix": _prefix_word(self.prefix),
        }
        out = [0] * DESC_WORDS
        for name, idx, _ in DESC_FIELDS:
            v = vals[name]
            if not 0 <= v < (1 << 32):
                raise ValueError(f"descriptor field {name}={v} does not fit 32 bits")
            out[idx] = v
        return out

    def pack(self) -> bytes:
        return struct.pack(f"<{DESC_WORDS}I", *self.words())

    @classmethod
    def unpack(cls, data: bytes) -> "Descriptor":
        w = struct.unpack(f"<{DESC_WORDS}I", data[:DESC_BYTES])
        v = {name: w[idx] for name, idx, _ in DESC_FIELDS}
        early = bool(v["flags"] & FLAG_EARLY_STOP)
        pw = v["prefix"]
        prefix = (pw & 0xFF, (pw >> 8) & 0xFF) if early and pw & 0xFFFF else None
        rel = early and bool(v["flags"] & FLAG_TAU_REL)
        tau = (v["tau_lo"] | (v["tau_hi"] << 32)) if early else None
        return cls(
            m=v["m"], n=v["n"], k=v["k"], a_bits=v["a_bits"], b_bits=v["b_bits"],
            a_addr=v["a_addr"], b_addr=v["b_addr"], c_addr=v["c_addr"],
            mask_addr=v["mask_addr"], stat_addr=v["stat_addr"],
            a_signed=bool(v["flags"] & FLAG_A_SIGNED), b_signed=bool(v["flags"] & FLAG_B_SIGNED),
            stop_ring=v["stop_ring"] if early and prefix is None else None,
            tau=None if rel else tau, tau_rel=tau if rel else None,
            pass_=Pass(v["pass_layer"] & 0xFF), layer=v["pass_layer"] >> 8,
            c64=bool(v["flags"] & FLAG_C64), prefix=prefix,
        )

    def __repr__(self) -> str:
        sgn = ("s" if self.a_signed else "u") + ("s" if self.b_signed else "u")
        et = f", stop_ring={self.stop_ring}, tau={self.tau}" if self.early_stop else ""
        if self.prefix is not None:
            et = f", prefix={self.prefix}, tau={self.tau}"
        if self.tau_rel is not None:
            et = et.replace(f"tau={self.tau}", f"tau_rel={self.tau_rel}")
        c = "" if self.c64 else ", c32"
        return (f"Descriptor({self.pass_.name} L{self.layer} {self.m}x{self.k}x{self.n} "
                f"@{self.a_bits}x{self.b_bits}{sgn}{et}{c})")


