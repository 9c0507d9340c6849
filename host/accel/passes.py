"""GEMM passes on an ``Accelerator``: how training runs on the ``rtl`` and ``pynq`` targets.

The training driver hands a target the jobs of one pass (one descriptor per K chunk, each
with its operand codes). ``PassRunner`` lays them out in one DDR window (``MemoryImage``),
runs them as one ``Program``, and returns one ``PassOutput`` per job: the kernel's values and
stop mask, and the model's counters for exactly that mask, checked against the kernel's STAT
record (cycles, digit products, tile cycles, stopped outputs). A difference there is a broken
bit-exactness contract and raises. ``PassSelection`` chooses which passes go to the device and
``Offload`` routes them: the others run on the emulator, so a slow simulation can serve a few
layers of a few mini-batches while training goes on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fpga_model import ArrayConfig
from fpga_model.cycles import pass_counters
from fpga_model.job import Job, PassOutput
from fpga_model.memory import MemoryImage

from .accelerator import Accelerator
from .errors import AcceleratorError, BufferMismatch

__all__ = ["PassRunner", "PassSelection", "Offload", "CounterMismatch", "STAT_KEYS"]

STAT_KEYS = ("cycles", "digit_products", "tile_cycles", "stopped")


class CounterMismatch(AcceleratorError, AssertionError):
    """The kernel's STAT record differs from the model's counters for the same pass."""


def _is_torch(x: Any) -> bool:
    return type(x).__module__.startswith("torch")


def _codes(x: Any) -> np.ndarray:
    if _is_torch(x):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


@dataclass
class PassSelection:
    """Which passes the accelerator runs: some layers, for the first few mini-batches.

    Args:
        layers: layer ids, "all", or "last" (the layer of the first backward pass seen, which
            is the classifier: backward starts there).
        batches: how many occurrences of each (layer, pass) go to the accelerator (the first
            ones, i.e. the first mini-batches); None for all of them.
    """

    layers: Any = "all"
    batches: int | None = None
    _seen: dict[tuple[int, int], int] = field(default_factory=dict, init=False, repr=False)
    _last: int | None = field(default=None, init=False, repr=False)

    @classmethod
    def parse(cls, layers: str | None, batches: str | int | None,
              default_layers: str = "all") -> PassSelection:
        """From text such as ``"last"``, ``"all"`` or ``"0,9"`` and ``"2"`` (0 = no limit)."""
        text = (layers or default_layers).strip().lower()
        if text in ("all", "last"):
            chosen: Any = text
        else:
            try:
                chosen = {int(v) for v in text.split(",") if v.strip()}
            except ValueError:
                raise AcceleratorError(f"layer selection {layers!r} is not 'all', 'last' or "
                                       f"layer ids such as 0,9") from None
        n = int(batches) if batches not in (None, "") else None
        return cls(chosen, None if not n else n)

    def wants(self, layer: int, pass_: int) -> bool:
        """Whether this pass goes to the accelerator (counts it when it does)."""
        if self.layers == "last":
            if self._last is None and pass_ != 0:  # the first backward pass: the last layer
                self._last = layer
            if layer != self._last:
                return False
        elif self.layers != "all" and layer not in self.layers:
            return False
        key = (layer, pass_)
        if self.batches is not None and self._seen.get(key, 0) >= self.batches:
            return False
        self._seen[key] = self._seen.get(key, 0) + 1
        return True

    @property
    def runs(self) -> int:
        return sum(self._seen.values())


class PassRunner:
    """Runs a pass's jobs as one program on ``acc`` (see the module docstring)."""

    def __init__(self, acc: Accelerator) -> None:
        self.acc = acc
        self.cfg: ArrayConfig = acc.cfg
        self.programs = 0

    def run(self, jobs: Sequence[Job]) -> list[PassOutput]:
        """One ``PassOutput`` per ``Job``, in the same order."""
        image = MemoryImage(max_descriptors=max(len(jobs), 1))
        placed = []
        for job in jobs:
            d = job.descriptor
            a, b = _codes(job.a), _codes(job.b)
            if a.shape != (d.m, d.k) or b.shape != (d.k, d.n):
                raise BufferMismatch(f"{d!r} does not match its operands {a.shape[0]}x"
                                     f"{a.shape[1]} and {b.shape[0]}x{b.shape[1]}; rebuild the "
                                     f"descriptor from them")
            placed.append(image.add_pass(a, b, d.a_bits, d.b_bits, a_signed=d.a_signed,
                                         b_signed=d.b_signed, stop_ring=d.stop_ring, tau=d.tau,
                                         pass_=d.pass_, layer=d.layer, prefix=d.prefix,
                                         tau_rel=d.tau_rel))
        self.acc.write(image)
        self.acc.run_checked()
        self.programs += 1
        outputs = []
        for job, d, res in zip(jobs, placed, self.acc.read_results()):
            counters = pass_counters(self.cfg, d.m, d.n, d.k, d.a_bits, d.b_bits, d.stop_ring,
                                     res.stopped if d.early_stop else None, prefix=d.prefix)
            for key in STAT_KEYS:
                if res.stats[key] != counters[key]:
                    raise CounterMismatch(
                        f"{job.descriptor!r} on {self.acc.backend}: STAT.{key} = "
                        f"{res.stats[key]}, the model says {counters[key]}; the kernel and "
                        f"the model disagree (report it with the descriptor)")
            values: Any = res.values
            if _is_torch(job.a):
                import torch

                values = torch.from_numpy(values).to(job.a.device)
            outputs.append(PassOutput(job.descriptor, values, res.stopped, counters))
        return outputs


class Offload:
    """Routes each pass by ``selection``: to ``device`` (a target) or to ``emulator``.

    Both are targets whose ``run(jobs)`` gives the same numbers; the device is slow (an RTL
    simulation) or shared (a board), so only the selected passes go there.
    """

    def __init__(self, device: Any, selection: PassSelection, emulator: Any) -> None:
        self.device = device
        self.selection = selection
        self.emulator = emulator

    @property
    def cfg(self) -> ArrayConfig:
        return self.emulator.cfg

    def run(self, jobs: Sequence[Job]) -> list[PassOutput]:
        d = jobs[0].descriptor if jobs else None
        if d is not None and self.selection.wants(d.layer, int(d.pass_)):
            return self.device.run(jobs)
        return self.emulator.run(jobs)

    def __repr__(self) -> str:
        return f"Offload({self.device!r}, {self.selection!r})"
