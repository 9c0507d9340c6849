"""Run a ``Program``'s register steps on a ``RegisterFile`` (the emulator and a board).

The RTL backend has an asynchronous twin of this loop inside its cocotb test
(``host.accel.rtl_replay``); both keep the same poll rule: read, stop when the field matches,
give up once the cycles waited reach the bound, else wait ``interval`` cycles and read again.
"""

from __future__ import annotations

from fpga_model.regmap import register

from .program import Poll, PollRecord, Program, ProgramResult, Read, Write
from .regfile import RegisterFile, field_value

__all__ = ["replay", "poll"]


def poll(regs: RegisterFile, step: Poll) -> PollRecord:
    """Poll one register field within the step's cycle bound."""
    reg = register(step.reg)
    t0 = regs.cycle_count()
    reads = 0
    while True:
        value = regs.read32(reg.offset)
        reads += 1
        waited = regs.cycle_count() - t0
        if field_value(reg, step.field, value) == step.until:
            return PollRecord(step.what, reads, waited, True)
        if waited >= step.max_cycles:
            return PollRecord(step.what, reads, waited, False)
        regs.wait(step.interval)


def replay(program: Program, regs: RegisterFile) -> ProgramResult:
    """Run the steps in order; a poll that runs out of cycles stops the program."""
    result = ProgramResult()
    for step in program.steps:
        if isinstance(step, Write):
            regs.write(step.reg, step.value)
        elif isinstance(step, Read):
            result.values[step.reg] = regs.read(step.reg)
        else:
            rec = poll(regs, step)
            result.polls.append(rec)
            if not rec.ok:
                result.timed_out = step
                break
    return result
