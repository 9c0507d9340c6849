"""Wall-clock side of the model: the memory port, the two roofs of a GEMM pass, DDR traffic.

The kernel reaches DDR through one PS port (``Board.port``: S_AXI_HP0 on Zynq-7000, 64 bits),
whose sustained bandwidth, not the DDR's peak, bounds a memory-bound pass. ``MemoryPort`` holds
those facts in array clock cycles. A pass has two lower bounds on its wall-clock cycles:

  compute roof  M*N*K*D_a*D_b / (tiles * bricks)   every tile busy on every cycle
  memory roof   (A + B + C + MASK bytes) / port bytes per cycle
                each operand read once at its digit-plane size, results written once

``pass_traffic`` counts the DDR bytes of memory contract v2 for a pass, by buffer.
``port_duty`` is the duty cycle at which the simulated memory serves the board's port
(``fpga_model.pipeline.board_port_timing`` turns it into the RTL wall-clock walk's waits).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction

from .config import ArrayConfig
from .descriptor import DESC_BYTES, STAT_BYTES, needs_c64
from .planes import PLANE_K, operand_bytes, plane_chunks

__all__ = ["MemoryPort", "memory_port", "pass_traffic", "compute_roof_cycles",
           "memory_roof_cycles", "seg_chunks", "k_outer_chunks", "bus_read_bytes",
           "SEG_CHUNKS_MAX", "port_duty",
           "MASK_ROW_BYTES"]


@dataclass(frozen=True)
class MemoryPort:
    """The AXI port to DDR as the array sees it (cycles of the array clock)."""

    name: str
    bus_bytes: int  # bytes per beat
    clock_hz: float  # the array (and port) clock
    sustained_bytes_per_s: float
    latency_cycles: int  # read address to first data beat

    @property
    def bytes_per_cycle(self) -> float:
        """Sustained bytes per array cycle: the bus width or the port's bandwidth, if lower."""
        return min(float(self.bus_bytes), self.sustained_bytes_per_s / self.clock_hz)

    def cycles_for(self, nbytes: int) -> float:
        """Cycles to move ``nbytes`` at the sustained rate (latency not included)."""
        return nbytes / self.bytes_per_cycle

    def __repr__(self) -> str:
        return (f"MemoryPort({self.name}, {8 * self.bus_bytes}-bit, "
                f"{self.bytes_per_cycle:.2f} B/cycle at {self.clock_hz / 1e6:g} MHz, "
                f"latency {self.latency_cycles})")


def memory_port(cfg: ArrayConfig) -> MemoryPort:
    """The board's memory port at the array's clock."""
    b = cfg.board_info
    return MemoryPort(b.port, b.port_bits // 8, cfg.clock_hz, b.port_gbps * 1e9,
                      b.port_latency_cycles)


def port_duty(port: MemoryPort) -> tuple[int, int] | None:
    """(busy, period): the bus cycles out of every ``period`` that the port's sustained rate
    fills (a fraction with period <= 16; the simulated DDR serves beats on that duty); None when
    the port keeps up with the bus."""
    share = Fraction(port.bytes_per_cycle / port.bus_bytes).limit_denominator(16)
    return None if share >= 1 else (share.numerator, share.denominator)


