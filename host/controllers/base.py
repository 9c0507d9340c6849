"""The controller protocol: what the training loop calls, and what a controller attaches to.

A controller decides precisions or work during training (FracTrain's PFQ and DFQ, E2-Train's
PSG, SMD and SLU). The loop knows none of them by name: it builds the ones a method switches on
from the registry (``host.controllers.CONTROLLERS``), each with its own config, attaches them
to the run in registry order, and calls the hooks below. Every hook has a do-nothing default,
so a controller implements only what it needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
from torch import nn

from ..dist import SINGLE
from ..errors import ChoiceError

__all__ = ["Controller", "TrainingRun"]


@dataclass
class TrainingRun:
    """What controllers attach to: the model, its layer groups and the loop's shared state.

    Attributes:
        model: the ResNet (``layers()``: quantized layers; ``blocks``: residual blocks, the
            groups gates decide for; ``add_gate``: a hook into every block).
        block_channels, block_macs: input channels and forward MACs of each block.
        static_bits: (FW, BW) of layers no controller sets.
        steps_per_epoch, total_steps: mini-batches per epoch and in the whole run.
        generator: the seeded source of the controllers' random draws.
        runtime: the layers' shared ``Runtime`` (``stats`` carries per-pass statistics).
        enabled: the names of the controllers in this run.
        controllers: name -> controller, every enabled one (built before any attaches).
        series: per-step report series by name (``TrainResult.series``).
        optimizer, params: set by the loop once every controller is attached.
        dist: the process's place in a data-parallel run (``host.dist.Dist``; single by
            default): decisions go through ``dist.agree`` or a reduction, so every rank runs
            the same descriptor list.
    """

    model: Any
    block_channels: list[int]
    block_macs: list[float]
    static_bits: tuple[int, int]
    steps_per_epoch: int
    total_steps: int
    generator: torch.Generator
    runtime: Any
    enabled: frozenset[str] = frozenset()
    controllers: dict[str, Controller] = field(default_factory=dict)
    series: dict[str, list[float]] = field(default_factory=dict)
    optimizer: torch.optim.Optimizer | None = None
    params: list[nn.Parameter] = field(default_factory=list)
    dist: Any = SINGLE

    def set_widths(self, fw: int, bw: int, exclude: frozenset[int] = frozenset()) -> None:
        """Every layer but the ids in ``exclude`` to FW/BW ``fw``/``bw`` bits, one group."""
        for layer in self.model.layers():
            if layer.index in exclude:
                continue
            p = layer.plan
            p.a_bits, p.w_bits, p.g_bits = fw, fw, bw
            p.groups = None

    def record(self, key: str, value: float) -> None:
        """Append one value to the report series ``key``."""
        self.series.setdefault(key, []).append(value)


class Controller:
    """Base of the controllers; every hook is optional (see the module docstring).

    Class attributes:
        name: the key in ``CONTROLLERS`` and in a method (``pfq+psg``).
        config_type: the dataclass of its settings (``TrainConfig.<name>``).
        series_keys: the report series it records (``report.json`` has ``<key>_mean``).
    """

    name: ClassVar[str]
    config_type: ClassVar[type]
    series_keys: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: Any) -> None:
        self.config = config

    needs_blocks: ClassVar[bool] = False  # gates residual blocks (DFQ, SLU)

    def check(self, enabled: frozenset[str]) -> None:
        """Refuse bad settings before any data is read (raise ``ChoiceError``)."""

    def check_model(self, model: Any, name: str) -> None:
        """Refuse a model this controller cannot drive (raise ``ChoiceError``), before training."""
        if self.needs_blocks and not getattr(model, "blocks", None):
            raise ChoiceError(f"{self.name} needs residual blocks to gate and model {name!r} "
                              f"has none; use static, pfq, psg or smd with it, or a model "
                              f"with residual blocks")

    def widths(self, enabled: frozenset[str]) -> set[int]:
        """Bit widths this controller may ask the array for (checked against its set)."""
        return set()

    def attach(self, run: TrainingRun) -> None:
        """Wire into the model and its layer groups (gates, layer plans)."""

    def param_group(self) -> tuple[list[nn.Parameter], float] | None:
        """Parameters that train at ``lr * scale`` in their own group, with the scale."""
        return None

    def begin_batch(self, step: int) -> bool:
        """Decide the next mini-batch before it runs; False drops it (no GEMM runs)."""
        return True

    def loss(self) -> torch.Tensor | None:
        """An extra term for this mini-batch's loss (after the forward pass)."""
        return None

    def info(self) -> dict[str, float]:
        """Fields for the progress line of this step."""
        return {}

    def after_step(self, step: int, loss: float) -> list[str]:
        """After the optimizer step, with the task loss; returns events for the report."""
        return []
