"""The HLS kernel's on-chip buffers and its cycle estimate (hls_templates/hls/include/frac_*.h).

The HLS kernel is a DATAFLOW region of fetch -> execute -> result (frac_pass.h) that walks the
steps of ``frac_plan.h``: a step is one output block with one K segment and one ring group.
``HlsBuffers`` sizes its buffers from the design model's budget (``pipeline.buffer_plan``) and
is rendered into frac_config.h, so the kernel and this model choose the same order per pass:

* output stationary (FW, EB; GC that does not fit): A rows stay on chip across column blocks
  and B stays on chip across row blocks when K fits one segment and B fits the store;
* K outer (GC whose M x N accumulators fit ``acc_outputs``): segments outermost, every block's
  accumulators kept on chip, B's segment of every column on chip when it fits.

``hls_pass_cycles`` predicts the kernel's cycles from that stage structure (trip counts,
initiation intervals, pipeline depths, burst latency): each stage's cycles summed over the
steps, and the dataflow region costs the slowest stage plus the fill of the other two.
With K in one segment, execute fills its second A buffer behind the issue of the row block
before, so only what the issue cannot hide is counted.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from .config import ArrayConfig
from .cycles import CYCLE_COSTS, CycleCosts
from .descriptor import DESC_BYTES, STAT_BYTES, needs_c64
from .digits import prefix_keep
from .pipeline import ACC_BYTES, buffer_plan, plan_pass
from .planes import PLANE_BYTES, PLANE_K
from .shapes import STAGE_HW, conv_pass_shapes
from .wall import memory_port

__all__ = ["HlsBuffers", "hls_buffers", "OUT_COLS", "MaxiSettings", "maxi_settings",
           "HlsTiming", "HLS_TIMING", "HlsEstimate", "hls_pass_cycles", "hls_job_cycles",
           "bench_pairs", "cycle_table"]

OUT_COLS = 1024  # columns of the result stage's row buffer (wider passes go in slices)


@dataclass(frozen=True)
class HlsBuffers:
    """On-chip buffer sizes of the HLS kernel (rendered into frac_config.h)."""

    seg_planes: int  # plane words per line and digit plane in one K segment
    b_depth: int  # plane words per bank of the stationary B store (one bank per tile column)
    acc_outputs: int  # outputs whose accumulators fit on chip (the K-outer order for GC)
    acc_blocks: int  # output blocks of accumulators on chip
    out_cols: int = OUT_COLS

    def __post_init__(self) -> None:
        if self.out_cols < 64:  # a sliced mask row must span a whole beat (frac_result.h)
            raise ValueError(f"out_cols {self.out_cols} must be at least 64")

    def slice_columns(self, tn: int) -> int:
        """Columns of one result slice: whole column blocks of the row buffer (>= 64)."""
        return self.out_cols // tn * tn

    def hdl_parameters(self) -> dict[str, int]:
        return {"SEG_PLANES": self.seg_planes, "B_DEPTH": self.b_depth,
                "ACC_OUTPUTS": self.acc_outputs, "ACC_BLOCKS": self.acc_blocks,
                "OUT_COLS": self.out_cols}


def hls_buffers(cfg: ArrayConfig) -> HlsBuffers:
    """The design model's budget in the kernel's units: half the BRAM for B, a quarter for the
    accumulators, ``segment_chunks`` plane words per line and plane in a K segment."""
    plan = buffer_plan(cfg)
    acc_outputs = plan.acc_bytes // ACC_BYTES
    out_cols = max(OUT_COLS, -(-64 // cfg.tn) * cfg.tn)  # a slice holds 64 columns or more
    return HlsBuffers(seg_planes=plan.segment_chunks,
                      b_depth=plan.stationary_bytes // (PLANE_BYTES * cfg.tn),
                      acc_outputs=acc_outputs,
                      acc_blocks=max(1, acc_outputs // cfg.num_tiles), out_cols=out_cols)


# ------------------------------------------------------------------------------ the interface
@dataclass(frozen=True)
class MaxiSettings:
    """The m_axi options of the kernel's one AXI master (rendered into its INTERFACE pragma).

    Vitis HLS 2022.1 defaults are 16-beat bursts, 16 outstanding requests, latency 64 and
    automatic widening; the kernel's beats are already the port's width, so widening is pinned
    to it, and bursts are as long as one line segment may be, split by the interconnect where
    the PS port takes less (Zynq-7000 HP ports are AXI3: 16 beats).
    """

    bus_bits: int
    latency: int  # expected cycles from a read request to its first beat
    max_read_burst_length: int = 256
    max_write_burst_length: int = 256
    num_read_outstanding: int = 16
    num_write_outstanding: int = 16

    def pragma_options(self) -> dict[str, int]:
        return {"latency": self.latency, "max_read_burst_length": self.max_read_burst_length,
                "max_write_burst_length": self.max_write_burst_length,
                "num_read_outstanding": self.num_read_outstanding,
                "num_write_outstanding": self.num_write_outstanding,
                "max_widen_bitwidth": self.bus_bits}

    def pragma_text(self) -> str:
        """The options as they follow ``#pragma HLS INTERFACE m_axi port=MEM ...``."""
        return " ".join(f"{k}={v}" for k, v in self.pragma_options().items())