def pass_traffic(m: int, n: int, k: int, a_bits: int, b_bits: int) -> dict[str, int]:
    """DDR bytes of one pass when every buffer crosses the port once (memory contract v2)."""
    return {
        "A": operand_bytes(m, k, a_bits),
        "B": operand_bytes(n, k, b_bits),
        "C": (8 if needs_c64(a_bits, b_bits, k) else 4) * m * n,
        "MASK": m * -(-n // 8),
        "DESC": DESC_BYTES,
        "STAT": STAT_BYTES,
    }


def compute_roof_cycles(cfg: ArrayConfig, m: int, n: int, k: int, a_bits: int,
                        b_bits: int) -> float:
    """M*N*K*D_a*D_b / (tiles * bricks): the array's digit-pair throughput, no overheads."""
    return m * n * k * cfg.digits(a_bits) * cfg.digits(b_bits) / (cfg.num_tiles * cfg.bricks)


def memory_roof_cycles(cfg: ArrayConfig, m: int, n: int, k: int, a_bits: int,
                       b_bits: int) -> float:
    """Operands read once, results written once, at the port's sustained bytes per cycle."""
    t = pass_traffic(m, n, k, a_bits, b_bits)
    return memory_port(cfg).cycles_for(t["A"] + t["B"] + t["C"] + t["MASK"])


SEG_CHUNKS_MAX = 512  # frac_array_top's cap on the plane words per line held on chip
# The result stage gathers a row block's stop-mask rows over its column blocks when a mask row
# fits this many bytes (N <= 8 * MASK_ROW_BYTES) and writes them once, as one run of bytes
# (rows are contiguous in the packed mask), instead of a strobed beat per row and column block.
MASK_ROW_BYTES = 8


def seg_chunks(cfg: ArrayConfig) -> int:
    """Plane words per line and digit position the RTL holds on chip (its SEG_CHUNKS)."""
    return min(-(-cfg.max_k // PLANE_K), SEG_CHUNKS_MAX)


def k_outer_chunks(cfg: ArrayConfig, m: int, n: int, k: int, early: bool = False,
                   segment: int | None = None) -> int:
    """Plane words per line and digit position of the K slices the RTL walks a pass in when it
    runs K outer, else 0. K outer: K spans more than one segment, no early stop, and the M x N
    partial sums fit ``cfg.acc_outputs``; a slice is ``segment >> s`` words, s >= 1 the least
    with ceil(N / TN) <= 2^s, so that B's column blocks of a slice stay on chip side by side and
    A has two banks (each operand read once; frac_walker's S_SLICE)."""
    seg = segment or seg_chunks(cfg)
    if early or plane_chunks(k) <= seg or m * n > cfg.acc_outputs:
        return 0
    bn = -(-n // cfg.tiles[1])
    return seg >> max(1, (bn - 1).bit_length())


def _beat_bytes(offset, nbytes):
    """Bytes of the 8-byte beats that hold ``nbytes`` from ``offset`` (numpy or int)."""
    return 8 * ((offset % 8 + nbytes + 7) // 8)


def bus_read_bytes(cfg: ArrayConfig, m: int, n: int, k: int, a_bits: int, b_bits: int, *,
                   reload=None, a_addr: int = 0, b_addr: int = 0,
                   segment: int | None = None, early: bool = False) -> int:
    """Operand bytes the RTL reads on the bus for one pass, in whole beats. When K fits one
    segment, A is read once per row block (one run of words) and B once per output block, or
    once in all when its column blocks fit the column buffers side by side (ceil(N/TN) *
    ceil(K/16) <= segment: B stationary); else every output block reads its A rows and B
    columns per K segment, unless the pass runs K outer (``k_outer_chunks``; ``early``: it has
    early stop, so it does not): then every line is read once, a slice at a time.

    ``reload`` (bm x bn, 0/1) marks the blocks that read their segments a second time (early
    stop with K over several segments, for the rings after the stop ring); ``a_addr`` and
    ``b_addr`` are the buffers' bus addresses (only their alignment matters). Without
    ``reload`` the answer depends on integers only and is cached: training asks for the same
    few shapes on every step.
    """
    if reload is None:
        return _bus_read_bytes(cfg, m, n, k, a_bits, b_bits, a_addr % 8, b_addr % 8, segment,
                               early)
    return _bus_read_bytes.__wrapped__(cfg, m, n, k, a_bits, b_bits, a_addr, b_addr, segment,
                                       early, reload)


@functools.lru_cache(maxsize=4096)
def _bus_read_bytes(cfg: ArrayConfig, m: int, n: int, k: int, a_bits: int, b_bits: int,
                    a_addr: int, b_addr: int, segment: int | None, early: bool,
                    reload=None) -> int:
    import numpy as np

    tm, tn = cfg.tiles
    seg = segment or seg_chunks(cfg)
    da, db = cfg.digits(a_bits), cfg.digits(b_bits)
    words = plane_chunks(k)
    bm, bn = -(-m // tm), -(-n // tn)
    sc = k_outer_chunks(cfg, m, n, k, early, seg)
    if sc:  # K outer: every line once, a slice of words at a time
        total = 0
        for lines, d, base in ((m, da, a_addr), (n, db, b_addr)):
            rows = base + np.arange(lines, dtype=np.int64) * (4 * words * d)
            for s in range(0, words, sc):
                total += int(_beat_bytes(rows + 4 * d * s, 4 * d * min(sc, words - s)).sum())
        return total

    def per_block(lines: int, tile: int, d: int, base: int) -> "np.ndarray":
        line = 4 * words * d
        starts = np.arange(0, lines, tile, dtype=np.int64)
        valid = np.minimum(tile, lines - starts)
        if words <= seg:
            return _beat_bytes(base + starts * line, valid * line)
        out = np.zeros(len(starts), dtype=np.int64)
        rows = np.arange(lines, dtype=np.int64)
        for s in range(0, words, seg):
            w = min(seg, words - s)
            b = _beat_bytes(base + rows * line + 4 * d * s, 4 * d * w)
            out += np.add.reduceat(b, starts)
        return out

    a = per_block(m, tm, da, a_addr)
    b = per_block(n, tn, db, b_addr)
    if words <= seg:  # buffers keep A across a row's blocks, B when N fits one column block
        return int(a.sum() + (b.sum() if bn * words <= seg else b.sum() * bm))
    reads = np.ones((bm, bn), dtype=np.int64) if reload is None else 1 + np.asarray(reload)
    return int(a @ reads.sum(axis=1) + b @ reads.sum(axis=0))
