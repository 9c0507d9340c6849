"""SLU: selective layer update, a per-block skip gate (E2-Train §2.2, SkipNet-style).

Before each residual block after the first, a gate feature (global average pool -> 1x1 conv
C->10) feeds one LSTM(10, 10) shared over depth, then linear -> sigmoid = p. The decision is a
hard Bernoulli draw with a straight-through gradient; a skipped block is neither run forward nor
backward (its projection shortcut, if any, still runs). The loss adds ``reg * beta * sum(m)``
with reg = -1 while cp <= target (% of gated blocks executed), else +1.

Departures from E2-Train: the decision is per mini-batch (the hardware runs or skips a block's
descriptors for the whole batch; p is the batch mean), so a skipped block returns no task-loss
gradient to its gate (it was not computed), only the cost term; evaluation uses p > 0.5
instead of sampling.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .base import Controller, TrainingRun
from .gate import RecurrentGate

__all__ = ["SLU", "SLUGate", "SLUConfig", "SLUController"]


class SLUGate(RecurrentGate):
    """Gate features per block, one shared LSTM, sigmoid execute-probability."""

    def __init__(self, channels: Sequence[int], embed: int = 10, hidden: int = 10) -> None:
        super().__init__([nn.Conv2d(c, embed, 1) for c in channels], embed, hidden, 1)
        nn.init.constant_(self.fc.bias, 2.0)  # start by executing (p ~ 0.88)

    def forward(self, i: int, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.logits(i, x)).mean()


@dataclass
class SLU:
    """The SLU controller: per-block Bernoulli skip decisions and the cost loss.

    Args:
        channels: input channels of every block (block 0 is never gated).
        block_macs: weight of each block in cp.
        target: target cp, % of gated-block work executed; beta: cost coefficient.
        generator: the seeded source of the Bernoulli draws.
    """

    channels: Sequence[int]
    block_macs: Sequence[float]
    target: float = 70.0
    beta: float = 1e-3
    generator: torch.Generator | None = None
    gate: SLUGate = field(init=False)
    _masks: list = field(default_factory=list, repr=False)
    _batch: int = 0
    last_cp: float = 100.0
    executed: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.gate = SLUGate(self.channels)
        f = torch.tensor([float(v) for v in self.block_macs])
        self.weights = f / f[1:].mean() if len(f) > 1 else f

    def begin(self, batch: int) -> None:
        self.gate.reset()
        self._masks = []
        self._batch = batch
        self.executed = []

    def run_block(self, i: int, x: torch.Tensor, block, mix: torch.Tensor | None) -> torch.Tensor:
        """Run or skip block ``i`` on ``x`` (straight-through gradient to the gate)."""
        p = self.gate(i, x)
        if self.gate.training:
            u = torch.rand((), generator=self.generator)
            m = float(float(p.detach()) > float(u))
        else:
            m = float(float(p.detach()) > 0.5)
        delta = p - p.detach()  # zero in value, d/dp = 1
        self._masks.append((m + delta, i))
        self.executed.append(int(m))
        if m:
            prev = block.shortcut(x)
            out = F.relu(block.residual(x, mix) + prev)
            return out + delta * (out - prev).detach() if self.gate.training else out
        return block.shortcut(x)

    def cost(self) -> tuple[torch.Tensor, float]:
        """(sum over samples and gated blocks of m * F / mean(F), cp in %)."""
        if not self._masks:
            return torch.zeros(()), 100.0
        total = 0.0
        wsum = 0.0
        for m, i in self._masks:
            total = total + m * float(self.weights[i]) * self._batch
            wsum += float(self.weights[i])
        cp = 100.0 * float(total.detach()) / (self._batch * wsum)
        return total, cp

    def loss(self) -> torch.Tensor:
        c, cp = self.cost()
        self.last_cp = cp
        reg = -1.0 if cp <= self.target else 1.0
        return reg * self.beta * c


@dataclass(frozen=True)
class SLUConfig:
    """SLU's settings: the target cp (% of gated-block work executed) and the cost coefficient."""

    target: float = 70.0
    beta: float = 1e-3


class SLUController(Controller):
    """A skip gate before every block after the first (a model hook); its cost joins the loss."""

    name = "slu"
    config_type = SLUConfig
    series_keys = ("slu_cp",)

    def attach(self, run: TrainingRun) -> None:
        self.run = run
        self.slu = SLU(run.block_channels, run.block_macs, self.config.target, self.config.beta,
                       run.generator)
        run.model.add_gate(self.name, self.slu.gate, self)

    # the model's block hooks
    def begin(self, batch: int) -> None:
        self.slu.begin(batch)

    def block_mix(self, i: int, x: torch.Tensor, block, mix: torch.Tensor | None):
        return mix

    def block_forward(self, i: int, x: torch.Tensor, block, mix: torch.Tensor | None):
        return self.slu.run_block(i, x, block, mix) if i > 0 else None

    def loss(self) -> torch.Tensor:
        term = self.slu.loss()
        self.run.record("slu_cp", self.slu.last_cp)
        return term