def maxi_settings(cfg: ArrayConfig) -> MaxiSettings:
    """The board's memory port as the kernel's m_axi options."""
    port = memory_port(cfg)
    return MaxiSettings(bus_bits=8 * port.bus_bytes, latency=port.latency_cycles)


# --------------------------------------------------------------------------- the cycle model
@dataclass(frozen=True)
class HlsTiming:
    """Pipeline depths and fixed costs the estimate assumes (cycles); csynth reports the real
    ones (tests/test_vendor_flows.py compares them under --run-vitis)."""

    burst_depth: int = 3  # fetch's beat loop: read, realign, FIFO write
    unpack_depth: int = 2  # execute's buffer fill loop
    issue_depth: int = 5  # buffer read, digit select, bricks, tree, shift + accumulate
    step: int = 3  # per step in execute: load and store the block's accumulators, decode
    result_depth: int = 3  # result's packer loop
    descriptor: int = 12  # walker: decode, check, plan, start the dataflow region


HLS_TIMING = HlsTiming()


@dataclass(frozen=True)
class HlsEstimate:
    """Estimated cycles of one pass on the HLS kernel, by stage."""

    order: str  # "B stationary", "streamed", "K outer" (as frac_plan.h chooses)
    b_resident: bool  # B stays in the stationary store across row blocks
    steps: int
    fetch_cycles: float
    execute_cycles: float
    result_cycles: float
    port_cycles: float  # all bytes of the pass at the port's sustained rate
    walker_cycles: float  # descriptor read, edge merges, STAT: in series with the region
    cycles: int

    @property
    def bound(self) -> str:
        stages = {"fetch": self.fetch_cycles, "execute": self.execute_cycles,
                  "result": self.result_cycles, "port": self.port_cycles}
        return max(stages, key=stages.get)


def _classes(count: int) -> list[tuple[int, int]]:
    """(representative index, multiplicity) of the first, the middle and the last index."""
    if count <= 2:
        return [(i, 1) for i in range(count)]
    return [(0, 1), (1, count - 2), (count - 1, 1)]


