"""Run a ``Program``'s register steps on a ``RegisterFile`` (the emulator and a board).

The RTL backend has an asynchronous twin of this loop inside its cocotb test
(``host.accel.rtl_replay``); both apply ``poll_outcome``: read, stop when the field matches,
give up once the cycles waited reach the bound, else wait ``interval`` cycles and read again.
"""

from __future__ import annotations

from fpga_model.regmap import register

from .program import Poll, PollRecord, Program, ProgramResult, Read, Write
from .regfile import RegisterFile, field_value

__all__ = ["replay", "poll", "poll_outcome"]


def poll_outcome(step: Poll, value: int, reads: int, waited: int) -> PollRecord | None:
    """The poll rule, shared with the cocotb replay: done, given up, or None to read again."""
    if field_value(register(step.reg), step.field, value) == step.until:
        return PollRecord(step.what, reads, waited, True)
    if waited >= step.max_cycles:
        return PollRecord(step.what, reads, waited, False)
    return None


def poll(regs: RegisterFile, step: Poll) -> PollRecord:
    """Poll one register field within the step's cycle bound."""
    offset = register(step.reg).offset
    t0 = regs.cycle_count()
    reads = 0
    while True:
        value = regs.read32(offset)
        reads += 1
        record = poll_outcome(step, value, reads, regs.cycle_count() - t0)
        if record is not None:
            return record
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
