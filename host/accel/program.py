"""A kernel run as data: the DDR window it uses and the register steps that drive it.

The driver never talks to a register directly. It builds a ``Program`` (write MEM_LO/HI,
DESC_ADDR, DESC_COUNT; set AP_START; poll AP_DONE within a cycle bound; read STATUS, ERROR,
CYCLES, DIGIT_PRODUCTS), and a backend runs it: the emulator and a board replay the steps on a
``RegisterFile`` (``replay``), the RTL backend writes the program and the DDR image to files
and one generic cocotb test replays the same steps through cocotbext-axi. Steps name
registers; offsets come from ``REGMAP`` on every side.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from fpga_model.regmap import CTRL_BITS, register

from .errors import KernelBusy, KernelTimeout

__all__ = ["Write", "Read", "Poll", "Step", "Program", "ProgramResult", "PollRecord",
           "kernel_program", "RESULT_REGISTERS"]

# Registers read back after every run, in this order.
RESULT_REGISTERS = ("STATUS", "ERROR", "CYCLES_LO", "CYCLES_HI", "DIGIT_PRODUCTS_LO",
                    "DIGIT_PRODUCTS_HI")


@dataclass(frozen=True)
class Write:
    """Write ``value`` to register ``reg``."""

    reg: str
    value: int

    def __post_init__(self) -> None:
        register(self.reg)


@dataclass(frozen=True)
class Read:
    """Read register ``reg`` into the result under its name."""

    reg: str

    def __post_init__(self) -> None:
        register(self.reg)


@dataclass(frozen=True)
class Poll:
    """Read ``reg`` until ``field`` equals ``until``, at most ``max_cycles`` kernel cycles.

    Between reads the poller lets ``interval`` cycles pass. ``what`` names the wait in errors.
    Exceeding the bound stops the program: the steps after it do not run.
    """

    reg: str
    field: str
    until: int
    max_cycles: int
    interval: int = 16
    what: str = ""

    def __post_init__(self) -> None:
        if self.field not in register(self.reg).fields:
            raise KeyError(f"register {self.reg} has no field {self.field!r}")
        if self.max_cycles < 0 or self.interval < 1:
            raise ValueError(f"poll bound {self.max_cycles} and interval {self.interval} must "
                             f"be non-negative and positive")


Step = Write | Read | Poll
_KINDS = {"write": Write, "read": Read, "poll": Poll}


@dataclass(frozen=True)
class Program:
    """One kernel run: the DDR window [base, base + size) and the register steps.

    Attributes:
        base: physical address of the DDR window (what MEM_LO/MEM_HI hold).
        size: bytes of the window the kernel may touch; the RTL backend ships them.
        steps: what the host does on the AXI4-Lite port, in order.
    """

    base: int
    size: int
    steps: tuple[Step, ...]

    def to_dict(self) -> dict:
        steps = []
        for s in self.steps:
            kind = next(k for k, cls in _KINDS.items() if isinstance(s, cls))
            steps.append({"op": kind, **asdict(s)})
        return {"base": self.base, "size": self.size, "steps": steps}

    @classmethod
    def from_dict(cls, data: dict) -> Program:
        steps = []
        for s in data["steps"]:
            s = dict(s)
            steps.append(_KINDS[s.pop("op")](**s))
        return cls(int(data["base"]), int(data["size"]), tuple(steps))

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1) + "\n")

    @classmethod
    def load(cls, path: Path) -> Program:
        return cls.from_dict(json.loads(Path(path).read_text()))

    def __repr__(self) -> str:
        return (f"Program(window=0x{self.base:X}+{self.size}, {len(self.steps)} steps: "
                + ", ".join(_short(s) for s in self.steps) + ")")


def _short(s: Step) -> str:
    if isinstance(s, Write):
        return f"{s.reg}<=0x{s.value:X}"
    if isinstance(s, Read):
        return f"{s.reg}?"
    return f"poll {s.reg}.{s.field}=={s.until} (<={s.max_cycles} cycles)"


@dataclass(frozen=True)
class PollRecord:
    """How one poll went: reads issued and kernel cycles waited."""

    what: str
    reads: int
    cycles: int
    ok: bool


@dataclass
class ProgramResult:
    """What running a ``Program`` gave: register values read, and how each poll went.

    ``timed_out`` is the poll whose bound ran out (the steps after it did not run), or None.
    """

    values: dict[str, int] = field(default_factory=dict)
    polls: list[PollRecord] = field(default_factory=list)
    timed_out: Poll | None = None

    def to_dict(self) -> dict:
        return {"values": self.values, "polls": [asdict(p) for p in self.polls],
                "timed_out": None if self.timed_out is None else asdict(self.timed_out)}

    @classmethod
    def from_dict(cls, data: dict) -> ProgramResult:
        t = data.get("timed_out")
        return cls({k: int(v) for k, v in data["values"].items()},
                   [PollRecord(**p) for p in data["polls"]], None if t is None else Poll(**t))

    def raise_for_timeout(self, backend: str) -> None:
        """Turn a timed-out poll into KernelBusy (before start) or KernelTimeout (after)."""
        p = self.timed_out
        if p is None:
            return
        waited = self.polls[-1].cycles if self.polls else 0
        if p.field == "AP_IDLE":
            raise KernelBusy(f"the kernel on {backend} is not idle ({p.what}, waited {waited} "
                             f"cycles); reset it (reload the overlay) and run again")
        raise KernelTimeout(f"the kernel on {backend} did not raise {p.field.lower()} within "
                            f"{p.max_cycles} cycles ({p.what}) and was reset; raise "
                            f"timeout_cycles or check the descriptors",
                            step=p.what, waited_cycles=waited)


def kernel_program(base: int, size: int, desc_addr: int, desc_count: int, *,
                   timeout_cycles: int, idle_cycles: int = 256, interval: int = 16) -> Program:
    """The register steps of one descriptor-list run (the driver's only protocol code).

    Args:
        base: physical address of the DDR window holding descriptors and buffers.
        size: bytes of that window.
        desc_addr: byte offset of the descriptor list inside the window.
        desc_count: descriptors in the list.
        timeout_cycles: bound on the wait for ap_done, in kernel clock cycles.
        idle_cycles: bound on the wait for ap_idle before starting.
        interval: cycles between two polls.
    """
    start = 1 << CTRL_BITS["AP_START"]
    steps: list[Step] = [
        Poll("CTRL", "AP_IDLE", 1, idle_cycles, interval, "ap_idle before start"),
        Write("MEM_LO", base & 0xFFFFFFFF),
        Write("MEM_HI", (base >> 32) & 0xFFFFFFFF),
        Write("DESC_ADDR", desc_addr),
        Write("DESC_COUNT", desc_count),
        Write("CTRL", start),
        Poll("CTRL", "AP_DONE", 1, timeout_cycles, interval,
             f"running {desc_count} descriptors"),
    ]
    steps += [Read(r) for r in RESULT_REGISTERS]
    return Program(base, size, tuple(steps))
