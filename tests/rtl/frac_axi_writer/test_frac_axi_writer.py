"""``frac_axi_writer`` on Icarus under random valid/ready on every side.

The driver behaves as the walker's result stage does: it raises a command, offers that
command's elements back to back (or with random gaps), and raises the next command in the cycle
after its last element was taken, without waiting for cmd_ready (the writer takes an element
only for a command it has accepted, so the previous command is always taken by then). A memory
with random AWREADY/WREADY/BVALID pauses checks the bursts (no 16-beat block crossed, WLAST on
the burst's last beat), stores the strobed bytes, and every command's bytes must land exactly at
their rows, with no other byte written. in_ready must be a register: it never changes while
the clock is low (it may not follow WREADY or in_valid in the same cycle).
"""

from __future__ import annotations

import random
from pathlib import Path

import cocotb
import pytest
from cocotb.clock import Clock
from cocotb.triggers import Edge, FallingEdge, ReadOnly, RisingEdge


pytestmark = pytest.mark.sim

HERE = Path(__file__).resolve().parent
PARAMS = dict(ADDR_W=40, MAX_BURST=16)
SIZES = {0: 1, 2: 4, 3: 8}


def _commands(rng: random.Random) -> list[dict]:
    """Rows of elements as the result stage writes them: C blocks (int32, int64; 1 or 2
    elements too), mask bytes, STAT records; any byte alignment, rows across 16-beat blocks."""
    cmds, base = [], 0x10_0000_0000
    for k in range(60):
        size = rng.choice([0, 2, 3])
        count = rng.choice([1, 1, 2, 2, 3, 5, 6, 9, 17, 40])
        rows = rng.choice([1, 1, 2, 3, 7])
        stride = count * SIZES[size] + rng.choice([0, 1, 3, 8, 100])
        addr = base + k * 0x2000 + rng.randrange(0, 200)
        elems = [rng.getrandbits(64) for _ in range(count * rows)]
        cmds.append(dict(addr=addr, count=count, rows=rows, stride=stride, size=size,
                         elems=elems))
    return cmds


def _expected(cmds) -> dict[int, int]:
    mem = {}
    for c in cmds:
        nb = SIZES[c["size"]]
        for r in range(c["rows"]):
            for i in range(c["count"]):
                v = c["elems"][r * c["count"] + i]
                a = c["addr"] + r * c["stride"] + i * nb
                for b in range(nb):
                    mem[a + b] = (v >> (8 * b)) & 0xFF
    return mem


async def _memory(dut, rng, p: float, mem: dict, stats: dict) -> None:
    """AXI slave: random AWREADY/WREADY, B responses after random waits."""
    aws, pending_b = [], []
    beat_in_burst = 0
    dut.awready.value = 0
    dut.wready.value = 0
    dut.bvalid.value = 0
    while True:
        await FallingEdge(dut.clk)
        dut.awready.value = int(rng.random() >= p)
        dut.wready.value = int(rng.random() >= p and len(aws) > 0)
        dut.bvalid.value = int(bool(pending_b) and rng.random() >= p)
        await ReadOnly()  # what the next rising edge sees
        if int(dut.awvalid.value) and int(dut.awready.value):
            addr, ln = int(dut.awaddr.value), int(dut.awlen.value) + 1
            assert addr % 8 == 0
            assert addr // 128 == (addr + 8 * ln - 1) // 128, "a burst crosses a 16-beat block"
            aws.append([addr, ln])
            stats["aw"] += 1
        if int(dut.wvalid.value) and int(dut.wready.value):
            assert aws or int(dut.awvalid.value), "a W beat before its AW"
            addr, ln = aws[0]
            data, strb = int(dut.wdata.value), int(dut.wstrb.value)
            a = addr + 8 * beat_in_burst
            for b in range(8):
                if strb >> b & 1:
                    assert a + b not in mem, f"byte {a + b:#x} written twice"
                    mem[a + b] = (data >> (8 * b)) & 0xFF
            beat_in_burst += 1
            last = beat_in_burst == ln
            assert int(dut.wlast.value) == last, (hex(addr), ln, beat_in_burst)
            if last:
                aws.pop(0)
                beat_in_burst = 0
                pending_b.append(1)
            stats["w"] += 1
        if int(dut.bvalid.value) and int(dut.bready.value):
            pending_b.pop(0)
            stats["b"] += 1
        await RisingEdge(dut.clk)


async def _watch_ready(dut) -> None:
    """in_ready changes only at a rising edge (a register)."""
    while True:
        await Edge(dut.in_ready)
        assert int(dut.clk.value) == 1, "in_ready changed between clock edges"


async def _run(dut, seed: int, p: float, gaps: float) -> None:
    rng = random.Random(seed)
    cmds = _commands(rng)
    mem, stats = {}, {"aw": 0, "w": 0, "b": 0}
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst.value = 1
    dut.cmd_valid.value = 0
    dut.in_valid.value = 0
    for _ in range(3):
        await RisingEdge(dut.clk)
    dut.rst.value = 0
    cocotb.start_soon(_memory(dut, random.Random(seed + 1), p, mem, stats))
    cocotb.start_soon(_watch_ready(dut))
    cycles = 0
    for c in cmds:
        await FallingEdge(dut.clk)
        dut.cmd_valid.value = 1
        dut.cmd_addr.value = c["addr"]
        dut.cmd_count.value = c["count"]
        dut.cmd_rows.value = c["rows"]
        dut.cmd_stride.value = c["stride"]
        dut.cmd_size.value = c["size"]
        accepted = False
        elems = list(c["elems"])
        while elems:
            offer = rng.random() >= gaps
            dut.in_valid.value = int(offer)
            dut.in_data.value = elems[0] if offer else rng.getrandbits(64)
            await ReadOnly()  # what the next rising edge sees
            if int(dut.cmd_valid.value) and int(dut.cmd_ready.value):
                accepted = True
            if offer and int(dut.in_ready.value):
                assert accepted, "an element taken before its command"
                elems.pop(0)
            await RisingEdge(dut.clk)
            await FallingEdge(dut.clk)
            if accepted:
                dut.cmd_valid.value = 0
            cycles += 1
            assert cycles < 200_000, "the writer stopped taking elements"
        dut.in_valid.value = 0
    for _ in range(100_000):
        await RisingEdge(dut.clk)
        await ReadOnly()
        if int(dut.idle.value) and not int(dut.cmd_valid.value):
            break
    else:
        raise AssertionError("the writer never went idle")
    assert stats["aw"] == stats["b"]
    want = _expected(cmds)
    assert mem == want, "the bytes written differ"


@cocotb.test()
async def writer_back_to_back(dut):
    await _run(dut, 1, 0.0, 0.0)


@cocotb.test()
async def writer_random_pauses(dut):
    await _run(dut, 2, 0.4, 0.0)


@cocotb.test()
async def writer_random_pauses_and_gaps(dut):
    await _run(dut, 3, 0.5, 0.3)


def test_frac_axi_writer_under_random_ready(cocotb_unit):
    """Build the writer on Icarus and run the cocotb tests above."""
    total, failed, log = cocotb_unit(HERE, ["frac_axi_writer.v"], "frac_axi_writer", PARAMS)
    assert total == 3 and failed == 0, f"a cocotb test failed; see {log}"
