"""ArrayConfig: the one contract that the model, templates, RTL and driver all read.

Generate-time facts live here (the bit-width set, tile grid, accumulator, max K, board, clock);
every derived hardware number (digits, shifter range, rings, parameters for HDL) comes from its
methods, so nothing else re-derives array parameters.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable

from boards import Board, load_board

from . import digits as _d
from .errors import ConfigError
from .planes import PLANE_BYTES, PLANE_K
from .resources import ResourceEstimate, estimate_resources

# Byte-address bits of the RTL's DDR movers and walker (MEM_ADDR_W): at least the board's
# port_addr_bits (its DDR), and 40 so that the simulations' DDR windows above 4 GiB (MEM_HI in
# use) stay reachable; 40-bit address arithmetic is still one carry chain under the timing rule's
# 48 bits.
MEM_ADDR_BITS = 40

__all__ = ["ArrayConfig", "parse_bits", "parse_tiles", "DEFAULT_BITS", "MIN_BITS", "MAX_BITS"]

MIN_BITS, MAX_BITS = 2, 16
DEFAULT_BITS = (3, 4, 6, 8, 12)
DEFAULT_MAX_K = 1 << 17  # GC pass of a 32x32 CIFAR layer at batch 128: N*H*W = 131072
MIN_CLOCK_MHZ, MAX_CLOCK_MHZ = 1.0, 1000.0  # no Zynq/UltraScale+ fabric clock is faster


def parse_bits(text: str | Iterable[int]) -> tuple[int, ...]:
    """Parse a bit-width set such as ``"3,4,6,8,12"`` (no sorting or checks: ArrayConfig does them)."""
    if isinstance(text, str):
        parts = [p.strip() for p in text.split(",") if p.strip()]
        out = []
        for p in parts:
            try:
                out.append(int(p))
            except ValueError:
                raise ConfigError(f"bit-width {p!r} is not an integer; pass --bits as a "
                                  f"comma-separated list such as 3,4,6,8,12") from None
        return tuple(out)
    return tuple(text)


def parse_tiles(text: str) -> tuple[int, int]:
    """Parse a tile grid ``"8x8"`` into (rows, cols)."""
    try:
        r, c = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ConfigError(f"tile grid {text!r} is not ROWSxCOLS; pass e.g. --tiles 8x8") from None
    return r, c


# On-chip sums of K-outer passes (the RTL's frac_acc_ram, the HLS kernel's accumulators): a
# quarter of the board's BRAM at ACC_BYTES a sum; the RTL caps the count at ACC_OUTPUTS_MAX.
BRAM36_BYTES = 4608  # 36 Kb of data per BRAM36
ACC_SHARE = 0.25  # of the board's BRAM for the sums
ACC_BYTES = 6  # one 48-bit sum
ACC_OUTPUTS_MAX = 1 << 16  # the cap on ArrayConfig.acc_outputs (frac_acc_ram's depth)


@dataclass(frozen=True)
class ArrayConfig:
    """A recursive digit array for a bit-width set on a board.

    Args:
        bits: the widths the hardware supports (2..16, no duplicates); a descriptor may pick any
            pair from the set.
        board: board name (see ``fracfpga boards``).
        tiles: tile grid (rows TM, cols TN), or its text ``"8x8"``; each tile owns one output
            at a time.
        bricks: bricks per tile (reduction lanes; K is walked in chunks of this). It must divide
            the 16 digits of a DDR plane word (1, 2, 4, 8 or 16), so that a chunk never
            straddles two words (``fpga_model.planes``).
        brick_width: digit width in bits (2: every width maps to D = ceil(b/2) digits).
        acc_width: signed accumulator width in bits (48: one DSP48 per tile).
        max_k: longest reduction; default: the largest power of two up to 2^17 that cannot
            overflow the accumulator for the widest pair.
        clock_mhz: array clock; default the board's PL clock.
    """

    bits: tuple[int, ...] = DEFAULT_BITS
    board: str = "zc706"
    tiles: tuple[int, int] = (8, 8)
    bricks: int = 16
    brick_width: int = 2
    acc_width: int = 48
    max_k: int | None = None
    clock_mhz: float | None = None

    def __post_init__(self) -> None:
        for name in ("bricks", "brick_width", "acc_width"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool):
                raise ConfigError(f"{name} {v!r} is not an integer; pass e.g. "
                                  f"{name}={getattr(type(self), name)}")
        if not isinstance(self.board, str):
            raise ConfigError(f"board {self.board!r} is not a board name; pass e.g. "
                              f"board='zc706' (see `fracfpga boards`)")
        if isinstance(self.tiles, str):
            object.__setattr__(self, "tiles", parse_tiles(self.tiles))
        bits = self._check_bits(self.bits)
        object.__setattr__(self, "bits", bits)
        object.__setattr__(self, "board", self.board_info.name)
        tiles = tuple(self.tiles)
        if (len(tiles) != 2 or any(not isinstance(t, int) or isinstance(t, bool) or t < 1
                                   for t in tiles)):
            raise ConfigError(f"tile grid {self.tiles!r} must be two positive integers; "
                              f"pass e.g. --tiles 8x8")
        object.__setattr__(self, "tiles", tiles)
        if self.bricks < 1 or self.brick_width != 2:
            raise ConfigError(f"bricks={self.bricks}, brick_width={self.brick_width}: the array "
                              f"is built from 2-bit bricks, at least one per tile")
        if PLANE_K % self.bricks:
            raise ConfigError(f"bricks={self.bricks} does not divide the {PLANE_K} digits of a "
                              f"DDR plane word; use 1, 2, 4, 8 or 16 bricks per tile")
        if not 16 <= self.acc_width <= 60:
            raise ConfigError(f"accumulator width {self.acc_width} is outside 16..60; "
                              f"use --acc-width 48 (one DSP48 per tile)")
        safe = self.safe_max_k()
        if safe < 1:
            raise ConfigError(f"a {self.acc_width}-bit accumulator cannot hold the digit "
                              f"products of the widest pair; use a wider --acc-width")
        if self.max_k is None:
            k = 1 << min(17, safe.bit_length() - 1)
            object.__setattr__(self, "max_k", k)
        elif not isinstance(self.max_k, int) or self.max_k < 1:
            raise ConfigError(f"max K {self.max_k!r} must be a positive integer")
        elif self.max_k > safe:
            w = max(self.bits)
            raise ConfigError(
                f"max K {self.max_k} can overflow the {self.acc_width}-bit accumulator for the "
                f"{w}x{w} pair; use --max-k {safe} or less, or a wider --acc-width")
        if self.clock_mhz is not None:
            if not isinstance(self.clock_mhz, (int, float)) or isinstance(self.clock_mhz, bool):
                raise ConfigError(f"clock {self.clock_mhz!r} is not a number of MHz; pass e.g. "
                                  f"--clock-mhz 200")
            if not MIN_CLOCK_MHZ <= self.clock_mhz <= MAX_CLOCK_MHZ:  # NaN fails too
                raise ConfigError(f"clock {self.clock_mhz!r} MHz is outside "
                                  f"{MIN_CLOCK_MHZ:g}..{MAX_CLOCK_MHZ:g} MHz (FPGA fabric "
                                  f"clocks); pass e.g. --clock-mhz 200 or leave the board's")
        over = self.resources().over(self.board_info.capacity())
        if over:
            est = self.resources().as_dict()
            cap = self.board_info.capacity()
            detail = ", ".join(f"{k} {est[k]} > {cap[k]}" for k in over)
            raise ConfigError(f"a {self.tiles[0]}x{self.tiles[1]} tile grid does not fit "
                              f"{self.board} ({detail}); use a smaller --tiles")

    @staticmethod
    def _check_bits(bits: Any) -> tuple[int, ...]:
        if isinstance(bits, (int, str)):
            bits = parse_bits(str(bits))
        bits = tuple(bits)
        if not bits:
            raise ConfigError("the bit-width set is empty; pass e.g. --bits 3,4,6,8,12")
        for b in bits:
            if not isinstance(b, int) or isinstance(b, bool):
                raise ConfigError(f"bit-width {b!r} is not an integer; pass integers "
                                  f"{MIN_BITS}..{MAX_BITS}")
            if not MIN_BITS <= b <= MAX_BITS:
                raise ConfigError(f"bit-width {b} is outside the supported range "
                                  f"{MIN_BITS}..{MAX_BITS}; choose widths in that range")
        dup = sorted({b for b in bits if bits.count(b) > 1})
        if dup:
            raise ConfigError(f"bit-width {dup[0]} appears more than once in the set; "
                              f"list each width once")
        return tuple(sorted(bits))

    # ----------------------------------------------------------------- derived facts
    @cached_property
    def board_info(self) -> Board:
        return load_board(self.board)

    @property
    def tm(self) -> int:
        return self.tiles[0]

    @property
    def tn(self) -> int:
        return self.tiles[1]

    @property
    def num_tiles(self) -> int:
        return self.tm * self.tn

    @property
    def num_bricks(self) -> int:
        return self.num_tiles * self.bricks

    @property
    def clock_hz(self) -> float:
        mhz = self.clock_mhz if self.clock_mhz is not None else self.board_info.pl_clock_mhz
        return mhz * 1e6

    def digits(self, bits: int) -> int:
        """D: number of digits of a ``bits``-wide operand."""
        return _d.num_digits(bits, self.brick_width)

    def pad(self, bits: int) -> int:
        return _d.pad_bits(bits, self.brick_width)

    @property
    def max_digits(self) -> int:
        return self.digits(max(self.bits))

    @property
    def max_shift(self) -> int:
        """Largest shift of the per-tile shifter: 2*(i+j) for the top digit pair."""
        return 2 * self.brick_width * (self.max_digits - 1)

    @property
    def max_rings(self) -> int:
        return self.max_digits

    def pairs(self) -> list[tuple[int, int]]:
        """Every (b_a, b_b) pair a descriptor may choose."""
        return [(x, y) for x in self.bits for y in self.bits]

    def digit_abs_bound(self, bits: int, signed: bool = True) -> int:
        """Largest |sum of digit values times their weights| (padded scale) of one operand."""
        d = self.digits(bits)
        w = 1 << self.brick_width
        top = (w // 2) if signed else (w - 1)
        return top * w ** (d - 1) + (w ** (d - 1) - 1)

    def safe_max_k(self) -> int:
        """Largest K whose every partial sum fits the accumulator for the widest pair.

        Bounded over digit-level partial sums (any issue order), signed or unsigned.
        """
        w = max(self.bits)
        per = max(self.digit_abs_bound(w, s) for s in (True, False)) ** 2
        return ((1 << (self.acc_width - 1)) - 1) // per

    def check_pair(self, a_bits: int, b_bits: int) -> None:
        """Refuse a width that the generated hardware does not support."""
        for b in (a_bits, b_bits):
            if b not in self.bits:
                wanted = ",".join(str(x) for x in sorted(set(self.bits) | {b}))
                raise ConfigError(f"bit-width {b} is not in the supported set "
                                  f"{self.bits_text}; regenerate with --bits {wanted}")

    @property
    def bits_text(self) -> str:
        return ",".join(str(b) for b in self.bits)

    def resources(self) -> ResourceEstimate:
        return estimate_resources(self.tm, self.tn, self.bricks, self.acc_width, self.max_shift,
                                  acc_outputs=self.acc_outputs)

    @property
    def name(self) -> str:
        """Short stable project name, e.g. ``zc706_b3-4-6-8-12_8x8``."""
        return f"{self.board}_b{'-'.join(map(str, self.bits))}_{self.tm}x{self.tn}"

    def hdl_parameters(self) -> dict[str, int]:
        """The array's numbers as the HLS headers, the Verilog and the driver spell them."""
        return {
            "TM": self.tm,
            "TN": self.tn,
            "BRICKS": self.bricks,
            "BRICK_W": self.brick_width,
            "ACC_WIDTH": self.acc_width,
            "MAX_K": self.max_k,
            "MAX_DIGITS": self.max_digits,
            "MAX_SHIFT": self.max_shift,
            "MAX_BITS": max(self.bits),
            "PLANE_K": PLANE_K,
            "PLANE_BYTES": PLANE_BYTES,
            "BITS_MASK": sum(1 << b for b in self.bits),
            "NUM_WIDTHS": len(self.bits),
            "MEM_ADDR_W": self.mem_addr_bits,
            "SUM_OUTPUTS": self.acc_outputs,
        }

    @property
    def acc_outputs(self) -> int:
        """Outputs whose partial sums the RTL keeps on chip for a K-outer pass (frac_acc_ram):
        a quarter of the board's BRAM at 6 bytes a sum, at most 2^16 (ResNet-38's largest GC
        needs 576 x 64 = 36,864)."""
        share = int(self.board_info.bram36 * BRAM36_BYTES * ACC_SHARE)  # buffer_plan's
        return min(share // ACC_BYTES, ACC_OUTPUTS_MAX)

    @property
    def mem_addr_bits(self) -> int:
        """Byte-address bits of the RTL's DDR movers: a window must end at or below 2^this."""
        return max(self.board_info.port_addr_bits, MEM_ADDR_BITS)

    # ----------------------------------------------------------------- serialisation
    def to_dict(self) -> dict[str, Any]:
        return {
            "bits": list(self.bits),
            "board": self.board,
            "tiles": list(self.tiles),
            "bricks": self.bricks,
            "brick_width": self.brick_width,
            "acc_width": self.acc_width,
            "max_k": self.max_k,
            "clock_mhz": self.clock_mhz,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ArrayConfig":
        known = {"bits", "board", "tiles", "bricks", "brick_width", "acc_width", "max_k",
                 "clock_mhz"}
        extra = set(data) - known
        if extra:
            raise ConfigError(f"unknown ArrayConfig field(s) {', '.join(sorted(extra))}; "
                              f"known: {', '.join(sorted(known))}")
        d = dict(data)
        if "bits" in d:
            d["bits"] = tuple(d["bits"])
        if "tiles" in d:
            d["tiles"] = tuple(d["tiles"])
        return cls(**d)

    @classmethod
    def from_json(cls, text: str | Path) -> "ArrayConfig":
        if isinstance(text, Path):
            text = text.read_text()
        return cls.from_dict(json.loads(text))

    def config_hash(self) -> str:
        """Short hash of the canonical JSON (stable across runs; used in generated headers)."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:12]

    def __repr__(self) -> str:
        return (f"ArrayConfig(bits={self.bits_text}, board={self.board}, "
                f"tiles={self.tm}x{self.tn}, acc={self.acc_width}, max_k={self.max_k})")