def hls_pass_cycles(cfg: ArrayConfig, m: int, n: int, k: int, a_bits: int, b_bits: int,
                    pass_: str = "fw", *, stop_ring: int | None = None,
                    buffers: HlsBuffers | None = None, timing: HlsTiming = HLS_TIMING,
                    costs: CycleCosts = CYCLE_COSTS,
                    prefix: tuple[int, int] | None = None, sweep: bool = False) -> HlsEstimate:
    """Cycles of one pass on the HLS kernel: per stage the sum over its steps (frac_plan.h's
    order and reuse), the region the slowest stage (or the shared port) plus the fill of the
    first fetch and the last write-back, and the walker's serial work around it. With early
    termination it assumes no block stops (the later ring group runs everywhere). ``sweep``:
    the prefix sweep of a relative tau instead (every block stops, nothing is written; the
    walker only derives the threshold)."""
    buf = buffers or hls_buffers(cfg)
    port = memory_port(cfg)
    tm, tn = cfg.tiles
    da, db = cfg.digits(a_bits), cfg.digits(b_bits)
    pairs = da * db
    early = stop_ring is not None or prefix is not None
    kp, kq = prefix_keep(da, db, stop_ring, prefix)
    split = kp * kq
    groups = 2 if early else 1
    vbytes = 8 if needs_c64(a_bits, b_bits, k) else 4
    bm_n, bn_n = -(-m // tm), -(-n // tn)
    planes = -(-k // PLANE_K)
    segs = -(-planes // buf.seg_planes)
    seg_k = buf.seg_planes * PLANE_K
    k_outer = pass_ == "gc" and m * n <= buf.acc_outputs and bm_n * bn_n <= buf.acc_blocks
    seg_b = min(planes, buf.seg_planes) * db
    resident = (k_outer or segs == 1) and bn_n * seg_b <= buf.b_depth
    outer, inner = (groups * segs, 1) if k_outer else (1, groups * segs)
    bpc = port.bytes_per_cycle
    beat = port.bus_bytes

    def burst(words: int) -> float:  # one line segment: whole beats at <= one per cycle
        nbytes = PLANE_BYTES * words
        return max(-(-nbytes // beat) + 1, nbytes / bpc) + timing.burst_depth

    fetch = execute = result = 0.0
    read_bytes = 0
    first_fetch = None
    slice_blocks = buf.out_cols // tn
    prefetch = not k_outer and segs == 1  # execute's second A buffer (frac_execute.h)
    for o in range(outer):
        for i in range(inner):
            gs = o if k_outer else i
            g, s = divmod(gs, segs)
            sp = min(buf.seg_planes, planes - s * buf.seg_planes)
            chunks = -(-min(seg_k, k - s * seg_k) // cfg.bricks)
            issues = (split if g == 0 else 0 if sweep else pairs - split) * chunks
            last = gs + 1 == (outer if k_outer else inner)
            for bm, mult_m in _classes(bm_n):
                rows = min(tm, m - bm * tm)
                for bn, mult_n in _classes(bn_n):
                    cols = min(tn, n - bn * tn)
                    if k_outer:
                        need_a, need_b = bn == 0, bm == 0 or not resident
                    elif segs == 1:
                        need_a, need_b = bn == 0 and i == 0, i == 0 and (bm == 0 or not resident)
                    else:
                        need_a = need_b = True
                    mult = mult_m * mult_n
                    f = e = r = 0.0
                    if need_a:
                        f += rows * burst(sp * da)
                        fill = rows * -(-sp * da // 2)
                        if prefetch and bm > 0:  # came in behind the last row block's issue
                            fill = max(0, fill - bn_n * pairs * chunks)
                        e += fill + rows * timing.unpack_depth
                        read_bytes += mult * rows * sp * da * PLANE_BYTES
                    if need_b:
                        f += cols * burst(sp * db)
                        e += cols * (-(-sp * db // 2) + timing.unpack_depth)
                        read_bytes += mult * cols * sp * db * PLANE_BYTES
                    e += timing.step + (issues + timing.issue_depth if issues else 0)
                    if last and not sweep:
                        e += rows
                        r += rows
                        if bn + 1 == bn_n or (bn + 1) % slice_blocks == 0:
                            width = min(n, (bn // slice_blocks + 1) * slice_blocks * tn) - (
                                bn // slice_blocks) * slice_blocks * tn
                            c_bytes = rows * width * vbytes
                            r += (max(rows * width, c_bytes / bpc) + timing.result_depth
                                  + rows * -(-width // 8) + timing.result_depth)
                    if first_fetch is None:
                        first_fetch = f
                    fetch += mult * f
                    execute += mult * e
                    result += mult * r
    write_bytes = 0 if sweep else m * n * vbytes + m * -(-n // 8)
    port_cycles = (read_bytes + write_bytes) / bpc
    last_write = 0 if sweep else min(result, max(tm * n, tm * n * vbytes / bpc)
                                     + tm * -(-n // 8) + 2 * timing.result_depth)
    region = (max(fetch, execute, result, port_cycles) + port.latency_cycles
              + (first_fetch or 0) + last_write)
    # the walker's serial work: descriptor, edge merges and STAT; the sweep only derives tau
    walker = costs.tau_step if sweep else (
        timing.descriptor + costs.desc + port.latency_cycles + DESC_BYTES // beat + 1
        + 4 * (port.latency_cycles + 2) + STAT_BYTES // beat + 2 * (port.latency_cycles + 2))
    order = "K outer" if k_outer else ("B stationary" if resident else "streamed")
    steps = outer * bm_n * bn_n * inner
    return HlsEstimate(order, resident, steps, fetch, execute, result, port_cycles, walker,
                       round(region + walker))


def bench_pairs(cfg: ArrayConfig) -> list[tuple[int, int]]:
    """The pairs the cycle table shows: 8x8 and 4x4 where the config has them (the bench's
    FracTrain pairs), else its widest and narrowest pair."""
    want = [(8, 8), (4, 4)]
    if all(b in cfg.bits for pair in want for b in pair):
        return want
    return sorted({(max(cfg.bits),) * 2, (min(cfg.bits),) * 2}, reverse=True)


@functools.lru_cache(maxsize=32)
def cycle_table(cfg: ArrayConfig) -> tuple[dict, ...]:
    """Per bench shape and pair: the RTL's wall cycles as the second-generation design model
    predicts them and the HLS kernel's estimated cycles (rows for the generated README)."""
    rows = []
    for channels in sorted(STAGE_HW):
        for pass_, m, k, n in conv_pass_shapes(channels):
            for a_bits, b_bits in bench_pairs(cfg):
                rtl = plan_pass(cfg, m, n, k, a_bits, b_bits, pass_)
                hls = hls_pass_cycles(cfg, m, n, k, a_bits, b_bits, pass_)
                rows.append({"stage": channels, "pass": pass_, "shape": (m, k, n),
                             "pair": (a_bits, b_bits), "rtl_dataflow": rtl.dataflow,
                             "hls_order": hls.order, "rtl_wall_cycles": rtl.wall_cycles,
                             "hls_cycles": hls.cycles, "hls_bound": hls.bound,
                             "ratio": round(hls.cycles / rtl.wall_cycles, 2)})
    return tuple(rows)


def hls_job_cycles(cfg: ArrayConfig, descriptors, timing: HlsTiming = HLS_TIMING) -> int:
    """Estimated cycles of one kernel start on a descriptor list (``Descriptor`` objects, all
    accepted): the passes one after the other, as the walker runs them (a relative tau's
    prefix sweep before its pass)."""
    total = 0
    for d in descriptors:
        for sweep in ((True, False) if d.tau_rel is not None else (False,)):
            total += hls_pass_cycles(cfg, d.m, d.n, d.k, d.a_bits, d.b_bits,
                                     d.pass_.name.lower(), stop_ring=d.stop_ring, timing=timing,
                                     prefix=d.prefix, sweep=sweep).cycles
    return total
