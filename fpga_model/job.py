"""A job: one descriptor and its operands; and what running it gives back.

Every layer that runs GEMM passes speaks these two types: the training driver builds jobs, the
emulator and the device targets run them, a vector set's DDR image holds them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .descriptor import Descriptor

__all__ = ["Job", "PassOutput"]


@dataclass(frozen=True)
class Job:
    """One descriptor and its operands: A (M x K) and B (K x N) integer codes (numpy or torch)."""

    descriptor: Descriptor
    a: Any
    b: Any


@dataclass
class PassOutput:
    """What running one job returns.

    ``values`` is M x N integers, int64 or int32 where the model's bound proves they fit (a
    torch tensor on the operands' device when they were torch tensors), ``stopped`` the bool
    M x N early-stop mask (may be shared and read-only when nothing stopped), ``counters`` the
    hardware counters (``cycles``, ``digit_products``, ``tile_cycles``, ``buffer_bits``,
    ``dram_bits``, ...).
    """

    descriptor: Descriptor
    values: Any
    stopped: np.ndarray
    counters: dict[str, int] = field(default_factory=dict)
