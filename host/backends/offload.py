"""Shared part of the hardware backends: selected passes go to a device, the rest are emulated."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from . import Job, PassOutput

if TYPE_CHECKING:
    from host.accel.passes import PassRunner, PassSelection

    from .emulator import EmulatorBackend

__all__ = ["OffloadBackend"]


class OffloadBackend:
    """Routes each pass by ``selection``: to ``runner`` (a device) or to the emulator.

    Subclasses set ``cfg``, ``selection``, ``runner`` and ``emulator`` in ``__init__``.
    """

    selection: PassSelection
    runner: PassRunner
    emulator: EmulatorBackend

    def run(self, jobs: Sequence[Job]) -> list[PassOutput]:
        d = jobs[0].descriptor if jobs else None
        if d is not None and self.selection.wants(d.layer, int(d.pass_)):
            return self.runner.run(jobs)
        return self.emulator.run(jobs)
