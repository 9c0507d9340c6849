"""The accelerator targets by name, what ``auto`` means, and how a target is opened.

One list of names serves every command (``backends``, ``train``, ``deploy``, ``package``,
``verify``): ``target_names()``, plus ``auto``. Targets are registered by import path and
imported only when probed or opened, so a machine without pynq or cocotb never imports them;
availability is always asked with ``probe()``, which never builds (or loads) a device.

``auto`` takes the first available target in the order of its purpose:

- ``train``: the fastest target that gives the exact numbers here. Every target is bit-exact
  (a device's STAT records are checked against the model on every pass), and the emulator,
  which runs ``fpga_model.gemm`` in the training process, is the fastest, so it comes first;
- ``deploy``: a board first, then the RTL simulation, then the emulator (PYNQ's
  ``_probe_priority_`` idea): a self-test should exercise the most real kernel there is.
"""

from __future__ import annotations

import importlib
from typing import Any

from .errors import AcceleratorUnavailable
from .target import Availability, Target

__all__ = ["TARGETS", "AUTO_ORDER", "PURPOSES", "target_names", "backend_choices",
           "target_class", "probe_all", "choose_target", "open_target", "open_for_training"]

# name -> "module:Class"
TARGETS: dict[str, str] = {
    "emulator": "host.accel.emulator:EmulatorTarget",
    "rtl": "host.accel.rtl:RtlTarget",
    "pynq": "host.accel.pynq:PynqTarget",
}
# the order ``auto`` probes the targets in, per purpose (see the module docstring)
AUTO_ORDER: dict[str, tuple[str, ...]] = {
    "train": ("emulator", "pynq", "rtl"),
    "deploy": ("pynq", "rtl", "emulator"),
}
PURPOSES = tuple(AUTO_ORDER)


def target_names() -> tuple[str, ...]:
    """The registered targets, in ``TARGETS`` order."""
    return tuple(TARGETS)


def backend_choices() -> tuple[str, ...]:
    """What ``--backend`` accepts in every command: the targets and ``auto``."""
    return (*target_names(), "auto")


def _unknown(name: str) -> AcceleratorUnavailable:
    return AcceleratorUnavailable(f"unknown backend {name!r}; backends: "
                                  f"{', '.join(backend_choices())}")


def target_class(name: str) -> type[Target]:
    """The target class registered as ``name``.

    Raises:
        AcceleratorUnavailable: unknown name (the message lists the valid ones).
        ImportError: the target's module is not part of this installation.
    """
    try:
        module, cls = TARGETS[name].split(":")
    except KeyError:
        raise _unknown(name) from None
    return getattr(importlib.import_module(module), cls)


def _probe(name: str, project: Any) -> Availability:
    try:
        cls = target_class(name)
    except ImportError:  # the board's runtime package has no rtl target
        return Availability(False, f"the {name} backend is not part of this installation")
    return cls.probe(project)


def probe_all(project: Any = None, purpose: str = "deploy") -> list[tuple[str, Availability]]:
    """Every target with its availability for ``project``, in the ``auto`` order of ``purpose``."""
    return [(name, _probe(name, project)) for name in AUTO_ORDER[purpose]]


def choose_target(backend: str, project: Any = None, purpose: str = "deploy") -> tuple[str, str]:
    """The target to use and why: ``(name, reason)``.

    ``auto`` takes the first available target in the order of ``purpose`` (``train`` or
    ``deploy``); its reason lists why the ones before it were skipped.

    Raises:
        AcceleratorUnavailable: an unknown name, or a named target that cannot run here.
    """
    if purpose not in AUTO_ORDER:
        raise ValueError(f"purpose {purpose!r} is not one of {', '.join(PURPOSES)}")
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
    for name, avail in probe_all(project, purpose):
        if avail.ok:
            why = "; ".join(skipped)
            return name, (f"{why}; chose {name}: {avail.reason}" if why
                          else f"chose {name}: {avail.reason}")
        skipped.append(f"no {name}: {avail.reason}")
    raise AcceleratorUnavailable("no backend can run here: " + "; ".join(skipped))


def open_target(backend: str, project: Any = None, **options: Any) -> tuple[Target, str]:
    """Open the target (``auto``: for deployment) for ``project``; returns it and the reason."""
    name, reason = choose_target(backend, project, "deploy")
    return target_class(name).create(project, **options), reason


def open_for_training(backend: str, cfg: Any, **options: Any) -> tuple[Any, str]:
    """The pass runner training uses on ``backend`` (``auto``: for training), and why.

    The emulator target runs the passes itself; a device target comes wrapped in an
    ``Offload`` that sends its selected passes to the device and the rest to the emulator
    (see ``Target.for_training``).
    """
    name, reason = choose_target(backend, cfg, "train")
    return target_class(name).for_training(cfg, **options), reason
