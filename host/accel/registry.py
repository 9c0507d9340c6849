"""The accelerator backends by name, how ``auto`` picks one, and how one is opened.

Backends are registered by import path and imported only when probed or opened, so a machine
without pynq or cocotb never imports them. ``auto`` probes in priority order (pynq, rtl,
emulator: PYNQ's ``_probe_priority_`` idea) and says which one it chose and why.
"""

from __future__ import annotations

import importlib
from typing import Any

from .errors import AcceleratorUnavailable
from .target import Availability, Target

__all__ = ["TARGETS", "target_names", "target_class", "probe_all", "choose_target",
           "open_target"]

# name -> "module:Class", in the order ``auto`` probes them (each class's ``priority`` agrees)
TARGETS: dict[str, str] = {
    "pynq": "host.accel.pynq:PynqTarget",
    "rtl": "host.accel.rtl:RtlTarget",
    "emulator": "host.accel.emulator:EmulatorTarget",
}


def target_names() -> tuple[str, ...]:
    return tuple(TARGETS)


def target_class(name: str) -> type[Target]:
    """The backend class registered as ``name``.

    Raises:
        AcceleratorUnavailable: unknown name (the message lists the valid ones).
    """
    try:
        module, cls = TARGETS[name].split(":")
    except KeyError:
        raise AcceleratorUnavailable(f"unknown backend {name!r}; backends: "
                                     f"{', '.join(target_names())}, auto") from None
    return getattr(importlib.import_module(module), cls)


def probe_all(project: Any = None) -> list[tuple[str, Availability]]:
    """Every backend with its availability for ``project``, in ``TARGETS`` (priority) order.

    A backend whose module is not installed (the board's runtime package has no rtl backend)
    is listed as unavailable, with that reason.
    """
    out = []
    for name in TARGETS:
        try:
            cls = target_class(name)
        except ImportError:
            out.append((name, Availability(False, f"the {name} backend is not part of this "
                                                  f"installation")))
            continue
        out.append((name, cls.probe(project)))
    return out


def choose_target(backend: str, project: Any = None) -> tuple[str, str]:
    """The backend to use and why: ``(name, reason)``.

    ``auto`` takes the first available backend in priority order; its reason lists why the
    ones before it were skipped.

    Raises:
        AcceleratorUnavailable: a named backend that cannot run here.
    """
    if backend != "auto":
        try:
            cls = target_class(backend)
        except ImportError:
            raise AcceleratorUnavailable(f"backend {backend!r} is not part of this "
                                         f"installation; install the full fracfpga "
                                         f"package") from None
        avail = cls.probe(project)
        if not avail.ok:
            raise AcceleratorUnavailable(f"backend {backend!r} is not available: {avail.reason}")
        return backend, avail.reason
    skipped = []
    for name, avail in probe_all(project):
        if avail.ok:
            why = "; ".join(skipped)
            return name, (f"{why}; chose {name}: {avail.reason}" if why
                          else f"chose {name}: {avail.reason}")
        skipped.append(f"no {name}: {avail.reason}")
    raise AcceleratorUnavailable("no backend can run here: " + "; ".join(skipped))


def open_target(backend: str, project: Any = None, **options: Any) -> tuple[Target, str]:
    """Open the backend (``auto`` chooses one) for ``project``; returns it and the reason."""
    name, reason = choose_target(backend, project)
    return target_class(name).create(project, **options), reason
