"""PSG: predictive sign gradient on the array's early stop (E2-Train §2.3).

The GC pass of every convolution runs with ``stop_ring=R, tau=T``: after ring R the
accumulator holds the GEMM of the operands truncated to their top R+1 digits; outputs with
|partial| >= T stop there and their sign is the prediction, the others run to full precision.
The weight update uses only sign(g_W) (signSGD fed to SGD with momentum and weight decay, as in
E2-Train); BN, the classifier and the gates get ordinary gradients.

tau is absolute (in gradient units) or relative: a fraction of the layer's max |g_W|. The array
needs tau before the pass, so the relative form uses the previous step's max (the first step
of a layer runs without early stop); E2-Train takes the max of the current predictor.
The GC operands use zero-point-free ("anchored") codes so that the truncated prefix is a
prediction of the gradient itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from torch import nn

from ..layers import QuantConv2d, QuantLinear
from .base import Controller, TrainingRun

__all__ = ["PSG", "PSGConfig", "PSGController"]


@dataclass(frozen=True)
class PSG:
    """Early-stop ring, threshold and the sign-update learning-rate factor.

    Args:
        stop_ring: ring R after which the prefix decides (R=1 keeps the top 2 digits of each
            operand: 4 MSBs of an 8-bit code, E2-Train's MSB width).
        tau: threshold; a fraction of the layer's max |g_W| when ``relative`` (E2-Train's
            rebuttal value 0.05), else absolute.
        lr_scale: sign gradients have magnitude 1, so their parameter group trains at
            lr * lr_scale.
    """

    stop_ring: int = 1
    tau: float = 0.05
    relative: bool = True
    lr_scale: float = 0.01

    def apply(self, layers: Iterable[QuantConv2d]) -> list[QuantConv2d]:
        """Switch PSG on for the convolutions among ``layers``; returns them."""
        out = []
        for layer in layers:
            if isinstance(layer, QuantLinear):
                continue
            p = layer.plan
            p.stop_ring, p.tau, p.tau_relative = self.stop_ring, self.tau, self.relative
            p.sign_grad = True
            p.anchored = True
            out.append(layer)
        return out


@dataclass(frozen=True)
class PSGConfig:
    """PSG's settings: the stop ring, the threshold (relative or absolute) and the learning-rate
    factor of the sign-gradient parameter group."""

    ring: int = 1
    tau: float = 0.05
    relative: bool = True
    lr_scale: float = 0.01


class PSGController(Controller):
    """Early stop on every convolution's GC pass; sign updates in their own parameter group."""

    name = "psg"
    config_type = PSGConfig
    series_keys = ("psg_stopped",)

    def attach(self, run: TrainingRun) -> None:
        c = self.config
        self.run = run
        self.psg = PSG(c.ring, c.tau, c.relative, c.lr_scale)
        self.layers = self.psg.apply(run.model.layers())

    def param_group(self) -> tuple[list[nn.Parameter], float]:
        return [layer.weight for layer in self.layers], self.config.lr_scale

    def after_step(self, step: int, loss: float) -> list[str]:
        stopped = self.run.runtime.stats.pop("psg_stopped", None)
        if stopped:
            self.run.record("psg_stopped", sum(stopped) / len(stopped))
        return []
