"""PSG: predictive sign gradient on the array's early stop (E2-Train §2.3).

The GC pass of every convolution (activation x error) runs with an early-stop prefix: by
default E2-Train's asymmetric predictor, the top ``msb_bits[0]`` bits of the activation code
(4 of 8) times the top ``msb_bits[1]`` bits of the error code (16: all of an 8- or 16-bit error),
issued first on the array (``prefix=(p, q)`` digits); or the symmetric ``stop_ring`` R (top R+1
digits of both). Outputs with |prefix| >= tau stop there and their sign is the prediction, the
others run to full precision; a stopped tile issues nothing more (operand-gated).
The weight update uses only sign(g_W) (signSGD fed to SGD with momentum and weight decay, as
in E2-Train); BN, the classifier and the gates get ordinary gradients.

tau is absolute (gradient units) or relative, beta times a maximum. ``tau_step="current"`` is
E2-Train's definition, beta * max|prefix| of this step, done as the hardware can: two sweeps
of one descriptor (flag TAU_REL), the prefix of every output block first while the array keeps
the largest |prefix| and writes nothing, then tau = ceil(max * beta) in integers and the pass
with that tau (``fpga_model.gemm(tau_rel=...)``; ``pass_counters(two_sweeps=True)`` charges
the prefix sweep's reads, issues and block overheads). The model, the emulator, the HLS C-sim
and the RTL run it and report the maximum and tau in STAT. ``tau_step="previous"`` (the
default) is one sweep with tau from the previous step's max |g_W| (a layer's first step runs
without early stop): on the memory-bound array the second sweep costs about 23 % latency on
digits while the current step's max stops only about 6 points more outputs (``bench/psg.py``).

The GC operands use zero-point-free ("anchored") codes so that the prefix predicts the
gradient itself; the truncated operand's codes carry a half-step offset with random tie
direction so that its truncation is unbiased rounding (``QuantConv2d.prefix_offset``). PSG's
errors round to nearest, as E2-Train's do, instead of FracTrain's stochastic rounding: a sign
decided by a sum over N*H*W terms loses agreement to the dither's extra variance (about 2.5
points on heavy-tailed 8-bit errors, ``bench/psg.py``); neither rounding has a bias.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from torch import nn

from ..errors import ChoiceError
from ..layers import QuantConv2d, QuantLinear
from .base import Controller, TrainingRun

__all__ = ["PSG", "PSGConfig", "PSGController"]

TAU_STEPS = ("current", "previous")


@dataclass(frozen=True)
class PSG:
    """Prefix, threshold and the sign-update learning-rate factor.

    Args:
        stop_ring: symmetric prefix: ring R (top R+1 digits of both operands); None: the
            asymmetric prefix of ``msb_bits``.
        tau: threshold; beta, a fraction of the max |prefix| when ``relative`` (E2-Train's
            0.05), else absolute.
        lr_scale: sign gradients have magnitude 1, so their parameter group trains at
            lr * lr_scale.
        msb_bits: (activation, error) bits of the asymmetric prefix (E2-Train: 4 and 16).
        tau_step: "current" (this step's prefix max, two sweeps) or "previous" (one sweep).
    """

    stop_ring: int | None = None
    tau: float = 0.05
    relative: bool = True
    lr_scale: float = 0.01
    msb_bits: tuple[int, int] = (4, 16)
    tau_step: str = "previous"

    def apply(self, layers: Iterable[QuantConv2d]) -> list[QuantConv2d]:
        """Switch PSG on for the convolutions among ``layers``; returns them."""
        if self.tau_step not in TAU_STEPS:
            raise ValueError(f"PSG tau_step {self.tau_step!r} is not one of {TAU_STEPS}")
        out = []
        for layer in layers:
            if isinstance(layer, QuantLinear):
                continue
            p = layer.plan
            p.stop_ring, p.tau, p.tau_relative = self.stop_ring, self.tau, self.relative
            p.msb_bits = None if self.stop_ring is not None else tuple(self.msb_bits)
            p.tau_current = self.tau_step == "current"
            p.sign_grad = True
            p.anchored = True
            p.error_dither = False  # errors round to nearest (E2-Train; see the module doc)
            out.append(layer)
        return out


@dataclass(frozen=True)
class PSGConfig:
    """PSG's settings: the prefix (``ring`` for the symmetric one, else ``a_msb`` x ``e_msb``
    bits), the threshold (relative to this or the previous step, or absolute) and the
    learning-rate factor of the sign-gradient parameter group."""

    ring: int | None = None
    tau: float = 0.05
    relative: bool = True
    lr_scale: float = 0.01
    a_msb: int = 4
    e_msb: int = 16
    tau_step: str = "previous"


class PSGController(Controller):
    """Early stop on every convolution's GC pass; sign updates in their own parameter group."""

    name = "psg"
    config_type = PSGConfig
    series_keys = ("psg_stopped", "psg_agree")

    def check(self, enabled: frozenset[str]) -> None:
        c = self.config
        if c.tau_step not in TAU_STEPS:
            raise ChoiceError(f"unknown PSG tau step {c.tau_step!r}; use current or previous")
        if c.a_msb < 1 or c.e_msb < 1:
            raise ChoiceError(f"PSG prefix widths {c.a_msb}x{c.e_msb} must be at least 1 bit")

    def attach(self, run: TrainingRun) -> None:
        c = self.config
        self.run = run
        self.psg = PSG(c.ring, c.tau, c.relative, c.lr_scale, (c.a_msb, c.e_msb), c.tau_step)
        self.layers = self.psg.apply(run.model.layers())

    def param_group(self) -> tuple[list[nn.Parameter], float]:
        return [layer.weight for layer in self.layers], self.config.lr_scale

    def after_step(self, step: int, loss: float) -> list[str]:
        for key in self.series_keys:  # MSB-only fraction; sign agreement with the full GEMM
            vals = self.run.runtime.stats.pop(key, None)
            if vals:
                self.run.record(key, sum(vals) / len(vals))
        return []
