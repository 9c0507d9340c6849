"""What a GEMM pass returns: exact values, the early-stop mask, cycles and counters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["GemmResult"]


@dataclass
class GemmResult:
    """Result of one GEMM pass on the array.

    ``values`` is M x N integers (a torch tensor when the operands were torch tensors): int64,
    or int32 from the fast path when K * max|a| * max|b| < 2^31 proves that every value fits;
    ``stopped`` the bool M x N early-stop mask (all False without early termination; shared
    and read-only then), ``cycles`` the engine cycles, and ``counters`` the hardware and model
    counters (see ``fpga_model.cycles``).
    """

    values: Any
    stopped: np.ndarray
    cycles: int
    counters: dict[str, int] = field(default_factory=dict)

    def __repr__(self) -> str:
        shape = tuple(self.values.shape)
        return (f"GemmResult({shape[0]}x{shape[1]}, cycles={self.cycles}, "
                f"stopped={int(np.count_nonzero(self.stopped))})")
