"""Data-parallel training over processes: torch.distributed (gloo on CPU, NCCL on CUDA).

``fracfpga train --nproc N`` starts N copies of itself under ``torch.distributed.run``
(torchrun); started by torchrun directly, the same entry finds ``WORLD_SIZE`` in its
environment. Every rank takes its slice of each global mini-batch (the global batch is split
evenly), the model is wrapped in ``DistributedDataParallel``, the controllers' decisions are made
once (rank 0 or a reduction over all ranks) and broadcast so every rank runs the same
descriptor list, and the ledgers are summed at the end.

``Dist`` is the handle the trainer and the controllers use; a single process gets the one with
``world == 1``, whose operations do nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

__all__ = ["Dist", "SINGLE", "from_env", "launch", "under_launcher", "strip_nproc"]


@dataclass(frozen=True)
class Dist:
    """This process's place in the run: ``rank`` of ``world``, and the collective backend."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0
    backend: str | None = None

    @property
    def active(self) -> bool:
        return self.world > 1

    @property
    def main(self) -> bool:
        return self.rank == 0

    def shard(self, t):
        """This rank's slice of a global mini-batch (an even split)."""
        if not self.active:
            return t
        b = t.shape[0] // self.world
        return t[self.rank * b:(self.rank + 1) * b]

    def mean(self, value: float) -> float:
        """The mean of ``value`` over the ranks."""
        if not self.active:
            return value
        import torch
        import torch.distributed as tdist

        t = torch.tensor([float(value)], dtype=torch.float64, device=self._device())
        tdist.all_reduce(t)
        return float(t.item()) / self.world

    def mean_tensor(self, t):
        """The element-wise mean of a (detached) tensor over the ranks."""
        if not self.active:
            return t
        import torch.distributed as tdist

        out = t.detach().clone()
        tdist.all_reduce(out)
        return out / self.world

    def agree(self, obj: Any) -> Any:
        """Rank 0's ``obj`` on every rank (a decision made once, then broadcast)."""
        if not self.active:
            return obj
        import torch.distributed as tdist

        box = [obj]
        tdist.broadcast_object_list(box, src=0, device=self._device())
        return box[0]

    def gather(self, obj: Any) -> list[Any]:
        """Every rank's ``obj``, in rank order, on every rank."""
        if not self.active:
            return [obj]
        import torch.distributed as tdist

        out: list[Any] = [None] * self.world
        tdist.all_gather_object(out, obj)
        return out

    def barrier(self) -> None:
        """Wait until every rank gets here (before the group is taken down: a rank that leaves
        while rank 0 still evaluates and reports tears gloo's connections under it)."""
        if self.active:
            import torch.distributed as tdist

            tdist.barrier()

    def _device(self):
        import torch

        return torch.device("cuda", self.local_rank) if self.backend == "nccl" else \
            torch.device("cpu")


SINGLE = Dist()


def under_launcher() -> bool:
    """True in a process torchrun started for more than one rank."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def from_env(device: str) -> Dist:
    """Join the process group torchrun set up (gloo on CPU, NCCL on CUDA); single otherwise."""
    if not under_launcher():
        return SINGLE
    import torch
    import torch.distributed as tdist

    backend = "nccl" if device == "cuda" else "gloo"
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if device == "cuda":
        torch.cuda.set_device(local)
    if not tdist.is_initialized():
        tdist.init_process_group(backend=backend)
    return Dist(rank=tdist.get_rank(), world=tdist.get_world_size(), local_rank=local,
                backend=backend)


def close(dist: Dist) -> None:
    """Leave the process group (after the last collective).

    Reference cycles that still hold DDP's reducer and its gloo work are collected first: left
    to the interpreter's shutdown, their destruction aborts the process (SIGABRT).
    """
    if dist.active:
        import gc

        import torch.distributed as tdist

        gc.collect()
        if tdist.is_initialized():
            tdist.destroy_process_group()


def strip_nproc(argv: list[str]) -> list[str]:
    """``argv`` without ``--nproc N`` / ``--nproc=N``."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
            continue
        if a == "--nproc":
            skip = True
            continue
        if a.startswith("--nproc="):
            continue
        out.append(a)
    return out


def launch(argv: list[str], nproc: int) -> int:
    """Run ``fracfpga <argv>`` as ``nproc`` ranks under torchrun on this machine; exit status."""
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone",
           f"--nproc-per-node={nproc}", "-m", "host.cli", *argv]
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    return subprocess.run(cmd, env=env, check=False).returncode
