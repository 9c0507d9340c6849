"""The one generic cocotb test of the RTL backend: replay a ``Program`` through cocotbext-axi.

This module runs inside the simulator (cocotb imports it as the test module). It reads a run
folder written by ``host.accel.rtl`` and named by ``FRACFPGA_RUN``:

- ``program.json``: the register steps and the DDR window (``Program``);
- ``image.bin``: the window's bytes before the run;
- ``options.json``: pause generators on or off, and their seed.

The bench is ``codegen.rtlsim.RtlBench`` (clock, reset, DDR as an ``AxiRam``, an
``AxiLiteMaster`` on ``s_axi_control``); with pauses on, every AXI channel, the control
master's included, gets idle cycles and backpressure. The steps are replayed with the same
poll rule as ``host.accel.replay``, counting clock cycles, and the run leaves ``result.json``
(``ProgramResult``) and ``image.out.bin`` (the window after the run). A poll that runs out of
cycles is a result, not a test failure; only a broken bench fails the test.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import cocotb
from cocotb.simtime import get_sim_time
from cocotb.triggers import ClockCycles

from codegen.rtlsim import RtlBench
from fpga_model.regmap import register

from .program import Poll, PollRecord, Program, ProgramResult, Read, Write
from .regfile import check_access
from .replay import poll_outcome

RUN_ENV = "FRACFPGA_RUN"


class _Port:
    """The checked register port of the replay: names, offsets and values as ``RegisterFile``."""

    def __init__(self, bench: RtlBench) -> None:
        self.bench = bench

    def cycles(self) -> int:
        return int(get_sim_time("ns") // self.bench.clock_ns)

    async def read(self, name: str) -> int:
        check_access(register(name).offset)
        return await self.bench.read_reg(name)

    async def write(self, name: str, value: int) -> None:
        check_access(register(name).offset, value)
        await self.bench.write_reg(name, value)

    async def poll(self, step: Poll) -> PollRecord:
        t0 = self.cycles()
        reads = 0
        while True:
            value = await self.read(step.reg)
            reads += 1
            record = poll_outcome(step, value, reads, self.cycles() - t0)
            if record is not None:
                return record
            await ClockCycles(self.bench.dut.ap_clk, step.interval)


def _pause_control(bench: RtlBench, seed: int) -> None:
    """Idle cycles on the control master's channels too (RtlBench pauses the DDR side)."""
    rng = random.Random(seed)

    def pauses():
        while True:
            yield rng.random() < 0.3

    ctl = bench.ctl
    for ch in (ctl.write_if.aw_channel, ctl.write_if.w_channel, ctl.write_if.b_channel,
               ctl.read_if.ar_channel, ctl.read_if.r_channel):
        ch.set_pause_generator(pauses())


@cocotb.test()
async def run_program(dut) -> None:
    """Replay the run folder's program on the DUT and write its result and DDR image."""
    folder = Path(os.environ[RUN_ENV])
    program = Program.load(folder / "program.json")
    image = (folder / "image.bin").read_bytes()
    opts = json.loads((folder / "options.json").read_text())
    bench = RtlBench(dut)
    if opts.get("pause"):
        seed = int(opts.get("seed", 1))
        bench.set_backpressure(True, seed)
        _pause_control(bench, seed + 1)
    bench.ram.write(program.base, image)
    await bench.reset()
    port = _Port(bench)

    result = ProgramResult()
    for step in program.steps:
        if isinstance(step, Write):
            await port.write(step.reg, step.value)
        elif isinstance(step, Read):
            result.values[step.reg] = await port.read(step.reg)
        else:
            rec = await port.poll(step)
            result.polls.append(rec)
            if not rec.ok:
                result.timed_out = step
                break
    (folder / "image.out.bin").write_bytes(bytes(bench.ram.read(program.base, program.size)))
    (folder / "result.json").write_text(json.dumps(result.to_dict(), indent=1) + "\n")
