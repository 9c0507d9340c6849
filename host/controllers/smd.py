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

__all__ = ["SMD"]


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
