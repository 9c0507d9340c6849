"""Precision and work controllers: FracTrain's PFQ and DFQ, E2-Train's PSG, SMD and SLU.

Each controller can be switched on alone or together with others; a method names a set of
them: ``pfq+psg``, or a preset (``fractrain`` = pfq+dfq, where PFQ steps DFQ's target;
``e2train`` = smd+slu+psg; ``static`` = none).
"""

from __future__ import annotations

from ..errors import ChoiceError
from .dfq import DFQ, DFQ_OPTIONS, DFQGate, option_cost
from .pfq import PFQ
from .psg import PSG
from .slu import SLU, SLUGate
from .smd import SMD

__all__ = [
    "CONTROLLERS", "PRESETS", "METHODS", "parse_method",
    "PFQ", "DFQ", "DFQGate", "DFQ_OPTIONS", "option_cost", "PSG", "SMD", "SLU", "SLUGate",
]

CONTROLLERS = ("pfq", "dfq", "psg", "smd", "slu")
PRESETS: dict[str, tuple[str, ...]] = {
    "static": (),
    "fractrain": ("pfq", "dfq"),
    "e2train": ("smd", "slu", "psg"),
}
METHODS = ("static", "pfq", "dfq", "fractrain", "psg", "smd", "slu", "e2train")


def parse_method(text: str) -> frozenset[str]:
    """The controllers a method switches on, e.g. ``"fractrain+smd"`` -> {pfq, dfq, smd}."""
    parts = [p.strip().lower() for p in text.split("+") if p.strip()]
    if not parts:
        raise ChoiceError(f"method {text!r} is empty; choose one of {', '.join(METHODS)}")
    out: set[str] = set()
    for p in parts:
        if p in PRESETS:
            out.update(PRESETS[p])
        elif p in CONTROLLERS:
            out.add(p)
        else:
            raise ChoiceError(f"unknown method {p!r}; choose one of {', '.join(METHODS)} "
                              f"(or join controllers with '+', e.g. pfq+psg)")
    return frozenset(out)
