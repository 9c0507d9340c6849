"""PFQ: progressive fractional quantization, a temporal precision schedule (FracTrain §3.3).

Training starts at the lowest stage of a schedule and moves up when the loss-difference
indicator sees the loss flatten: per "period" (FracTrain's eval interval, an epoch here by
default) the mean loss l_e is kept in a FIFO of 5; the scale S is the mean of the first 10
period losses; a turning point is when |l_{e-4+j} - l_e| / S <= eps for j = 0..3. Then the
stage advances, eps <- alpha * eps (at the first two turning points only) and the FIFO is
cleared, so every stage lasts at least 5 periods. The fixed-iteration fallback advances at
given iterations (the authors' 2019 runs switched at 8190/16380/24180 of 64000); with both on,
a stage ends at its turning point or at its fixed iteration, whichever comes first (on a short
run with a decaying learning rate the loss may never flatten enough for the indicator).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Sequence

__all__ = ["PFQ"]


@dataclass
class PFQ:
    """Loss-difference indicator (or fixed switch iterations) over ``stages`` stages.

    Args:
        stages: number of stages (schedule length); the last one runs to the end.
        eps, alpha: indicator threshold and its decay (README: 0.05, 0.3).
        period: iterations per indicator "epoch".
        window, scale_periods: FIFO length (5) and the periods that set the scale (10).
        fixed: switch iterations (one per stage boundary), or None.
        indicator: use the loss-difference indicator (with ``fixed``, as a deadline).
    """

    stages: int = 4
    eps: float = 0.05
    alpha: float = 0.3
    period: int = 20
    window: int = 5
    scale_periods: int = 10
    fixed: Sequence[int] | None = None
    indicator: bool = True
    stage: int = 0
    turning_points: list[int] = field(default_factory=list)
    _losses: deque = field(default_factory=deque, repr=False)
    _first: list[float] = field(default_factory=list, repr=False)
    _sum: float = 0.0
    _count: int = 0
    _iter: int = 0

    def observe(self, loss: float) -> bool:
        """Feed one iteration's training loss; True when the stage advanced after it."""
        self._iter += 1
        if self.stage >= self.stages - 1:
            return False
        if (self.fixed is not None and self.stage < len(self.fixed)
                and self._iter >= self.fixed[self.stage]):
            return self._advance()
        if not self.indicator:
            return False
        self._sum += loss
        self._count += 1
        if self._count < self.period:
            return False
        period_loss = self._sum / self._count
        self._sum, self._count = 0.0, 0
        if len(self._first) < self.scale_periods:
            self._first.append(period_loss)
        scale = sum(self._first) / len(self._first)
        self._losses.append(period_loss)
        if len(self._losses) > self.window:
            self._losses.popleft()
        if len(self._losses) < self.window or scale <= 0:
            return False
        last = self._losses[-1]
        if all(abs(v - last) / scale <= self.eps for v in list(self._losses)[:-1]):
            return self._advance()
        return False

    def _advance(self) -> bool:
        self.stage += 1
        self.turning_points.append(self._iter)
        if len(self.turning_points) <= 2:
            self.eps *= self.alpha
        self._losses.clear()
        return True
