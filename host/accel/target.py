"""What every accelerator target offers: a kernel to drive, and GEMM passes to run.

A target is one way to run the kernel (the emulator, the RTL in a simulator, a PYNQ board) and
offers two ways in:

- the register-level layer under the ``Accelerator`` (``accelerator()``): ``allocate()``
  returns numpy arrays with a ``physical_address`` and ``sync_to_device()``/
  ``sync_from_device()``, and ``execute(program)`` runs one kernel run's register steps.
  Targets with a live register port (the emulator, a board) replay the steps on a
  ``RegisterFile``; the RTL target ships them to a simulator;
- the training fast path (``run(jobs)``): one pass's jobs in, one ``PassOutput`` each out. By
  default a pass becomes one program on the ``Accelerator``; the emulator overrides it with
  ``fpga_model.gemm`` in the training process.

``probe()`` says whether a target can run here, and if not, why, without opening anything.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from fpga_model import ArrayConfig
from fpga_model.job import Job, PassOutput

from .program import Program, ProgramResult
from .regfile import RegisterFile
from .replay import replay

if TYPE_CHECKING:
    from .accelerator import Accelerator

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
        name: the target's name on the command line (its key in ``registry.TARGETS``).

    Instances set ``cfg``, the array the kernel was generated for.
    """

    name: ClassVar[str]
    cfg: ArrayConfig

    @classmethod
    @abstractmethod
    def probe(cls, project: Any = None) -> Availability:
        """Whether this target can run ``project`` here (None: in general)."""

    @classmethod
    @abstractmethod
    def create(cls, project: Any, **options: Any) -> Target:
        """Open this target for ``project`` (a ``Project`` or an ``ArrayConfig``)."""

    @classmethod
    def for_training(cls, cfg: ArrayConfig, **options: Any) -> Any:
        """What training runs its passes on (an object with ``run(jobs)``); default: the target
        opened for ``cfg``. Device targets return an ``Offload`` (selected passes only)."""
        return cls.create(cfg, **options)

    # ------------------------------------------------------------------ the two ways in
    def accelerator(self, **options: Any) -> Accelerator:
        """The register-level driver over this target (``options``: ``timeout_cycles``, ...)."""
        from .accelerator import Accelerator

        return Accelerator(self, self.cfg, **options)

    def run(self, jobs: Sequence[Job]) -> list[PassOutput]:
        """Run one pass's jobs (one descriptor per K chunk) and return one output each.

        Default: the jobs become one program on ``accelerator()``, whose STAT records are
        checked against the model's counters (``passes.PassRunner``).
        """
        runner = getattr(self, "_pass_runner", None)
        if runner is None:
            from .passes import PassRunner

            runner = self._pass_runner = PassRunner(self.accelerator())
        return runner.run(jobs)

    # ------------------------------------------------------------------ register level
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
