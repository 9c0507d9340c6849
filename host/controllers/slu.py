"""SLU: selective layer update, a per-sample per-block skip gate (E2-Train §2.2, SkipNet-style).

Before each residual block after the first, a gate feature (global average pool -> 1x1 conv
C->10) feeds one LSTM(10, 10) shared over depth, then linear -> sigmoid = p per sample. The
decision is a hard Bernoulli draw per sample, m = 1[p > u], with a straight-through gradient
(m - p.detach() + p), in training and in evaluation alike (the official code samples at test
time too). A block's executed samples run it (forward and backward); the skipped ones take the
shortcut (the projection, if any, always runs). The loss adds ``reg * beta * sum(m)`` over
samples and gated blocks, reg = -1 while cp <= target, else +1, where cp = 100 * sum(m) /
(blocks * batch): every gated block weighs the same, as in the official code.

Where the hardware needs otherwise: a skipped sample's block is not computed, so its gate gets
only the cost gradient (the official code computes every block and multiplies by 0, so the
task loss reaches the gate through (block - shortcut) for skipped samples too). The executed
samples of a block form a smaller mini-batch on the array (fewer rows M).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import torch
from torch import nn

from ..dist import SINGLE
from ..errors import ChoiceError
from .base import Controller, TrainingRun
from .gate import RecurrentGate

__all__ = ["SLU", "SLUGate", "SLUConfig", "SLUController"]


class SLUGate(RecurrentGate):
    """Gate features per block, one shared LSTM, sigmoid execute-probability per sample."""

    def __init__(self, channels: Sequence[int], embed: int = 10, hidden: int = 10) -> None:
        super().__init__([nn.Conv2d(c, embed, 1) for c in channels], embed, hidden, 1)

    def forward(self, i: int, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.logits(i, x)).view(-1)


@dataclass
class SLU:
    """The SLU controller: per-sample Bernoulli skip decisions and the cost loss.

    Args:
        channels: input channels of every block (block 0 is never gated).
        target: target cp, % of gated-block work executed; beta: cost coefficient.
        generator: the seeded source of the training draws (one per sample of the global
            batch; a rank takes its slice, so a data-parallel run draws as one process).
        eval_generator: the draws of evaluation (kept apart from training's).
        dist: the data-parallel handle.
    """

    channels: Sequence[int]
    target: float = 100.0
    beta: float = 1e-5
    generator: torch.Generator | None = None
    eval_generator: torch.Generator | None = None
    dist: Any = SINGLE
    gate: SLUGate = field(init=False)
    _masks: list = field(default_factory=list, repr=False)
    _batch: int = 0
    last_cp: float = 100.0
    executed: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.gate = SLUGate(self.channels)

    def begin(self, batch: int) -> None:
        self.gate.reset()
        self._masks = []
        self._batch = batch
        self.executed = []

    def _draws(self, n: int) -> torch.Tensor:
        if not self.gate.training:
            return torch.rand(n, generator=self.eval_generator)
        return self.dist.shard(torch.rand(n * self.dist.world, generator=self.generator))

    def run_block(self, i: int, x: torch.Tensor, block, mix: torch.Tensor | None) -> torch.Tensor:
        """Run block ``i`` on its executed samples of ``x``, the shortcut on the others."""
        p = self.gate(i, x)
        n = x.shape[0]
        m = (p.detach() > self._draws(n).to(p.device)).to(p.dtype)
        st = m - p.detach() + p  # value m, d/dp = 1
        self._masks.append(st)
        self.executed.append(float(m.mean()))
        prev = block.shortcut(x)
        idx = m.nonzero().flatten()
        if idx.numel() == 0:
            return prev
        if idx.numel() == n:
            out = block.combine(block.residual(x, mix), prev)
        else:
            sub = mix[idx] if mix is not None and mix.shape[0] == n > 1 else mix
            ran = block.combine(block.residual(x.index_select(0, idx), sub),
                                prev.index_select(0, idx))
            out = prev.index_copy(0, idx, ran)
        if not self.gate.training:
            return out
        delta = (st - st.detach()).view(n, *([1] * (x.dim() - 1)))
        return out + delta * (out - prev).detach()

    def cost(self) -> tuple[torch.Tensor, float]:
        """(sum of m over samples and gated blocks, cp in % of that work executed)."""
        if not self._masks:
            return torch.zeros(()), 100.0
        total = sum(m.sum() for m in self._masks)
        cp = 100.0 * float(total.detach()) / (self._batch * len(self._masks))
        return total, self.dist.mean(cp)

    def loss(self) -> torch.Tensor:
        c, cp = self.cost()
        self.last_cp = cp
        reg = -1.0 if cp <= self.target else 1.0
        # DDP averages gradients over ranks; the cost sums the global batch as one process
        return reg * self.beta * self.dist.world * c


@dataclass(frozen=True)
class SLUConfig:
    """SLU's settings: the target cp (% of gated-block work executed; E2-Train's --minimum,
    default 100) and the cost coefficient (--beta, 1e-5)."""

    target: float = 100.0
    beta: float = 1e-5


class SLUController(Controller):
    """A skip gate before every block after the first (a model hook); its cost joins the loss."""

    name = "slu"
    config_type = SLUConfig
    series_keys = ("slu_cp",)
    needs_blocks = True

    def check(self, enabled: frozenset[str]) -> None:
        if not 0.0 <= self.config.target <= 100.0:
            raise ChoiceError(f"SLU target {self.config.target} is not a percentage; give "
                              f"0..100 (% of gated-block work executed)")

    def attach(self, run: TrainingRun) -> None:
        self.run = run
        dfq = run.controllers.get("dfq")
        if dfq is not None and dfq.config.per_sample:
            raise ChoiceError("slu with per-sample dfq is not supported (both split the "
                              "mini-batch); use --set dfq.per_sample=false")
        seed = int(torch.randint(0, 2**31 - 1, (), generator=run.generator))
        self.slu = SLU(run.block_channels, self.config.target, self.config.beta,
                       run.generator, torch.Generator().manual_seed(seed), run.dist)
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
