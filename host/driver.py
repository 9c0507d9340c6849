"""The host driver: turns each mini-batch's decisions into descriptors and runs them on a target.

Per mini-batch the driver keeps the ``program``: the ordered list of ``fpga_model.Descriptor``
(layer, pass, M/N/K, widths, signedness, stop ring, tau) that the controllers' decisions became.
Host-side work sits between GEMMs (batch norm, the gates, quantizing the next operands), and the
DFQ/SLU gates decide from the data, so descriptors are handed to the target as their operands
become ready, in program order. Every executed descriptor is charged to the ledger.
"""

from __future__ import annotations

from typing import Protocol, Sequence

import torch

from fpga_model import ArrayConfig, ConfigError, Descriptor, Pass
from fpga_model.job import Job, PassOutput

from .ledger import Ledger

__all__ = ["Driver", "PassRunner"]


class PassRunner(Protocol):
    """What the driver runs passes on: a target (``host.accel``) or an ``Offload`` of one."""

    def run(self, jobs: Sequence[Job]) -> list[PassOutput]: ...


class Driver:
    """Builds descriptors from layer decisions and runs them on ``target``."""

    def __init__(self, cfg: ArrayConfig, target: PassRunner, ledger: Ledger | None = None) -> None:
        self.cfg = cfg
        self.target = target
        self.ledger = ledger
        self.recording = True
        self.program: list[Descriptor] = []
        self._descriptors: dict[tuple, Descriptor] = {}  # the same passes repeat every batch

    def begin_batch(self) -> None:
        """Start a new mini-batch program."""
        self.program = []

    def run_pass(self, layer: int, pass_: Pass, a: torch.Tensor, b: torch.Tensor, a_bits: int,
                 b_bits: int, *, a_signed: bool, b_signed: bool, stop_ring: int | None = None,
                 tau: int | None = None, prefix: tuple[int, int] | None = None,
                 tau_rel: int | None = None) -> PassOutput:
        """Run one GEMM pass A (M x K) @ B (K x N) of integer codes; returns exact values.

        A reduction longer than the array's MAX_K is split into several descriptors whose
        values the host adds (exact); early termination needs the whole reduction in one.
        """
        m, k = a.shape
        n = b.shape[1]
        self.cfg.check_pair(a_bits, b_bits)
        chunks: Sequence[tuple[int, int]] = [(0, k)]
        if k > self.cfg.max_k:
            if stop_ring is not None or prefix is not None:
                raise ConfigError(f"early termination needs K={k} in one pass but the array's "
                                  f"max K is {self.cfg.max_k}; lower the batch size")
            step = self.cfg.max_k
            chunks = [(k0, min(k, k0 + step)) for k0 in range(0, k, step)]
        jobs = []
        for k0, k1 in chunks:
            d = self._descriptor(layer, pass_, m, n, k1 - k0, a_bits, b_bits, a_signed, b_signed,
                                 stop_ring, tau, prefix, tau_rel)
            jobs.append(Job(d, a if len(chunks) == 1 else a[:, k0:k1],
                            b if len(chunks) == 1 else b[k0:k1]))
        outs = self.target.run(jobs)
        for job, out in zip(jobs, outs):
            self.program.append(job.descriptor)
            if self.recording and self.ledger is not None:
                self.ledger.record(job.descriptor, out.counters,
                                   out.stopped if job.descriptor.early_stop else None)
        if len(outs) == 1:
            return outs[0]
        # each chunk's values fit their own dtype; their sum may need int64
        total = outs[0].values.to(torch.int64)
        for out in outs[1:]:
            total = total + out.values
        merged = {key: sum(o.counters.get(key, 0) for o in outs) for key in outs[0].counters}
        return PassOutput(jobs[0].descriptor, total, outs[0].stopped, merged)

    def _descriptor(self, layer: int, pass_: Pass, m: int, n: int, k: int, a_bits: int,
                    b_bits: int, a_signed: bool, b_signed: bool, stop_ring: int | None,
                    tau: int | None, prefix: tuple[int, int] | None = None,
                    tau_rel: int | None = None) -> Descriptor:
        """The (immutable) descriptor of a pass, reused when the same pass comes again."""
        key = (layer, pass_, m, n, k, a_bits, b_bits, a_signed, b_signed, stop_ring, tau, prefix,
               tau_rel)
        d = self._descriptors.get(key)
        if d is None:
            if len(self._descriptors) >= 4096:  # e.g. a new tau every batch under PSG
                self._descriptors.clear()
            d = self._descriptors[key] = Descriptor(
                m=m, n=n, k=k, a_bits=a_bits, b_bits=b_bits, a_signed=a_signed,
                b_signed=b_signed, stop_ring=stop_ring, tau=tau, pass_=pass_, layer=layer,
                prefix=prefix, tau_rel=tau_rel)
        return d
