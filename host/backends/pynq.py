"""The pynq backend: every GEMM pass on the kernel of a PYNQ board, through ``host.accel``.

Each pass the driver hands over (its K chunks) becomes one program: the descriptors and
operands in one ``pynq.allocate`` buffer, MEM/DESC_ADDR/DESC_COUNT written, AP_START set,
AP_DONE polled, STATUS/ERROR/CYCLES read. Values, stop masks and counters are the kernel's,
checked against the model's counters on every pass.

Backend-specific usage:

- only on a PYNQ board with pynq installed (``probe()`` says why not elsewhere);
- the overlay comes from the project folder ``FRACFPGA_PYNQ_PROJECT`` (default
  ``build/<config name>``, where ``fracfpga generate`` puts it), checked against its manifest,
  whose config must be the training run's array;
- ``FRACFPGA_PYNQ_LAYERS``/``FRACFPGA_PYNQ_BATCHES`` select passes as for the rtl backend
  (default: all of them).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

from fpga_model import ArrayConfig

from ..errors import BackendUnavailable
from . import Availability
from .emulator import EmulatorBackend
from .offload import OffloadBackend

__all__ = ["PynqBackend"]


class PynqBackend(OffloadBackend):
    """Runs the selected passes (default: all) on the board's kernel."""

    name: ClassVar[str] = "pynq"

    def __init__(self, cfg: ArrayConfig, *, project: Path | str | None = None,
                 layers: str | None = None, batches: str | int | None = None) -> None:
        from codegen.render import load_project
        from host.accel import Accelerator
        from host.accel.passes import PassRunner, PassSelection
        from host.accel.pynq import PynqTarget

        env = os.environ
        folder = Path(project or env.get("FRACFPGA_PYNQ_PROJECT") or Path("build") / cfg.name)
        proj = load_project(folder)
        if proj.cfg.config_hash() != cfg.config_hash():
            raise BackendUnavailable(f"{folder} was generated for {proj.cfg!r}, training uses "
                                     f"{cfg!r}; set FRACFPGA_PYNQ_PROJECT to a matching project")
        self.cfg = cfg
        self.selection = PassSelection.parse(
            layers if layers is not None else env.get("FRACFPGA_PYNQ_LAYERS"),
            batches if batches is not None else env.get("FRACFPGA_PYNQ_BATCHES"))
        self.runner = PassRunner(Accelerator(PynqTarget(proj), cfg))
        self.emulator = EmulatorBackend(cfg)

    @classmethod
    def probe(cls) -> Availability:
        from host.accel import probe_board

        avail = probe_board()
        return Availability(avail.ok, avail.reason)

    def __repr__(self) -> str:
        return f"PynqBackend({self.cfg!r}, {self.runner.programs} programs)"
