"""PFQ: progressive fractional quantization, a temporal precision schedule (FracTrain §3.3).

Training starts at the lowest stage of a schedule and moves up when the loss-difference
indicator sees the loss flatten: per "period" (FracTrain's eval interval, an epoch here by
default) the mean loss l_e is kept in a FIFO of 5; the scale S is the mean of the first 10
period losses; a turning point is when |l_{e-4+j} - l_e| / S <= eps for j = 0..3. Then the
stage advances, eps <- alpha * eps (at the first two turning points only) and the FIFO is
cleared, so every stage lasts at least 5 periods. The fixed-iteration fallback advances at
given iterations (the authors' 2019 runs switched at 8190/16380/24180 of 64000); with both on,
a stage ends at its turning point or at its fixed iteration, whichever comes first. The
indicator alone decides by default (as the official code); a switch at a deadline decays eps
only when asked (``deadline_decay``), since the official code has no deadlines.

The schedule applies to every quantized layer but the classifier, which FracTrain keeps in
fp32: here it stays at the static widths (the array has no fp32).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Sequence

from ..errors import ChoiceError
from .base import Controller, TrainingRun

__all__ = ["PFQ", "PFQConfig", "PFQController"]


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
        deadline_decay: a switch at a deadline also decays eps (the indicator's always do).
    """

    stages: int = 4
    eps: float = 0.05
    alpha: float = 0.3
    period: int = 20
    window: int = 5
    scale_periods: int = 10
    fixed: Sequence[int] | None = None
    indicator: bool = True
    deadline_decay: bool = False
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
            return self._advance(self.deadline_decay)
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
            return self._advance(True)
        return False

    def _advance(self, decay: bool) -> bool:
        self.stage += 1
        self.turning_points.append(self._iter)
        if decay and len(self.turning_points) <= 2:
            self.eps *= self.alpha
        self._losses.clear()
        return True

    def set_stage(self, stage: int) -> None:
        """Take a stage decided elsewhere (rank 0 of a data-parallel run)."""
        while self.stage < stage:
            self._advance(False)


@dataclass(frozen=True)
class PFQConfig:
    """PFQ's settings.

    Args:
        fw, bw: the FW and BW widths of each stage (every layer follows them).
        eps, alpha: indicator threshold and its decay; period: iterations per indicator
            "epoch" (0: one epoch of the loader).
        mode: "indicator" (the official code), "fixed" (the deadlines) or "both" (the
            indicator, with the deadlines as a fallback).
        fixed: the deadlines in iterations, or None for ``fixed_frac`` of the run (the
            authors' 8190/16380/24180 of 64000).
        deadline_decay: a switch at a deadline decays eps too (no official counterpart).
        dfq_targets: under FracTrain (with DFQ) the stages step DFQ's target cp instead.
    """

    fw: tuple[int, ...] = (3, 4, 6, 8)
    bw: tuple[int, ...] = (6, 6, 8, 8)
    eps: float = 0.05
    alpha: float = 0.3
    period: int = 0
    mode: str = "indicator"
    fixed: tuple[int, ...] | None = None
    fixed_frac: tuple[float, ...] = (0.128, 0.256, 0.378)
    deadline_decay: bool = False
    dfq_targets: tuple[float, ...] = (1.5, 2.0, 2.5, 3.0)


class PFQController(Controller):
    """Steps every layer's widths through the schedule, or DFQ's target under FracTrain."""

    name = "pfq"
    config_type = PFQConfig

    def check(self, enabled: frozenset[str]) -> None:
        c = self.config
        if c.mode not in ("both", "indicator", "fixed"):
            raise ChoiceError(f"unknown PFQ mode {c.mode!r}; use indicator, fixed or both")
        if len(c.fw) != len(c.bw):
            raise ChoiceError(f"the PFQ schedule has {len(c.fw)} FW and {len(c.bw)} BW "
                              f"widths; give one BW width per FW width")

    def widths(self, enabled: frozenset[str]) -> set[int]:
        return set() if "dfq" in enabled else set(self.config.fw) | set(self.config.bw)

    def attach(self, run: TrainingRun) -> None:
        c = self.config
        self.run = run
        self.target = run.controllers.get("dfq")  # takes the stage's cp target when present
        stages = len(c.dfq_targets) if self.target is not None else len(c.fw)
        fixed = c.fixed
        if fixed is None:
            fixed = tuple(max(1, round(f * run.total_steps)) for f in c.fixed_frac)
        self.pfq = PFQ(stages=stages, eps=c.eps, alpha=c.alpha,
                       period=c.period or run.steps_per_epoch,
                       fixed=None if c.mode == "indicator" else fixed,
                       indicator=c.mode != "fixed", deadline_decay=c.deadline_decay)
        head = getattr(run.model, "head", None)
        self.keep = frozenset() if head is None else frozenset({head})  # classifier: static
        self._apply(0)

    def _apply(self, stage: int) -> None:
        self._stage_applied = stage
        if self.target is not None:
            self.target.target = self.config.dfq_targets[stage]
        else:
            self.run.set_widths(self.config.fw[stage], self.config.bw[stage], self.keep)

    def after_step(self, step: int, loss: float) -> list[str]:
        advanced = self.pfq.observe(loss)
        dist = self.run.dist
        if dist.active:  # rank 0 decides; every rank takes its stage
            stage = dist.agree(self.pfq.stage)
            advanced = stage != self._stage_applied
            self.pfq.set_stage(stage)
            self.pfq.stage = stage
        if not advanced:
            return []
        self._apply(self.pfq.stage)
        return [f"step {step}: PFQ stage {self.pfq.stage}"]
