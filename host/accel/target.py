"""What every accelerator backend offers the driver: buffers, and a way to run a ``Program``.

A target is the small PYNQ-shaped layer under the ``Accelerator``: ``allocate()`` returns numpy
arrays with a ``physical_address`` and ``sync_to_device()``/``sync_from_device()``, and
``execute(program)`` runs one kernel run's register steps. Targets with a live register port
(the emulator, a board) replay the steps on a ``RegisterFile``; the RTL target ships them to a
simulator. ``probe()`` says whether a target can run here, and if not, why.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .program import Program, ProgramResult
from .regfile import RegisterFile
from .replay import replay

__all__ = ["Availability", "Target", "RegisterTarget"]


@dataclass(frozen=True)
class Availability:
    """Whether a target can run here; ``reason`` says why not, or what it found."""

    ok: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.ok


class Target(ABC):
    """One way to run the kernel: emulator, RTL simulation or a PYNQ board.

    Class attributes:
        name: the backend's name on the command line.
        priority: order of ``--backend auto`` (highest first), as PYNQ's ``_probe_priority_``.
    """

    name: ClassVar[str]
    priority: ClassVar[int]

    @classmethod
    @abstractmethod
    def probe(cls, project: Any = None) -> Availability:
        """Whether this target can run ``project`` here (None: in general)."""

    @classmethod
    @abstractmethod
    def create(cls, project: Any, **options: Any) -> Target:
        """Open this target for ``project`` (a ``Project`` or an ``ArrayConfig``)."""

    @property
    @abstractmethod
    def clock_hz(self) -> float:
        """The kernel clock, for turning cycle bounds into time where needed."""

    @abstractmethod
    def allocate(self, shape: int | tuple[int, ...], dtype: Any = np.uint8) -> np.ndarray:
        """A device buffer: a numpy array with ``physical_address`` and sync methods."""

    @abstractmethod
    def execute(self, program: Program) -> ProgramResult:
        """Run one program; a poll that runs out of cycles is reported, not raised."""

    def prepare(self) -> None:
        """Do slow one-time work (an RTL build) now rather than in the first run."""

    def recover(self) -> None:
        """Bring a kernel that timed out back to idle (reset it), so the next run works."""

    def close(self) -> None:
        """Release what the target holds (buffers stay the caller's to free)."""

    @property
    def registers(self) -> RegisterFile | None:
        """The live register port, or None where there is none between runs (RTL)."""
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class RegisterTarget(Target):
    """A target with a live register port: programs are replayed on ``self.registers``."""

    def execute(self, program: Program) -> ProgramResult:
        regs = self.registers
        assert regs is not None
        return replay(program, regs)
