"""The rtl backend: selected GEMM passes on the generated Verilog under cocotb, the rest emulated.

Each pass the driver hands over (its K chunks) becomes one program on the RTL through the
accelerator driver (``host.accel``), replayed over the AXI4-Lite register map with the DDR
served by cocotbext-axi. The values, stop masks and counters equal the emulator's exactly
(the kernel's STAT records are checked against the model on every pass), so a training run on
this backend gives the emulator's numbers.

Backend-specific usage:

- needs cocotb, cocotbext-axi and Icarus or Verilator; the project for the array is generated
  once under ``build/.accel/`` and built once per simulator;
- a simulation is slow (an 8x8 array runs about a thousand cycles per second on Icarus), so by
  default only the classifier (``last``: the layer where backward starts) of the first 2
  mini-batches runs on the RTL; set ``FRACFPGA_RTL_LAYERS`` (``last``, ``all`` or ids such as
  ``0,9``), ``FRACFPGA_RTL_BATCHES`` (``0``: every mini-batch) and ``FRACFPGA_RTL_SIM``
  (``icarus`` or ``verilator``), or pass ``layers=``, ``batches=``, ``sim=`` to the class;
- AXI pause generators are off here (they change timing, never values); ``FRACFPGA_RTL_PAUSE=1``
  turns them on.
"""

from __future__ import annotations

import os
from typing import ClassVar

from fpga_model import ArrayConfig

from . import Availability
from .emulator import EmulatorBackend
from .offload import OffloadBackend

__all__ = ["RtlBackend"]


class RtlBackend(OffloadBackend):
    """Runs the selected passes on the RTL simulation and the others on the emulator."""

    name: ClassVar[str] = "rtl"

    def __init__(self, cfg: ArrayConfig, *, layers: str | None = None,
                 batches: str | int | None = None, sim: str | None = None,
                 pause: bool | None = None) -> None:
        from host.accel import Accelerator
        from host.accel.passes import PassRunner, PassSelection
        from host.accel.rtl import RtlTarget

        env = os.environ
        self.cfg = cfg
        self.selection = PassSelection.parse(
            layers if layers is not None else env.get("FRACFPGA_RTL_LAYERS"),
            batches if batches is not None else env.get("FRACFPGA_RTL_BATCHES", "2"),
            default_layers="last")
        if pause is None:
            pause = env.get("FRACFPGA_RTL_PAUSE", "0") not in ("", "0")
        target = RtlTarget(cfg, sim=sim or env.get("FRACFPGA_RTL_SIM") or None, pause=pause)
        self.runner = PassRunner(Accelerator(target, cfg))
        self.emulator = EmulatorBackend(cfg)

    @classmethod
    def probe(cls) -> Availability:
        from host.accel.rtl import RtlTarget

        avail = RtlTarget.probe()
        return Availability(avail.ok, avail.reason)

    def __repr__(self) -> str:
        return f"RtlBackend({self.cfg!r}, {self.selection!r}, {self.runner.programs} programs)"
