"""Precision and work controllers: FracTrain's PFQ and DFQ, E2-Train's PSG, SMD and SLU.

Each controller is one module with its algorithm, its config dataclass and a ``Controller``
(``base.py``) the training loop drives without knowing its name. ``CONTROLLERS`` (kept in the
torch-free ``host.names``) registers them by import path, in the order they attach and act each
step; adding one is a module and a line there. A method names a set of them: ``pfq+psg``, or a
preset (``fractrain`` = pfq+dfq, where PFQ steps DFQ's target; ``e2train`` = smd+slu+psg;
``static`` = none).
"""

from __future__ import annotations

import importlib
from typing import Any

from ..names import CONTROLLERS, PRESETS, methods, parse_method
from .base import Controller, TrainingRun
from .dfq import DFQ, DFQ_OPTIONS, DFQConfig, DFQController, DFQGate, option_cost
from .pfq import PFQ, PFQConfig, PFQController
from .psg import PSG, PSGConfig, PSGController
from .slu import SLU, SLUConfig, SLUController, SLUGate
from .smd import SMD, SMDConfig, SMDController

__all__ = [
    "CONTROLLERS", "PRESETS", "methods", "parse_method", "controller_class", "build_controllers",
    "Controller", "TrainingRun",
    "PFQ", "PFQConfig", "PFQController", "DFQ", "DFQConfig", "DFQController", "DFQGate",
    "DFQ_OPTIONS", "option_cost", "PSG", "PSGConfig", "PSGController", "SMD", "SMDConfig",
    "SMDController", "SLU", "SLUConfig", "SLUController", "SLUGate",
]


def controller_class(name: str) -> type[Controller]:
    module, cls = CONTROLLERS[name].split(":")
    return getattr(importlib.import_module(module), cls)


def build_controllers(enabled: frozenset[str], configs: Any) -> list[Controller]:
    """The enabled controllers in registry order, each with ``getattr(configs, name)`` as its
    config (its defaults when that is None or missing)."""
    out = []
    for name in CONTROLLERS:
        if name in enabled:
            cls = controller_class(name)
            config = getattr(configs, name, None)
            out.append(cls(config if config is not None else cls.config_type()))
    return out
