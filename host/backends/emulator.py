"""The emulator backend: descriptors run on the bit-accurate Python model (``fpga_model.gemm``).

Backend-specific usage:

- always available (pure Python, numpy and torch);
- operands may be numpy arrays or torch tensors; values come back in kind. Torch CPU tensors
  of codes wider than a byte are handed to the model as zero-copy numpy views (its
  cache-blocked exact path); byte codes and CUDA tensors stay torch tensors;
- the counters are the model's, which equal the RTL's cycle counts for the same descriptor.
"""

from __future__ import annotations

from typing import ClassVar, Sequence

import torch

from fpga_model import ArrayConfig, ConfigError, gemm
from fpga_model.operands import is_torch

from . import Availability, Job, PassOutput

__all__ = ["EmulatorBackend"]


def _wide_cpu_codes(x) -> bool:
    """Codes wider than a byte in a CPU tensor: the model's cache-blocked numpy path is faster
    for them (1-byte codes stay torch tensors and go to the int8 GEMM as they are)."""
    return is_torch(x) and x.device.type == "cpu" and x.element_size() > 1


class EmulatorBackend:
    """Executes each descriptor with ``fpga_model.gemm`` (exact integer GEMM + cycle model)."""

    name: ClassVar[str] = "emulator"

    def __init__(self, cfg: ArrayConfig) -> None:
        self.cfg = cfg

    @classmethod
    def probe(cls) -> Availability:
        return Availability(True, "bit-accurate Python model")

    def run(self, jobs: Sequence[Job]) -> list[PassOutput]:
        out = []
        for job in jobs:
            d = job.descriptor
            m, k = job.a.shape
            n = job.b.shape[1]
            if (m, n, k) != (d.m, d.n, d.k):
                raise ConfigError(f"{d!r} does not match its operands {m}x{k} and "
                                  f"{job.b.shape[0]}x{n}; rebuild the descriptor from them")
            a, b, to_torch = job.a, job.b, False
            if _wide_cpu_codes(a) or _wide_cpu_codes(b):
                a, b, to_torch = a.numpy(), b.numpy(), True
            res = gemm(self.cfg, a, b, d.a_bits, d.b_bits, a_signed=d.a_signed,
                       b_signed=d.b_signed, stop_ring=d.stop_ring, tau=d.tau)
            values = torch.from_numpy(res.values) if to_torch else res.values
            out.append(PassOutput(d, values, res.stopped, res.counters))
        return out

    def __repr__(self) -> str:
        return f"EmulatorBackend({self.cfg!r})"
