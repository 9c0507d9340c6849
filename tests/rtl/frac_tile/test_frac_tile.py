"""Operand isolation of a stopped tile (``frac_tile`` inside a small ``frac_array``) on Icarus.

Two tiles (TM=2, TN=1, 4 bricks, 2 digits): after the stop ring the top tile crosses tau and
stops, its neighbour does not. For the rest of the block the stopped tile's brick products,
partial sums, tree sum (the DSP48's B register) and accumulator must not change, while the
running neighbour's do; both accumulators must equal the digit arithmetic (the stopped one its
prefix), and the next block's clear lets the stopped tile accumulate again.
"""

from __future__ import annotations

from pathlib import Path

import cocotb
import numpy as np
import pytest
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge


pytestmark = pytest.mark.sim

HERE = Path(__file__).resolve().parent
SOURCES = ("frac_array.v", "frac_tile.v", "frac_opbuf.v")
PARAMS = dict(TM=2, TN=1, BRICKS=4, ACC_WIDTH=48, MAX_DIGITS=2, MAX_SHIFT=4, PLANE_K=16,
              SEG_CHUNKS=1)
CHUNKS = 16 // PARAMS["BRICKS"]
DRAIN = 4  # cycles from the last issue until the accumulators settle
TAU = 1000
WATCHED = ("prods", "part_q", "sum_q", "acc")


def _word(digits) -> int:
    return sum(int(d) << (2 * k) for k, d in enumerate(digits))


def _tile(dut, row: int):
    return dut.g_tile_row[row].g_tile[0].u_tile


def _snapshot(tile) -> dict[str, int]:
    return {name: int(getattr(tile, name).value) for name in WATCHED}


async def _tick(dut, n: int = 1) -> None:
    for _ in range(n):
        await RisingEdge(dut.clk)


async def _idle(dut) -> None:
    for name in ("a_wr_en", "b_wr_en", "issue", "clr", "et_cmp", "snap"):
        getattr(dut, name).value = 0


async def _issue(dut, pairs, watch=None) -> list[dict]:
    """Issue every chunk of each digit pair (i, j), then drain; ``watch``: tiles to sample after
    every cycle (a list of per-cycle {row: snapshot})."""
    seen = []
    todo = [(i, j, c) for i, j in pairs for c in range(CHUNKS)] + [None] * (DRAIN + 1)
    prev = None
    for item in todo:
        dut.issue.value = item is not None
        if item is not None:
            i, j, c = item
            dut.rd_addr.value = c
            dut.b_rd_addr.value = c
            dut.a_plane.value = i
            dut.b_plane.value = j
        dut.shift.value = 0 if prev is None else 2 * (prev[0] + prev[1])  # a cycle after issue
        prev = item
        await RisingEdge(dut.clk)
        if watch is not None:
            await ReadOnly()
            seen.append({r: _snapshot(_tile(dut, r)) for r in watch})
            await FallingEdge(dut.clk)  # drive the next issue away from the sampled edge
    dut.issue.value = 0
    return seen


def _changes(seen: list[dict], row: int) -> dict[str, int]:
    """Per watched register of ``row``: how many cycles its value changed."""
    return {name: sum(seen[k][row][name] != seen[k - 1][row][name] for k in range(1, len(seen)))
            for name in WATCHED}


@cocotb.test()
async def run_stopped_tile_is_quiet(dut):
    rng = np.random.default_rng(14)
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    await _idle(dut)
    for name in ("a_pad_mask", "b_pad_mask", "a_signed", "b_signed", "issue", "shift"):
        getattr(dut, name).value = 0
    dut.rst.value = 1
    dut.vm.value = 2
    dut.vn.value = 1
    dut.thr_hi.value = TAU
    dut.thr_lo.value = -TAU
    await _tick(dut, 3)
    dut.rst.value = 0

    # digit planes (unsigned digits 0..3): row 0 large on its top plane, row 1 zero there
    a = np.zeros((2, 2, 16), dtype=np.int64)  # row, plane, lane
    a[0, 1] = rng.integers(1, 4, 16)
    a[0, 0] = rng.integers(0, 4, 16)
    a[1, 0] = rng.integers(1, 4, 16)
    b = rng.integers(1, 4, (2, 16))
    # two planes (an even digit count): word (0, p) lies in bank p at {0, p} >> 1 = 0, so a
    # line's two words are written in one cycle, as the reader delivers them
    dut.a_odd.value = 0
    dut.b_odd.value = 0
    dut.wr_en0.value = 1
    dut.wr_en1.value = 1
    dut.wr_addr0.value = 0
    dut.wr_addr1.value = 0
    for row in range(2):
        dut.a_wr_en.value = 1
        dut.a_wr_row.value = row
        dut.wr_word0.value = _word(a[row, 0])
        dut.wr_word1.value = _word(a[row, 1])
        await _tick(dut)
    dut.a_wr_en.value = 0
    dut.b_wr_en.value = 1
    dut.b_wr_col.value = 0
    dut.wr_word0.value = _word(b[0])
    dut.wr_word1.value = _word(b[1])
    await _tick(dut)
    dut.b_wr_en.value = 0

    def value(row, pairs):
        return sum(int(a[row, i] @ b[j]) << (2 * (i + j)) for i, j in pairs)

    rest = [(1, 0), (0, 1), (0, 0)]
    for block in range(2):
        dut.clr.value = 1
        await _tick(dut)
        dut.clr.value = 0
        await _issue(dut, [(1, 1)])  # the stop ring
        assert int(_tile(dut, 0).acc.value) == value(0, [(1, 1)]) > TAU
        assert int(_tile(dut, 1).acc.value) == value(1, [(1, 1)]) == 0
        dut.et_cmp.value = 1
        await _tick(dut)
        dut.et_cmp.value = 0
        await _tick(dut)
        await ReadOnly()
        assert int(_tile(dut, 0).stop.value) == 1 and int(_tile(dut, 1).stop.value) == 0
        await RisingEdge(dut.clk)
        seen = await _issue(dut, rest, watch=(0, 1))
        quiet, running = _changes(seen, 0), _changes(seen, 1)
        dut._log.info("block %d: changes of the stopped tile %s, of the running one %s",
                      block, quiet, running)
        assert quiet == dict.fromkeys(WATCHED, 0), f"the stopped tile toggled: {quiet}"
        assert all(running[name] > 0 for name in WATCHED), f"the running tile held: {running}"
        assert int(_tile(dut, 0).acc.value) == value(0, [(1, 1)])
        assert int(_tile(dut, 1).acc.value) == value(1, [(1, 1)] + rest)
        await _tick(dut)
    # the next block's clear releases the stop: the top tile accumulates the whole block
    dut.clr.value = 1
    await _tick(dut)
    dut.clr.value = 0
    await _issue(dut, [(1, 1)] + rest)
    await ReadOnly()
    assert int(_tile(dut, 0).stop.value) == 0
    assert int(_tile(dut, 0).acc.value) == value(0, [(1, 1)] + rest)


def test_frac_tile_isolation(cocotb_unit):
    """Build the two-tile array on Icarus and run the cocotb test above."""
    total, failed, log = cocotb_unit(HERE, SOURCES, "frac_array", PARAMS)
    assert total == 1 and failed == 0, f"the cocotb test failed; see {log}"
