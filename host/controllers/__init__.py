"""Precision and work controllers: FracTrain's PFQ and DFQ, E2-Train's PSG, SMD and SLU.

Each controller is one module with its algorithm, its config dataclass and a ``Controller``
(``base.py``) the training loop drives without knowing its name. ``CONTROLLERS`` registers
them by import path, in the order they attach and act each step; adding one is a module and a
line here. A method names a set of them: ``pfq+psg``, or a preset (``fractrain`` = pfq+dfq,
where PFQ steps DFQ's target; ``e2train`` = smd+slu+psg; ``static`` = none).
"""

from __future__ import annotations

import importlib
from typing import Any

from ..errors import ChoiceError
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

# name -> "module:Class", in attach order (DFQ's gate before SLU's: parameter order)
CONTROLLERS: dict[str, str] = {
    "pfq": "host.controllers.pfq:PFQController",
    "dfq": "host.controllers.dfq:DFQController",
    "psg": "host.controllers.psg:PSGController",
    "smd": "host.controllers.smd:SMDController",
    "slu": "host.controllers.slu:SLUController",
}
PRESETS: dict[str, tuple[str, ...]] = {
    "static": (),
    "fractrain": ("pfq", "dfq"),
    "e2train": ("smd", "slu", "psg"),
}


def methods() -> tuple[str, ...]:
    """Every method name: ``static``, the controllers, then the other presets."""
    return ("static", *CONTROLLERS, *(p for p in PRESETS if p != "static"))


def controller_class(name: str) -> type[Controller]:
    module, cls = CONTROLLERS[name].split(":")
    return getattr(importlib.import_module(module), cls)


def parse_method(text: str) -> frozenset[str]:
    """The controllers a method switches on, e.g. ``"fractrain+smd"`` -> {pfq, dfq, smd}."""
    parts = [p.strip().lower() for p in text.split("+") if p.strip()]
    if not parts:
        raise ChoiceError(f"method {text!r} is empty; choose one of {', '.join(methods())}")
    out: set[str] = set()
    for p in parts:
        if p in PRESETS:
            out.update(PRESETS[p])
        elif p in CONTROLLERS:
            out.add(p)
        else:
            raise ChoiceError(f"unknown method {p!r}; choose one of {', '.join(methods())} "
                              f"(or join controllers with '+', e.g. pfq+psg)")
    return frozenset(out)


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
