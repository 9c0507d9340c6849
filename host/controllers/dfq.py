"""DFQ: dynamic fractional quantization, an input-adaptive precision gate per block (FracTrain §3.4).

Per residual block a gate feature (global average pool -> 1x1 conv C->32 -> ReLU -> 1x1 conv
32->16) feeds one LSTM(16, 16) shared over depth (state reset every forward), then a linear
layer and a softmax over the precision options (activation, error) bits. The forward uses the
hard argmax (straight-through: ``onehot - p.detach() + p``). The loss adds
``reg * beta * C / mean(F)``, with C the batch's cost in units of fp32 MACs and reg = -1 below
the target cp (% of fp32 cost), +1 at or above it: an L1 pull of cp toward the target.

Granularity: per mini-batch (the hardware: one descriptor per pass, the option chosen by the
batch-mean probabilities) or per sample (software option: samples are grouped by option and
each group gets its own descriptors). The option's widths apply to the block's residual convs
and its projection shortcut, as in the official code.

In a data-parallel run the batch-mean probabilities and cp are averaged over the ranks before
the choice, so every rank takes the option a single process would take for the global batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..dist import SINGLE
from ..layers import Group
from .base import Controller, TrainingRun
from .gate import RecurrentGate

__all__ = ["DFQ", "DFQGate", "DFQ_OPTIONS", "option_cost", "DFQConfig", "DFQController"]

DFQ_OPTIONS: tuple[tuple[int, int], ...] = ((3, 6), (4, 6), (4, 8), (6, 8), (6, 12))


def option_cost(a_bits: int, g_bits: int, w_bits: int) -> float:
    """c_k: the three GEMMs of an option in units of fp32 MACs, summed ((aw + gw + ag)/1024)."""
    return (a_bits * w_bits + g_bits * w_bits + a_bits * g_bits) / 1024.0


class DFQGate(RecurrentGate):
    """Gate features per block, one shared LSTM, softmax over the options."""

    def __init__(self, channels: Sequence[int], num_options: int, embed: int = 32,
                 hidden: int = 16) -> None:
        features = [nn.Sequential(nn.Conv2d(c, embed, 1), nn.ReLU(), nn.Conv2d(embed, hidden, 1))
                    for c in channels]
        super().__init__(features, hidden, hidden, num_options)

    def forward(self, i: int, x: torch.Tensor) -> torch.Tensor:
        return F.softmax(self.logits(i, x), dim=1)


@dataclass
class DFQ:
    """The DFQ controller: decides each block's option and supplies the cost loss.

    Args:
        channels: input channels of each gated block; block_macs: F_l, its weight in cp.
        options: (activation bits, error bits) pairs; w_bits: the fixed weight width.
        target: target cp in % of fp32 cost (FracTrain steps it with PFQ).
        beta: cost-term coefficient; per_sample: the software per-sample option.
        dist: the data-parallel handle (decisions and cp over the global batch).
    """

    channels: Sequence[int]
    block_macs: Sequence[float]
    options: Sequence[tuple[int, int]] = DFQ_OPTIONS
    w_bits: int = 4
    target: float = 3.0
    beta: float = 1e-3
    per_sample: bool = False
    dist: Any = SINGLE
    gate: DFQGate = field(init=False)
    _masks: list = field(default_factory=list, repr=False)
    _batch: int = 0
    last_cp: float = 0.0
    last_choice: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.gate = DFQGate(self.channels, len(self.options))
        self.costs = torch.tensor([option_cost(a, g, self.w_bits) for a, g in self.options])
        f = torch.tensor([float(v) for v in self.block_macs])
        self.weights = f / f.mean()

    def begin(self, batch: int) -> None:
        self.gate.reset()
        self._masks = []
        self._batch = batch
        self.last_choice = []

    def decide(self, i: int, x: torch.Tensor, block) -> torch.Tensor | None:
        """Choose block ``i``'s option from its input, set its convs' plans, return the mix."""
        p = self.gate(i, x)
        if self.per_sample:
            choice = p.argmax(dim=1)
            hard = F.one_hot(choice, len(self.options)).to(p.dtype)
            mix = hard - p.detach() + p
            groups = []
            for k, (a, g) in enumerate(self.options):
                idx = (choice == k).nonzero().flatten()
                if idx.numel():
                    groups.append(Group(idx if idx.numel() < x.shape[0] else None, a, g))
            chosen = int(torch.bincount(choice, minlength=len(self.options)).argmax())
        else:
            pb = p.mean(dim=0, keepdim=True)
            training = self.gate.training
            k = int((self.dist.mean_tensor(pb) if training else pb).argmax())
            hard = F.one_hot(torch.tensor([k], device=p.device), len(self.options)).to(p.dtype)
            mix = hard - pb.detach() + pb
            groups = None
            chosen = k
        a, g = self.options[chosen]
        for conv in block.gated_convs:
            plan = conv.plan
            plan.w_bits = self.w_bits
            plan.a_bits, plan.g_bits = a, g
            plan.groups = tuple(groups) if groups else None
            conv.mix_bits = tuple(o[0] for o in self.options)
        self._masks.append(mix)
        self.last_choice.append(chosen)
        return mix if self.gate.training else None

    def cost(self) -> tuple[torch.Tensor, float]:
        """(C / mean(F) as a differentiable tensor, cp in % of fp32 cost) of the last forward."""
        costs = self.costs.to(self._masks[0].device)
        total = 0.0
        for l, m in enumerate(self._masks):
            per = (m * costs).sum()
            if m.shape[0] == 1:
                per = per * self._batch
            total = total + per * float(self.weights[l])
        cp = 100.0 * float(total.detach()) / (self._batch * 3.0
                              * float(self.weights[:len(self._masks)].sum()))
        if self.gate.training:
            cp = self.dist.mean(cp)
        return total, cp

    def loss(self) -> torch.Tensor:
        """The cost term reg * beta * C / mean(F) (reg = -1 below the target cp, else +1)."""
        c, cp = self.cost()
        self.last_cp = cp
        reg = -1.0 if cp < self.target else 1.0
        # DDP averages gradients over ranks; the cost sums the global batch as one process
        return reg * self.beta * self.dist.world * c


@dataclass(frozen=True)
class DFQConfig:
    """DFQ's settings: the (activation, error) options, the weight width, the target cp (% of
    fp32 cost), the cost coefficient and the per-sample software option."""

    options: tuple[tuple[int, int], ...] = DFQ_OPTIONS
    w_bits: int = 4  # FracTrain README: 4 on CIFAR (6 on ImageNet)
    target: float = 3.0
    beta: float = 1e-3  # train_dfq.py / train_frac.py --beta
    per_sample: bool = False


class DFQController(Controller):
    """A precision gate per block (a model hook); its cost term joins the loss."""

    name = "dfq"
    config_type = DFQConfig
    series_keys = ("dfq_cp",)
    needs_blocks = True

    def __init__(self, config: DFQConfig) -> None:
        super().__init__(config)
        self.dfq: DFQ | None = None
        self._target = config.target

    @property
    def target(self) -> float:
        """The target cp; PFQ steps it under FracTrain."""
        return self.dfq.target if self.dfq is not None else self._target

    @target.setter
    def target(self, value: float) -> None:
        self._target = value
        if self.dfq is not None:
            self.dfq.target = value

    def widths(self, enabled: frozenset[str]) -> set[int]:
        return {b for o in self.config.options for b in o} | {self.config.w_bits}

    def attach(self, run: TrainingRun) -> None:
        c = self.config
        self.run = run
        self.dfq = DFQ(run.block_channels, run.block_macs, c.options, c.w_bits, self._target,
                       c.beta, c.per_sample, run.dist)
        run.model.add_gate(self.name, self.dfq.gate, self)

    # the model's block hooks
    def begin(self, batch: int) -> None:
        self.dfq.begin(batch)

    def block_mix(self, i: int, x: torch.Tensor, block, mix: torch.Tensor | None):
        return self.dfq.decide(i, x, block)

    def block_forward(self, i: int, x: torch.Tensor, block, mix: torch.Tensor | None):
        return None

    def loss(self) -> torch.Tensor:
        term = self.dfq.loss()
        self.run.record("dfq_cp", self.dfq.last_cp)
        return term

    def info(self) -> dict[str, float]:
        return {"cp": self.dfq.last_cp}
