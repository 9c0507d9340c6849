"""Second-generation array, design model: decoupled fetch / execute / result, per-pass dataflow.

This is the specification the second-generation RTL is to be built against (DESIGN §4.1); the
RTL of this branch is still the first generation (serial load / issue / write-back per output
block, ``fpga_model.cycles``). It predicts the wall-clock cycles of one pass for a memory port
(``fpga_model.wall.MemoryPort``) under these choices:

* **FW / EB: weight stripe stationary.** B (K x N: the weights, N = output channels, small) is
  fetched once into an on-chip store when its digit planes fit ``stationary_bytes``; A (M x K,
  M = batch x pixels, huge) streams by row blocks of TM lines. Per row block the array walks
  all ceil(N/TN) column blocks from the store, so each operand crosses the port once.
* **GC: K outer, all accumulators on chip.** A (= X^T, M = 9*C_in lines) and B (= dY^T,
  N = C_out lines) stream in K segments of ``segment_chunks`` plane words per line; every
  output block accumulates the segment into its accumulators, held on chip for all M x N
  outputs (``acc_bytes``), and C is written once at the end. K is huge and M x N small, so
  this reads each operand once, where output-stationary blocks would re-read them per block.
* **Decoupled stages, double buffered.** Fetch fills the next step's buffer while execute
  works on this one and result writes the previous one's outputs; fetch and result share the
  port. A step costs max(execute cycles, port cycles of the next fetch and the previous
  results); the pipeline fills and drains once per pass, and the port's read latency is paid
  once (bursts are issued back to back).

When the stationary operand does not fit, FW/EB fall back to streaming both operands per row
block (B re-read per row block); the model says which dataflow it chose.

Buffer rule (``buffer_plan``): half of the board's BRAM holds the stationary operand, a quarter
the GC accumulators (6 bytes each), the rest the double-buffered streaming lines. Per board:

  board      BRAM36  stationary  accumulators   fits (ResNet-38 CIFAR, 12-bit weights)
  zc706      545     1226 KB     613 KB         every layer's weights (at most 55 KB); GC's
  zcu104     312      702 KB     351 KB         M x N accumulators (at most 576 x 64 x 6 =
  ultra96v2  216      486 KB     243 KB         216 KB) on every board but pynq-z2 and kv260
  kv260      144      324 KB     162 KB         for the 64-channel stage, where GC falls back
  pynq-z2    140      315 KB     157 KB         to streamed output blocks
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import ArrayConfig
from .cycles import CYCLE_COSTS, CycleCosts
from .descriptor import needs_c64
from .planes import PLANE_BYTES, PLANE_K, line_words
from .wall import MemoryPort, memory_port

__all__ = ["BufferPlan", "buffer_plan", "PassPlan", "plan_pass", "BRAM36_BYTES"]

BRAM36_BYTES = 4608  # 36 Kb of data per BRAM36
STATIONARY_SHARE = 0.5  # of the board's BRAM for the stationary operand
ACC_SHARE = 0.25  # for the GC accumulators
ACC_BYTES = 6  # one 48-bit accumulator


@dataclass(frozen=True)
class BufferPlan:
    """On-chip buffer budget of a board (bytes) and the streaming segment length."""

    stationary_bytes: int
    acc_bytes: int
    segment_chunks: int  # plane words per line and digit plane in one streamed segment


def buffer_plan(cfg: ArrayConfig, segment_chunks: int = 64) -> BufferPlan:
    """Half the BRAM for the stationary operand, a quarter for accumulators (the rest holds
    the double-buffered streaming operands: 2 x (TM + TN) lines x segment x D_max words)."""
    total = cfg.board_info.bram36 * BRAM36_BYTES
    return BufferPlan(int(total * STATIONARY_SHARE), int(total * ACC_SHARE), segment_chunks)


@dataclass(frozen=True)
class PassPlan:
    """The predicted schedule of one pass on the second-generation array."""

    dataflow: str  # "B stationary", "K outer", or "streamed" (the fallback)
    steps: int
    fetch_bytes: int
    result_bytes: int
    execute_cycles: int
    wall_cycles: int

    @property
    def dram_bytes(self) -> int:
        return self.fetch_bytes + self.result_bytes


def _wall(port: MemoryPort, pre_bytes: int, fetch: list[int], execute: list[int],
          result: list[int], fixed: int) -> int:
    """Three decoupled stages over ``len(execute)`` steps, fetch and result on one port."""
    p = port.cycles_for
    n = len(execute)
    t = port.latency_cycles + p(pre_bytes) + p(fetch[0])
    for i in range(n):
        nxt = fetch[i + 1] if i + 1 < n else 0
        prev = result[i - 1] if i > 0 else 0
        t += max(execute[i], p(nxt) + p(prev))
    t += p(result[n - 1]) + fixed
    return round(t)


def plan_pass(cfg: ArrayConfig, m: int, n: int, k: int, a_bits: int, b_bits: int,
              pass_: str = "fw", *, buffers: BufferPlan | None = None,
              costs: CycleCosts = CYCLE_COSTS) -> PassPlan:
    """Predicted wall cycles of a pass (no early stop) on the second-generation design."""
    buffers = buffers or buffer_plan(cfg)
    port = memory_port(cfg)
    tm, tn = cfg.tiles
    da, db = cfg.digits(a_bits), cfg.digits(b_bits)
    pairs = da * db
    vbytes = 8 if needs_c64(a_bits, b_bits, k) else 4
    a_line = line_words(k, a_bits) * PLANE_BYTES
    b_line = line_words(k, b_bits) * PLANE_BYTES
    bm, bn = -(-m // tm), -(-n // tn)
    chunks = -(-k // cfg.bricks)
    mask_row = -(-n // 8)

    if pass_ == "gc" and m * n * ACC_BYTES <= buffers.acc_bytes:
        seg = buffers.segment_chunks
        words = -(-k // PLANE_K)
        steps = -(-words // seg)
        fetch, execute = [], []
        for s in range(steps):
            w = min(seg, words - s * seg)
            fetch.append((m * da + n * db) * w * PLANE_BYTES)
            seg_chunks = -(-min(k - s * seg * PLANE_K, seg * PLANE_K) // cfg.bricks)
            execute.append(bm * bn * (pairs * seg_chunks + costs.block))
        result = [0] * (steps - 1) + [m * n * vbytes + m * mask_row]
        wall = _wall(port, 0, fetch, execute, result, costs.desc)
        return PassPlan("K outer", steps, sum(fetch), sum(result), sum(execute), wall)

    stationary = n * b_line <= buffers.stationary_bytes
    pre = n * b_line if stationary else 0
    fetch, execute, result = [], [], []
    for i in range(bm):
        rows = min(tm, m - i * tm)
        fetch.append(rows * a_line + (0 if stationary else n * b_line))
        execute.append(bn * (pairs * chunks + costs.block))
        result.append(rows * (n * vbytes + mask_row))
    wall = _wall(port, pre, fetch, execute, result, costs.desc)
    return PassPlan("B stationary" if stationary else "streamed", bm, pre + sum(fetch),
                    sum(result), sum(execute), wall)
