"""Cycle model of one GEMM pass, and the counters the hardware reports for it.

The array works output block by output block (TM x TN outputs, row-major over the blocks).
For a block it walks the digit-pair rings MSB-first; each digit pair takes one cycle per chunk
of ``bricks`` reduction indices. With early termination the block checks, after ring R, whether
every valid output stopped; only then it skips the remaining rings (lockstep group = block).
A tile whose output stopped is operand-gated for the rest of its block: it issues no digit
products and spends no tile cycles (``digit_products`` and ``tile_cycles`` count issued work).

  cycles = DESC_CYCLES + sum over blocks [BLOCK_CYCLES + pairs * ceil(K / bricks) + ET_CHECK]

The overheads are the RTL's fixed costs, measured by its engine-cycle counter (the states of
``frac_walker``), and tests compare them with ``==``:
  DESC_CYCLES = 4      DECODE, CHECK, PLAN and FINISH of one descriptor;
  BLOCK_CYCLES = 5     BLK_START (clear the accumulators) and a 4-cycle DRAIN of the 5-stage
                       pipeline (buffer read; lane select, registered; bricks and partial
                       sums; adder tree; shift + accumulate);
  ET_CHECK_CYCLES = 7  the DRAIN after the stop ring (4, and 2 more for the registered compare
                       |partial| >= tau and the registered AND over the block's outputs) and
                       the ET_CMP cycle that reads it (early stop only; spent whether or not
                       the block skips);
  TAU_STEP_CYCLES      a relative tau only: tau = ceil(max|prefix| * tau_rel / 2^16) between
                       the prefix sweep and the pass (see ``pass_counters``).
The pipeline depth of ``frac_array`` sets these two: each of its stages keeps at most 6 LUT
levels and one carry chain (``fracfpga estimate``), and the walker's DRAIN counts
BLOCK_CYCLES - 1 and ET_CHECK_CYCLES - 1 cycles.
Waits on DDR (descriptor fetch, operand loads, write-back) are not engine
cycles, so bus stalls never change the count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import ArrayConfig
from .descriptor import DESC_BYTES, STAT_BYTES, needs_c64
from .digits import prefix_keep
from .planes import operand_bytes, plane_chunks
from .wall import bus_read_bytes, memory_port, seg_chunks

__all__ = ["CycleCosts", "CYCLE_COSTS", "pass_counters", "ideal_macs_per_cycle",
           "latency_seconds", "utilization", "block_skip_grid"]


@dataclass(frozen=True)
class CycleCosts:
    """Fixed overheads in cycles (rendered into the HLS config header and the RTL)."""

    desc: int = 4  # decode, check, plan and finish one descriptor
    block: int = 5  # clear the accumulators, drain the 5-stage pipeline of one output block
    et_check: int = 7  # drain after the stop ring, registered |partial| >= tau and AND, ET_CMP
    tau_step: int = 18  # relative tau: the multiply between the prefix sweep and the pass

    def hdl_parameters(self) -> dict[str, int]:
        return {"DESC_CYCLES": self.desc, "BLOCK_CYCLES": self.block,
                "ET_CHECK_CYCLES": self.et_check, "TAU_STEP_CYCLES": self.tau_step}


CYCLE_COSTS = CycleCosts()


def _block_grid(stopped: np.ndarray, tm: int, tn: int) -> np.ndarray:
    """Per block: True when every valid output in it stopped."""
    m, n = stopped.shape
    bm, bn = -(-m // tm), -(-n // tn)
    if not stopped.any():
        return np.zeros((bm, bn), dtype=bool)
    if stopped.all():
        return np.ones((bm, bn), dtype=bool)
    if (m, n) != (bm * tm, bn * tn):
        pad = np.ones((bm * tm, bn * tn), dtype=bool)  # padding lanes count as stopped
        pad[:m, :n] = stopped
        stopped = pad
    # one axis at a time: reducing two strided axes at once is slow in numpy
    rows = stopped.reshape(bm, tm, bn * tn).all(axis=1)
    return rows.reshape(bm, bn, tn).all(axis=2)


def block_skip_grid(cfg: ArrayConfig, stopped: np.ndarray) -> np.ndarray:
    """Per TM x TN output block of an M x N stop mask: True when every valid output stopped
    (the block skips its remaining rings), as the cycle and wall-clock models decide it."""
    return _block_grid(stopped, *cfg.tiles)


def _valid_counts(size: int, tile: int) -> np.ndarray:
    """Valid rows (or cols) per block along one dimension."""
    nb = -(-size // tile)
    v = np.full(nb, tile, dtype=np.int64)
    v[-1] = size - tile * (nb - 1)
    return v


def _full_counters(cfg: ArrayConfig, m: int, n: int, k: int, a_bits: int, b_bits: int,
                   chunks: int, costs: CycleCosts, segment: int | None = None) -> dict[str, int]:
    """``pass_counters`` without early termination, in closed form (Python ints).

    Every block walks all ``da * db`` pairs, so the per-block sums collapse: the valid outputs
    over all blocks are ``m * n`` and the lanes ``m * bn + n * bm`` (bm x bn blocks).
    """
    tm, tn = cfg.tiles
    bm, bn = -(-m // tm), -(-n // tn)
    full = cfg.digits(a_bits) * cfg.digits(b_bits)
    nblocks = bm * bn
    compute = full * chunks
    return {
        "cycles": costs.desc + nblocks * (costs.block + compute),
        "digit_products": m * n * full * k,
        "tile_cycles": m * n * compute,
        "stopped": 0,
        "blocks": nblocks,
        "blocks_skipped": 0,
        "buffer_bits": (m * bn + n * bm) * compute * cfg.bricks * cfg.brick_width,
        "dram_bits": _dram_bits(cfg, m, n, k, a_bits, b_bits, segment=segment),
        "macs": m * n * k,
    }


def _record_bits(m: int, n: int, k: int, a_bits: int, b_bits: int) -> int:
    """DDR bits a pass moves once whatever its blocks do: the descriptor read, then C (32 or
    64-bit values), the packed mask and the STAT record written (strobed bytes)."""
    value_bits = 64 if needs_c64(a_bits, b_bits, k) else 32
    return 8 * (m * -(-n // 8) + DESC_BYTES + STAT_BYTES) + value_bits * m * n


def _dram_bits(cfg: ArrayConfig, m: int, n: int, k: int, a_bits: int, b_bits: int,
               reload=None, segment: int | None = None, early: bool = False) -> int:
    """DDR bits of a pass as the RTL moves them on the bus (memory contract v2, buffers 8-byte
    aligned): the digit planes of A and B as every output block reads them, in whole beats
    (``fpga_model.wall.bus_read_bytes``), and ``_record_bits``."""
    reads = bus_read_bytes(cfg, m, n, k, a_bits, b_bits, reload=reload, segment=segment,
                           early=early)
    return 8 * reads + _record_bits(m, n, k, a_bits, b_bits)


def pass_counters(cfg: ArrayConfig, m: int, n: int, k: int, a_bits: int, b_bits: int,
                  stop_ring: int | None, stopped: np.ndarray | None,
                  costs: CycleCosts = CYCLE_COSTS, *,
                  prefix: tuple[int, int] | None = None,
                  two_sweeps: bool = False, segment: int | None = None) -> dict[str, int]:
    """Counters of one GEMM pass: cycles, digit_products, tile_cycles, stopped, buffer/dram bits.

    ``stopped`` is the M x N early-stop mask (None without early termination); the prefix is
    the symmetric ``stop_ring`` or ``prefix`` = (p, q) digits of A and B. A stopped tile stops
    issuing for the rest of its block (operand-gated: no digit products, no tile cycles), while
    the cycles of a block shrink only when all its outputs stopped (the block is the lockstep
    group). ``two_sweeps`` (tau relative to this pass's prefix maximum): the kernels first run
    the prefix sweep, the pass as if every output stopped but writing nothing (it only keeps
    the largest |prefix|), spend ``tau_step`` cycles on the threshold, then run the pass; the
    counters are the two sweeps' sums (stops and skips: the pass's), the descriptor and the
    results counted once.
    """
    if two_sweeps:
        assert stopped is not None
        kw = dict(prefix=prefix, segment=segment)
        sweep = pass_counters(cfg, m, n, k, a_bits, b_bits, stop_ring,
                              np.ones((m, n), dtype=bool), costs, **kw)
        main = pass_counters(cfg, m, n, k, a_bits, b_bits, stop_ring, stopped, costs, **kw)
        both = {key: sweep[key] + main[key] for key in
                ("digit_products", "tile_cycles", "buffer_bits")}
        return {**main, **both,
                "cycles": main["cycles"] + sweep["cycles"] - costs.desc + costs.tau_step,
                "dram_bits": main["dram_bits"] + sweep["dram_bits"]
                - _record_bits(m, n, k, a_bits, b_bits)}
    tm, tn = cfg.tiles
    da, db = cfg.digits(a_bits), cfg.digits(b_bits)
    chunks = -(-k // cfg.bricks)
    full = da * db
    if stop_ring is None and prefix is None:
        return _full_counters(cfg, m, n, k, a_bits, b_bits, chunks, costs, segment)
    vm, vn = _valid_counts(m, tm), _valid_counts(n, tn)
    valid = np.outer(vm, vn)  # valid outputs per block
    assert stopped is not None
    p, q = prefix_keep(da, db, stop_ring, prefix)
    first = p * q  # pairs issued before the stop decision
    pairs = np.where(_block_grid(stopped, tm, tn), first, full).astype(np.int64)
    compute = pairs * chunks
    nblocks = valid.size
    # blocks that run the pairs after the prefix read their K segments again (K > segment)
    reload = None
    if plane_chunks(k) > (segment or seg_chunks(cfg)) and (p, q) != (da, db):
        reload = (pairs == full).astype(np.int64)
    cycles = costs.desc + nblocks * (costs.block + costs.et_check) + int(compute.sum())
    dram = _dram_bits(cfg, m, n, k, a_bits, b_bits, reload, segment, early=True)
    lanes = np.add.outer(vm, vn)  # operand words read per cycle (one per valid row and column)
    n_stop = int(stopped.sum())
    # every valid output takes the prefix pairs, the running ones the rest (a skipped block's
    # outputs all stopped)
    issued = m * n * first + (m * n - n_stop) * (full - first)
    return {
        "cycles": int(cycles),
        "digit_products": issued * k,
        "tile_cycles": issued * chunks,
        "stopped": n_stop,
        "blocks": int(nblocks),
        "blocks_skipped": int((pairs < full).sum()),
        "buffer_bits": int((lanes * compute).sum()) * cfg.bricks * cfg.brick_width,
        "dram_bits": dram,
        "macs": m * n * k,
    }


def ideal_macs_per_cycle(cfg: ArrayConfig, a_bits: int, b_bits: int) -> dict[str, float]:
    """The two roofs of DESIGN §4: digit roof N_bricks/(D_a D_b), bit-level N_bricks*B^2/(b_a b_b)."""
    nb = cfg.num_bricks
    return {
        "digit_roof": nb / (cfg.digits(a_bits) * cfg.digits(b_bits)),
        "bit_limit": nb * cfg.brick_width ** 2 / (a_bits * b_bits),
    }


def utilization(cfg: ArrayConfig, counters: dict[str, int], a_bits: int,
                b_bits: int) -> dict[str, float]:
    """Achieved MAC/cycle over each roof (1.0 = the roof)."""
    achieved = counters["macs"] / counters["cycles"]
    roofs = ideal_macs_per_cycle(cfg, a_bits, b_bits)
    return {"macs_per_cycle": achieved,
            "vs_digit_roof": achieved / roofs["digit_roof"],
            "vs_bit_limit": achieved / roofs["bit_limit"]}


def latency_seconds(cfg: ArrayConfig, counters: dict[str, int]) -> float:
    """Modeled latency: engine time or DRAM time, whichever is longer (a roofline).

    DRAM time is at the sustained bandwidth of the port the kernel uses (``Board.port``,
    S_AXI_HP0 on Zynq-7000), not the DDR's peak.
    """
    compute = counters["cycles"] / cfg.clock_hz
    memory = counters["dram_bits"] / 8 / memory_port(cfg).sustained_bytes_per_s
    return max(compute, memory)
