"""Accelerator backends: each runs GEMM-pass descriptors and returns exact values and counters.

The protocol is deliberately small so that other backends (RTL simulation, a PYNQ board, an
accelerator over DDR images) can grow behind it:

- ``name``: the key in ``BACKENDS`` and on the command line;
- ``probe()``: whether the backend can run here, and if not, why (``Availability``);
- ``run(jobs)``: execute descriptors in order, each with its operand codes, and return one
  ``PassOutput`` per job (int64 values, early-stop mask, counters).

Backends are registered by import path and imported only when asked for, so an optional extra
(pynq, cocotb) is never imported by a machine that does not use it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, Sequence, runtime_checkable

import numpy as np

from fpga_model import ArrayConfig, Descriptor

from ..errors import BackendUnavailable, ChoiceError

__all__ = ["Availability", "Job", "PassOutput", "Backend", "BACKENDS", "backend_names",
           "get_backend"]


@dataclass(frozen=True)
class Availability:
    """Whether a backend can run here; ``reason`` says why not (or what it found)."""

    ok: bool
    reason: str = ""


@dataclass(frozen=True)
class Job:
    """One descriptor and its operands: A (M x K) and B (K x N) integer codes."""

    descriptor: Descriptor
    a: Any
    b: Any


@dataclass
class PassOutput:
    """What a backend returns for one job.

    ``values`` is M x N integers, int64 or int32 where the model's bound proves they fit (a
    torch tensor on the operands' device when they were torch tensors), ``stopped`` the bool
    M x N early-stop mask (may be shared and read-only when nothing stopped), ``counters`` the
    hardware counters
    (``cycles``, ``digit_products``, ``tile_cycles``, ``buffer_bits``, ``dram_bits``, ...).
    """

    descriptor: Descriptor
    values: Any
    stopped: np.ndarray
    counters: dict[str, int] = field(default_factory=dict)


@runtime_checkable
class Backend(Protocol):
    """Runs descriptor lists on some implementation of the array."""

    name: ClassVar[str]

    @classmethod
    def probe(cls) -> Availability: ...

    def run(self, jobs: Sequence[Job]) -> list[PassOutput]: ...


# name -> "module:Class"; other backends add their entry here.
BACKENDS: dict[str, str] = {
    "emulator": "host.backends.emulator:EmulatorBackend",
    "rtl": "host.backends.rtl:RtlBackend",
    "pynq": "host.backends.pynq:PynqBackend",
}


def backend_names() -> tuple[str, ...]:
    return tuple(BACKENDS)


def _backend_class(name: str) -> type:
    try:
        target = BACKENDS[name]
    except KeyError:
        raise ChoiceError(f"unknown backend {name!r}; known backends: "
                          f"{', '.join(backend_names())}") from None
    module, cls = target.split(":")
    return getattr(importlib.import_module(module), cls)


def get_backend(name: str, cfg: ArrayConfig, **options: Any) -> Backend:
    """Build the backend ``name`` for the array ``cfg``.

    Raises:
        ChoiceError: the name is not registered (the message lists the valid names).
        BackendUnavailable: the backend cannot run here (the message gives its probe's reason).
    """
    cls = _backend_class(name)
    avail = cls.probe()
    if not avail.ok:
        raise BackendUnavailable(f"backend {name!r} is not available: {avail.reason}")
    return cls(cfg, **options)
