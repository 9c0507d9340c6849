"""Wall-clock models: the RTL as built (``rtl_wall``), the second-generation design (``plan_pass``).

``rtl_wall`` walks a descriptor list state by state as ``frac_walker`` does (fetch, check, per
output block: load A and B, issue, drain, hand over; the STAT record) and predicts the RTL's
WALL_CYCLES, its stage counters and the bytes on its AXI bus, exactly on a memory serving one
beat per cycle (tests/test_rtl_wall.py); ``PortTiming`` adds what a slower or pausing memory
costs (exact for cocotbext-axi's one-cycle latency, within 5% under random pauses).

Three timelines. The walker loads and issues; at the hand-over it waits until the result
stage is idle, every tile copies its accumulator and stop flag into a snapshot (flip-flops
only: the read-out mux reads the snapshots, so no LUT is added; double-buffered accumulators
would cost a second DSP48 or an accumulator's LUT+FF per tile), and the result stage writes
that block's C and mask rows through the AXI writer on its own while the walker loads and
issues the next block (reads and writes are separate AXI channels). The walker waits again
before its STAT record. With K in one segment and room for two banks of A (2 * ceil(K/16) <=
SEG_CHUNKS), the prefetch loads the next row block's A into the other bank once the row block
reads no more operands (B stationary, or its last column block loaded), while the walker
issues; the next row block waits for it at LOAD_A_CMD and swaps the banks. The fetch and
result counters count the union of the timelines' cycles on their side
(``fpga_model.regmap.COUNTERS``); the walker's own are ``WallCounts.walker_fetch`` and
``walker_result``.

K outer (``fpga_model.wall.k_outer_chunks``: K over several segments, no early stop, the M x N
partial sums fit ``ArrayConfig.acc_outputs``): the walk runs once per K slice of
``k_outer_chunks`` plane words (S_SLICE, ``SLICE_CYCLES``, then PLAN), each slice as a pass with
K in one segment (B stationary, A prefetched), its lines read as rows of the slice's words; the
result stage adds each block's slice into the sums (R_A, an output a cycle, nothing written) and
on the last slice writes C from them (``SUMS_TO_C`` cycles later than the hand-over would). A
pass over several segments without early stop spends ``SLICE_CYCLES`` once where it does not
run K outer (S_SLICE decides).

A relative tau (``Descriptor.tau_rel``) walks the blocks twice. The prefix sweep loads and
issues as the pass with tau = 0 would (every block skips after its prefix, so no segment is
reloaded); at each hand-over the result stage reads the block's outputs, one a cycle, for the
largest |prefix| and writes nothing. The walker then waits for the last output to pass the
maximum's registers (S_TAU_WAIT, result side), spends ``CycleCosts.tau_step`` cycles on the
threshold (S_TAU, PLAN again), and the main sweep is the absolute-tau pass.

``plan_pass`` is the specification the second-generation RTL is to be built against (DESIGN
§4.1: decoupled, double-buffered; built in part: the RTL keeps A across a row's blocks and B
across row blocks, writes results beside the next block's loads and issue, prefetches the next
row block's A when K fits one segment (or one K-outer slice), and runs GC-shaped passes K
outer; segment streaming for FW/EB with a K beyond a segment is not built).
It predicts the wall-clock cycles
of one pass for a memory port (``fpga_model.wall.MemoryPort``) under these choices:

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

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from .config import ACC_BYTES, ACC_SHARE, BRAM36_BYTES, ArrayConfig
from .cycles import CYCLE_COSTS, CycleCosts, block_skip_grid
from .descriptor import needs_c64
from .planes import PLANE_BYTES, PLANE_K, line_words, plane_chunks
from .wall import MASK_ROW_BYTES, MemoryPort, k_outer_chunks, memory_port, port_duty, seg_chunks

__all__ = ["BufferPlan", "buffer_plan", "PassPlan", "plan_pass", "BRAM36_BYTES", "PortTiming",
           "WallCounts", "rtl_wall", "board_port_timing"]

STATIONARY_SHARE = 0.5  # of the board's BRAM for the stationary operand


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


# ---------------------------------------------------------------------------------------------
# The RTL as built: wall-clock cycles and bus bytes of frac_walker, cycle for cycle.
# ---------------------------------------------------------------------------------------------

READ_START = 4  # command cycle, accept, reader row set-up, AR: the first R beat comes next
DESC_CHECK = 3  # DECODE, CHECK, GATE
SLICE_CYCLES = 7  # S_SLICE: K outer or not, a slice's codes, its words per digit and per line
SUMS_TO_C = 4  # K outer, last slice: R_AD (the last sums written) and R_CC before C's command
DRAIN = CYCLE_COSTS.block - 1  # the array's pipeline after the last issue
ET_DRAIN = CYCLE_COSTS.et_check - 1  # the same before ET_CMP, with the registered stop compare
WRITE_IDLE_AFTER = 2  # from the last W beat to the writer's idle: the B response, its count


@dataclass
class WallCounts:
    """What the RTL's counters report for a run (``fpga_model.regmap.COUNTERS``) and the bytes
    its AXI master moves (R beats x 8; strobed W bytes)."""

    wall_cycles: int = 0
    fetch_busy: int = 0
    fetch_stall: int = 0
    exec_busy: int = 0
    result_busy: int = 0
    result_stall: int = 0
    read_bytes: int = 0
    write_bytes: int = 0
    read_commands: int = 0  # commands to the reader (descriptor, A and B loads)
    write_commands: int = 0  # commands to the writer (C, MASK, STAT)
    write_beats: int = 0  # W beats
    # the walker's own cycles in its fetch states (not an RTL counter): loads, skipped loads,
    # waiting for the prefetch of A
    walker_fetch: int = 0
    # the walker's own cycles on the result side (not an RTL counter): the hand-overs with
    # their waits for the result stage, the STAT record and its responses, a refusal
    walker_result: int = 0

    def counters(self) -> dict[str, int]:
        """The values by counter name (as ``COUNTERS`` names them)."""
        return {"wall_cycles": self.wall_cycles, "fetch_busy": self.fetch_busy,
                "fetch_stall": self.fetch_stall, "exec_busy": self.exec_busy,
                "result_busy": self.result_busy, "result_stall": self.result_stall}


@dataclass(frozen=True)
class PortTiming:
    """What a memory adds to the beat-per-cycle timeline (expected cycles; the defaults are
    frac_sim_mem serving every cycle, where ``rtl_wall`` is exact)."""

    read_latency: float = 0.0  # to the first R beat of a read command
    read_cycles_per_beat: float = 1.0  # cycles per R beat the port sustains (the reader takes 1)
    write_wait_per_beat: float = 0.0  # per W beat
    write_response: float = 0.0  # to the B response the walker waits for per descriptor
    # beats per cycle the port moves for reads and writes together (frac_sim_mem with BUSY <
    # PERIOD: one beat, R or W, per serving cycle); None: each direction has the bus
    share: float | None = None

    @classmethod
    def random_pauses(cls, p: float, latency: int = 1) -> "PortTiming":
        """A slave that pauses every channel at random with probability ``p`` per cycle and
        answers ``latency`` cycles later than frac_sim_mem (cocotbext-axi's AxiRam: 1).

        A command waits for its AR and its first R beat (geometric: p/(1-p) each); the reader
        takes a beat a cycle, so the R channel's pauses set its pace: 1/(1-p) cycles a beat;
        every W beat and the B response wait p/(1-p)."""
        wait = p / (1 - p)
        return cls(latency + 2 * wait, 1 / (1 - p), wait, latency + wait)

    @classmethod
    def duty(cls, busy: int, period: int) -> "PortTiming":
        """frac_sim_mem serving beats on ``busy`` of every ``period`` cycles (one gap of
        g = period - busy cycles): a beat met at a random phase waits g(g+1)/(2 period) on
        average; the reader, taking a beat a cycle, streams at period / busy cycles a beat. The
        serving cycles are shared by reads and writes (``share``, see ``_Walk._contention``)."""
        g = period - busy
        wait = g * (g + 1) / (2 * period)
        return cls(wait, period / busy, wait, 0.0, busy / period if busy < period else None)


def board_port_timing(cfg: ArrayConfig, *, latency: bool = True) -> PortTiming:
    """The ``PortTiming`` of the board's port for ``rtl_wall``: the expected waits of its duty
    (``port_duty``) and, with ``latency``, its read latency (``MemoryPort.latency_cycles``) before
    the first beat of every read command and before the write response, as
    ``PortTiming.random_pauses`` adds a slave's latency. ``latency=False`` is the memory that
    ``fracfpga perf`` simulates (it answers at once)."""
    port = memory_port(cfg)
    duty = port_duty(port)
    timing = PortTiming.duty(*duty) if duty else PortTiming()
    if not latency:
        return timing
    return replace(timing, read_latency=timing.read_latency + port.latency_cycles,
                   write_response=timing.write_response + port.latency_cycles)


@lru_cache(maxsize=None)
def _row_tail(offset: int, n: int, size: int) -> int:
    """W beats of a row left after its last element enters frac_axi_writer's window (one element
    per cycle; a full beat leaves in the same cycle as the next element enters)."""
    pos = offset
    for _ in range(n):
        pos = (pos - 8 if pos >= 8 else pos) + size
    return (pos + 7) // 8


@lru_cache(maxsize=4096)
def _read_stream(rows: tuple[tuple[int, int], ...], line: int) -> tuple[int, int]:
    """frac_axi_reader's data side on a memory with a beat ready every cycle from the first
    (``READ_START``): rows of (byte offset in a beat, words), each whole ``line``-word lines.
    Returns (transfers, cycles from the first beat's cycle to the one after the last
    transfer). A transfer is two words of a line (a line's odd last word alone); it leaves once
    the two-beat ring holds its bytes, the cycle after they arrive (the ring's flag is a
    register), and a beat enters when a slot is free or freed by the transfer leaving; every
    further row costs the reader's row set-up cycle."""
    transfers = 0
    t = -1  # the first row streams a cycle before its first beat
    for i, (off, count) in enumerate(rows):
        t += i > 0  # a further row's set-up cycle
        beats_left = (off + 4 * count + 7) // 8
        held, rp, avail = 0, off, False
        lleft, rest = line, count - line
        while True:
            one = lleft == 1
            fire = avail
            head_out = fire and (not one or rp >= 4)
            beat = beats_left > 0 and (held < 2 or head_out) and t >= 0
            if beat:
                beats_left -= 1
            held += beat - head_out
            end_row = False
            if fire:
                transfers += 1
                rp = (rp + 4) % 8 if one else rp
                if lleft <= 2:
                    end_row = rest == 0
                    rest -= line
                    lleft = line
                else:
                    lleft -= 2
            need = 4 if lleft == 1 else 8
            avail = (8 * held - rp >= need) and not end_row
            t += 1
            if end_row:
                break
    return transfers, t


def _beats(offset: int, nbytes: int) -> int:
    """8-byte bus beats that hold ``nbytes`` starting ``offset`` bytes into a beat."""
    return (offset + nbytes + 7) // 8


class _Walk:
    """Two timelines on a memory that serves one beat per cycle at once (frac_sim_mem with
    BUSY = PERIOD): ``t``, the cycle the walker enters its next state, and ``rs_free``, the
    first cycle the result stage is idle again (it writes a handed-over block's C and mask rows
    while the walker goes on). The result counters count the union of the cycles the result
    side is occupied (``_cover``)."""

    def __init__(self, port: PortTiming) -> None:
        self.port = port
        self.c = WallCounts()
        self.t = 0
        self.writer_idle = 0  # first cycle the writer takes a new command
        self.rs_free = 0  # first cycle the result stage is idle
        self.covered = -1  # last cycle counted on the result side
        self.result_cycles = 0.0  # cycles the result side was occupied (busy or stalled)
        self.f_covered = -1  # the same for the fetch side (the walker's loads, the prefetch)
        self.fetch_cycles = 0.0
        # shared port: [start, end, beats] of the writer's recent commands and of the prefetch
        self.writes: list[list[float]] = []
        self.reads: list[list[float]] = []

    def state(self, cycles: int = 1) -> None:
        self.t += cycles

    def _cover(self, first: float, last: float) -> None:
        """Cycles first..last are occupied on the result side (intervals come in order of
        their first cycle; a cycle already counted is not counted again)."""
        new = last - max(first, self.covered + 1) + 1
        if new > 0:
            self.result_cycles += new
        self.covered = max(self.covered, last)

    def _fcover(self, first: float, last: float) -> None:
        """The same on the fetch side."""
        new = last - max(first, self.f_covered + 1) + 1
        if new > 0:
            self.fetch_cycles += new
        self.f_covered = max(self.f_covered, last)

    def _read(self, t_cmd: float, rows: list[tuple[int, int]], line: int, *,
              background: bool = False) -> list[float]:
        """A read command of (byte address, words) rows of ``line``-word lines sent in cycle
        ``t_cmd``; returns its [first beat, the cycle after its last transfer, beats]
        (``background``: the prefetch, which the writer's later commands may still slow down on
        a shared port). A port slower than a beat a cycle sets the pace where it is the
        slower side."""
        shape = tuple((a % 8, n) for a, n in rows)
        beats = sum(_beats(off, 4 * n) for off, n in shape)
        transfers, stream = _read_stream(shape, line)
        start = t_cmd + READ_START + self.port.read_latency
        self.c.fetch_busy += transfers
        self.c.read_bytes += 8 * beats
        self.c.read_commands += 1
        paced = beats * self.port.read_cycles_per_beat + len(rows)
        rec = [start, start + max(stream, paced), beats]
        if self.port.share is not None:
            self.writes = [w for w in self.writes if w[1] > rec[0]]
            for i, w in enumerate(self.writes):
                extra_r, extra_w = self._contention(rec, w)
                rec[1] += extra_r
                if extra_w:
                    self._delay_writer(i, extra_w, rec[0])
            if background:
                self.reads.append(rec)
        return rec

    def _contention(self, a: list[float], b: list[float]) -> tuple[float, float]:
        """Cycles each of two overlapping [start, end, beats] streams loses on a shared port
        (``PortTiming.share``), a fluid estimate of frac_sim_mem's turns. Where their beat
        rates add up to more than the share, the port serves them in turns (a waiting write
        after a read beat, a read after a write beat): a stream asking for at most half the
        share keeps its pace and the other gets the rest, else each gets half. While both run
        each advances at its turn's share of its pace, alone again at its own."""
        t0 = max(a[0], b[0])
        left_a, left_b = a[1] - t0, b[1] - t0
        if left_a <= 0 or left_b <= 0:
            return 0.0, 0.0
        s = self.port.share
        ra, rb = a[2] / (a[1] - a[0]), b[2] / (b[1] - b[0])
        if ra + rb <= s:
            return 0.0, 0.0
        half = s / 2
        ka = 1.0 if ra <= half else (s - rb if rb <= half else half) / ra
        kb = 1.0 if rb <= half else (s - ra if ra <= half else half) / rb
        if left_a / ka <= left_b / kb:  # a ends first, b runs on alone
            end_a = t0 + left_a / ka
            end_b = end_a + left_b - kb * (left_a / ka)
        else:
            end_b = t0 + left_b / kb
            end_a = end_b + left_a - ka * (left_b / kb)
        return end_a - a[1], end_b - b[1]

    def _delay_writer(self, i: int, extra: float, since: float) -> None:
        """The writer's i-th recent command ends ``extra`` cycles later, and everything behind it:
        its later commands, its idle cycle, the result stage (when busy after ``since``)."""
        for j, w in enumerate(self.writes[i:]):
            w[1] += extra
            if j:
                w[0] += extra
        self.writer_idle += extra
        if self.rs_free > since:
            self.rs_free += extra
            self.result_cycles += extra
            self.covered += extra

    def read(self, rows: list[tuple[int, int]], line: int) -> None:
        """A read command of (byte address, words) rows of ``line``-word lines, from its command
        state to the last transfer."""
        end = self._read(self.t, rows, line)[1]
        self._fcover(self.t, end - 1)
        self.c.walker_fetch += end - self.t
        self.t = end

    def skip(self) -> None:
        """A load command state whose operand the buffers already hold."""
        self._fcover(self.t, self.t)
        self.c.walker_fetch += 1
        self.t += 1

    def prefetch(self, rows: list[tuple[int, int]], line: int) -> list[float]:
        """BLK_START sends the next row block's A (the walker's current cycle); the prefetch
        loads it while the walker goes on. Returns its record (``_read``): element 1 is the
        first cycle it is done."""
        rec = self._read(self.t, rows, line, background=True)
        self._fcover(self.t + 1, rec[1] - 1)
        return rec

    def take_prefetch(self, rec: list[float]) -> None:
        """LOAD_A_CMD of the next row block: waits until the prefetch is done, swaps banks."""
        done = rec[1]
        if self.port.share is not None:
            self.reads = [r for r in self.reads if r is not rec]
            self._fcover(self.f_covered + 1, done - 1)  # what the writer's turns added
        t = max(self.t, done)
        self._fcover(self.t, t)
        self.c.walker_fetch += t + 1 - self.t
        self.t = t + 1

    def write(self, t_cmd: float, rows: list[tuple[int, int]], size: int) -> float:
        """A write command of (byte address, elements) rows of ``size`` bytes each, issued in
        cycle ``t_cmd``; returns the cycle after the stream's last element enters the writer's
        two-entry slice (the writer finishes the last beats on).

        The writer takes the command in cycle c0 (once idle); its data side sets each row up in
        a cycle, takes an element from the slice per cycle (element i in cycle T(i)) and lets
        the row's last beats leave. The slice takes the stream's element e (from 1) in cycle
        max(c0 + e, T(e - 2) + 1): one a cycle from the cycle after the command, at most two
        ahead of the data side, so the stream's last element enters a cycle before the data side
        takes it, earlier where the last row is shorter than three elements."""
        c0 = max(t_cmd + 1, self.writer_idle)
        t = c0 + 1  # the first row's set-up
        runs = []  # per row: the cycle its first element is taken, its elements
        tail = 0
        for a, n in rows:
            runs.append((t + 1, n))
            tail = _row_tail(a % 8, n, size)
            t += 1 + n + tail  # set-up, an element per cycle, the beats after the last
        last = t - tail - 1  # the data side takes the last element
        elems = sum(n for _, n in rows)
        back, before = 2, None  # T(elems - 2): the element two before the last
        for first, n in reversed(runs):
            if back < n:
                before = first + n - 1 - back
                break
            back -= n
        enter = c0 + elems if before is None else max(c0 + elems, before + 1)
        wbeats = sum(_beats(a % 8, n * size) for a, n in rows)
        wait = wbeats * self.port.write_wait_per_beat
        self.c.write_commands += 1
        self.c.write_beats += wbeats
        self.writer_idle = last + wait + tail + 1
        if self.port.share is not None:  # the prefetch it meets: both take turns
            rec = [c0, self.writer_idle, wbeats]
            for r in self.reads:
                extra_w, extra_r = self._contention(rec, r)
                r[1] += extra_r
                rec[1] += extra_w
                self.writer_idle += extra_w
                enter += extra_w
            self.writes.append(rec)
        self.c.result_busy += elems
        self.c.write_bytes += elems * size
        return enter + wait + 1

    def hand_over(self, c_rows: list[tuple[int, int]], c_size: int,
                  m_rows: list[tuple[int, int]] | None, sums: int = 0) -> None:
        """S_HAND: the walker waits for the result stage to be idle, hands the block over (the
        C command goes out in that cycle) and goes on; the result stage writes the C rows, the
        mask rows (``None``: none to write, one command cycle) and updates its carry. ``sums``:
        the last slice of a K-outer pass, whose ``sums`` outputs are first added into the sums
        (R_A, a cycle each), then R_AD and R_CC send C's command (C comes from the sums)."""
        h = max(self.t, self.rs_free)
        self._cover(self.t, h)
        self.c.walker_result += h + 1 - self.t
        self.t = h + 1
        c_cmd = h + sums + SUMS_TO_C if sums else h
        r = self.write(c_cmd, c_rows, c_size)  # R_C until the last element: R_M_CMD
        r = self.write(r, m_rows, 1) if m_rows else r + 1
        r += 1  # R_M_UPD
        self._cover(h + 1, r - 1)
        self.rs_free = r

    def stat(self, n: int, addr: int) -> None:
        """S_STAT_CMD (waiting for the result stage), the record, S_WAIT_WR."""
        t0 = self.t
        t_cmd = max(self.t, self.rs_free)
        self.t = self.write(t_cmd, [(addr, n)], 8)
        end = self.writer_idle + WRITE_IDLE_AFTER - 1 + self.port.write_response
        self.t += max(1, end - self.t + 1)  # S_WAIT_WR: until the last B response is counted
        self._cover(t0, self.t - 1)
        self.c.walker_result += self.t - t0

    def peek(self, n: int) -> None:
        """S_HAND of the prefix sweep or of a K-outer slice before the last: the walker waits
        for the result stage to be idle and hands the block over; the result stage (R_P, R_A)
        reads its ``n`` outputs, one a cycle, and writes nothing to DDR."""
        h = max(self.t, self.rs_free)
        self._cover(self.t, h)
        self.c.walker_result += h + 1 - self.t
        self.t = h + 1
        self._cover(h + 1, h + n)
        self.rs_free = h + 1 + n

    def tau_wait(self) -> None:
        """S_TAU_WAIT: until the last output read has passed the maximum's two registers."""
        end = max(self.t, self.rs_free + 2)
        self._cover(self.t, end)
        self.c.walker_result += end + 1 - self.t
        self.t = end + 1

    def refuse(self) -> None:
        """S_REFUSE: one cycle (the writer is idle)."""
        self._cover(self.t, self.t)
        self.t += 1
        self.c.walker_result += 1


def rtl_wall(cfg: ArrayConfig, descriptors, stopped, refused: int | None = None, *,
             mem_base: int = 0x1000, desc_addr: int = 0, segment: int | None = None,
             port: PortTiming = PortTiming()) -> WallCounts:
    """Wall-clock cycles, stage counters and bus bytes of one run of the RTL (exact, on a
    memory serving a beat per cycle with no latency).

    ``descriptors`` is the list the run walks, ``stopped`` their M x N stop masks (None without
    early stop), ``refused`` the index of a refused descriptor (the walk ends there);
    ``segment`` the RTL's SEG_CHUNKS (default: frac_array_top's); ``port`` what a slower or
    pausing memory adds (expected cycles; the counts are then rounded).
    """
    from .descriptor import DESC_WORDS, STAT_FIELDS
    from .digits import prefix_keep

    tm, tn = cfg.tiles
    seg = segment or seg_chunks(cfg)
    kseg = seg * PLANE_K
    w = _Walk(port)
    w.state()  # the cycle the start is taken
    for i, d in enumerate(descriptors):
        w.read([(mem_base + desc_addr + 64 * i, DESC_WORDS)], DESC_WORDS)
        w.state(DESC_CHECK)
        if refused is not None and i == refused:
            w.refuse()
            break
        da, db = cfg.digits(d.a_bits), cfg.digits(d.b_bits)
        p, q = (prefix_keep(da, db, d.stop_ring, d.prefix) if d.early_stop else (da, db))
        g0 = p * q  # the prefix's pairs, issued before ET_CMP
        g1 = da * db - g0
        no_rest = g1 == 0
        a_line, b_line = 4 * line_words(d.k, d.a_bits), 4 * line_words(d.k, d.b_bits)
        vbytes = 8 if d.c64 else 4
        c_stride, m_stride = vbytes * d.n, -(-d.n // 8)
        m_pack = m_stride <= MASK_ROW_BYTES  # the result stage gathers a row block's masks
        bm, bn = -(-d.m // tm), -(-d.n // tn)
        # K slices: one of all of K, or K outer (k_outer_chunks): slices of sc plane words,
        # each walked as a pass with K in one segment, its lines read a slice at a time
        sc = k_outer_chunks(cfg, d.m, d.n, d.k, d.early_stop, seg)
        slices = ([(k0, min(sc * PLANE_K, d.k - k0)) for k0 in range(0, d.k, sc * PLANE_K)]
                  if sc else [(0, d.k)])
        pf = None  # the prefetch of the next row block's A (its record; None: idle)
        # S_SLICE: every pass over several segments without early stop (K outer or not)
        w.state(SLICE_CYCLES if not d.early_stop and d.k > kseg else 0)
        w.state()  # PLAN

        def set_slice(k0: int, kk: int) -> None:
            """A K slice's codes from k0 (all of K, or a K-outer slice): its segments, its
            plane words per digit and whether its operands stay on chip."""
            nonlocal segs, one, chunks16, koff, b_stationary, a_banks
            koff, chunks16 = k0 // PLANE_K, plane_chunks(kk)
            segs = [min(kseg, kk - s) for s in range(0, kk, kseg)]
            one = len(segs) == 1
            b_stationary = one and bn * chunks16 <= seg  # B's column blocks side by side
            a_banks = one and 2 * chunks16 <= seg  # two banks of A: the next row block prefetched

        segs, one, chunks16, koff, b_stationary, a_banks = [], True, 0, 0, False, False
        skip = (block_skip_grid(cfg, stopped[i]) if d.early_stop and stopped[i] is not None
                else None)

        def lines(addr: int, n: int, step: int, words: int) -> list[tuple[int, int]]:
            """A load's rows: one run of n lines (K in one segment), a slice of each (K outer)."""
            if sc:
                return [(addr + r * step, words) for r in range(n)]
            return [(addr, n * words)]

        def load(row0: int, col0: int, vm: int, vn: int, s: int, sk: int) -> None:
            nonlocal pf
            words = -(-sk // PLANE_K)
            a = mem_base + d.a_addr + row0 * a_line + (s * seg + koff) * 4 * da
            b = mem_base + d.b_addr + col0 * b_line + (s * seg + koff) * 4 * db
            if one:  # the buffers keep A across a row's blocks, B when N fits one block
                if col0:
                    w.skip()
                elif pf is not None:
                    w.take_prefetch(pf)
                    pf = None
                else:
                    w.read(lines(a, vm, a_line, words * da), words * da)
                if b_stationary and row0:
                    w.skip()
                else:
                    w.read(lines(b, vn, b_line, words * db), words * db)
            else:
                w.read([(a + r * a_line, words * da) for r in range(vm)], words * da)
                w.read([(b + c * b_line, words * db) for c in range(vn)], words * db)

        def group(row0, col0, vm, vn, pairs, started) -> bool:
            nonlocal pf
            for s, sk in enumerate(segs):
                load(row0, col0, vm, vn, s, sk)
                if not started:
                    # BLK_START: once the row block reads no more operands, the prefetch of
                    # the next row block's A (one run of its rows)
                    if (a_banks and pf is None and row0 + tm < d.m
                            and ((b_stationary and row0) or col0 + tn >= d.n)):
                        nm = min(tm, d.m - row0 - tm)
                        pf = w.prefetch(lines(mem_base + d.a_addr + (row0 + tm) * a_line
                                              + koff * 4 * da, nm, a_line, chunks16 * da),
                                        chunks16 * da)
                    w.state()
                    started = True
                n = pairs * -(-sk // cfg.bricks)
                w.state(n)
                w.c.exec_busy += n
            return started

        def sweep(skip, dry: bool, last: bool = True) -> None:
            """The blocks in order; ``dry``: the prefix sweep (its blocks all skip, nothing is
            written, the result stage reads each block's outputs); ``last``: the last K slice
            (the others add their blocks into the sums)."""
            for bi in range(bm):
                row0 = bi * tm
                vm = min(tm, d.m - row0)
                mcarry = mbyte = 0
                for bj in range(bn):
                    col0 = bj * tn
                    vn = min(tn, d.n - col0)
                    w.state()  # BLOCK
                    group(row0, col0, vm, vn, g0, False)
                    w.state(ET_DRAIN if d.early_stop else DRAIN)
                    if d.early_stop:
                        w.state()  # ET_CMP
                        if not (skip[bi, bj] or no_rest):
                            if one:
                                n = g1 * -(-d.k // cfg.bricks)
                                w.state(n)
                                w.c.exec_busy += n
                            else:
                                group(row0, col0, vm, vn, g1, True)
                        w.state(DRAIN)
                    if dry or not last:
                        w.peek(vm * vn)
                        w.state()  # NEXT_BLOCK
                        continue
                    c_addr = mem_base + d.c_addr + row0 * c_stride + col0 * vbytes
                    bits = mcarry + vn
                    last_col = bj == bn - 1
                    nbytes = (bits + 7) // 8 if last_col else bits // 8
                    m_row0 = mem_base + d.mask_addr + row0 * m_stride  # the row block's masks
                    if m_pack:  # the row block's rows gathered, written once: one run of bytes
                        m_rows = [(m_row0, vm * m_stride)] if last_col else None
                    else:
                        m_rows = ([(m_row0 + mbyte + r * m_stride, nbytes) for r in range(vm)]
                                  if nbytes else None)
                    w.hand_over([(c_addr + r * c_stride, vn) for r in range(vm)], vbytes, m_rows,
                                sums=vm * vn if sc else 0)
                    mcarry, mbyte = bits % 8, mbyte + bits // 8
                    w.state()  # NEXT_BLOCK

        if d.early_stop and d.tau_rel is not None:
            set_slice(0, d.k)
            sweep(np.ones((bm, bn), dtype=bool), True)  # the prefix sweep: tau = 0
            w.tau_wait()
            w.state(CYCLE_COSTS.tau_step)  # S_TAU, PLAN again
        for i_sl, (k0, kk) in enumerate(slices):
            if i_sl:
                w.state(SLICE_CYCLES)
                w.state()  # PLAN
            set_slice(k0, kk)
            sweep(skip, False, i_sl == len(slices) - 1)
        w.state()  # FINISH
        w.stat(len(STAT_FIELDS), mem_base + d.stat_addr)
    w.state()  # DONE
    w.c.wall_cycles = w.t
    w.c.result_stall = w.result_cycles - w.c.result_busy
    w.c.fetch_stall = w.fetch_cycles - w.c.fetch_busy
    for name in [*w.c.counters(), "walker_result", "walker_fetch"]:
        setattr(w.c, name, round(getattr(w.c, name)))
    return w.c
