"""SMD: stochastic mini-batch dropping (E2-Train §2.1).

Each mini-batch is dropped with probability p (0.5): it is drawn from the loader but runs no
forward or backward pass, so no descriptor reaches the array. The iteration counter (and with
it the learning-rate schedule) still advances.

A dropped batch's optimizer step is explicit here: with ``step_dropped=True`` (the default, as
the authors' code behaved under PyTorch 1.0) SGD steps with zeroed gradients, i.e. a
momentum-only plus weight-decay step (host-side, no GEMM); with False nothing changes
(what the same code does under PyTorch >= 2.0).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .base import Controller, TrainingRun

__all__ = ["SMD", "SMDConfig", "SMDController"]


@dataclass
class SMD:
    """Drop decisions from a seeded generator."""

    p: float = 0.5
    step_dropped: bool = True
    generator: torch.Generator | None = None
    dropped: int = 0
    seen: int = 0

    def drop(self) -> bool:
        """Decide the next mini-batch: True to drop it."""
        self.seen += 1
        d = bool(float(torch.rand((), generator=self.generator)) < self.p)
        self.dropped += d
        return d


@dataclass(frozen=True)
class SMDConfig:
    """SMD's settings: the drop probability, and whether a dropped batch makes a momentum +
    weight-decay step (E2-Train under PyTorch 1.0) or none."""

    p: float = 0.5
    step_dropped: bool = True


class SMDController(Controller):
    """Drops mini-batches before they run."""

    name = "smd"
    config_type = SMDConfig

    def attach(self, run: TrainingRun) -> None:
        self.run = run
        self.smd = SMD(self.config.p, self.config.step_dropped, run.generator)

    def begin_batch(self, step: int) -> bool:
        if not self.run.dist.agree(self.smd.drop()):  # rank 0 decides for every rank
            return True
        if self.smd.step_dropped:  # momentum-only + weight-decay step, no GEMM
            for p in self.run.params:
                p.grad = torch.zeros_like(p)
            self.run.optimizer.step()
        return False
