"""The deployment self-test: the project's vector jobs through the ``Accelerator``, against the model.

The jobs are the ones every tier runs (``codegen.vectors``): ``all-pairs`` (every width pair,
precision changing per descriptor), ``early-stop`` (every pair with a stop ring and threshold),
``edges`` and ``refused``. They come from the project's ``vectors/`` folder when it has one (so
the board runs the very bytes the C-simulation and the RTL ran), else they are generated from
the config. A job passes when the DDR window after the run equals the model's byte for byte
and STATUS, ERROR, CYCLES and DIGIT_PRODUCTS equal the model's registers.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fpga_model import ArrayConfig, Descriptor
from fpga_model.descriptor import DESC_BYTES
from fpga_model.kernel import KernelStatus
from fpga_model.memory import read_pass

from .accelerator import Accelerator
from .errors import AcceleratorUnavailable

__all__ = ["SelfTestJob", "SelfTestRow", "selftest_jobs", "run_selftest", "first_difference",
           "pick_jobs", "open_deployment", "describe_target", "summary_line", "BACKEND_CHOICES"]

BACKEND_CHOICES = ("auto", "pynq", "rtl", "emulator")


@dataclass(frozen=True)
class SelfTestJob:
    """A DDR image with its descriptor list and what the model left after running it."""

    name: str
    memory: bytes
    expected: bytes
    desc_addr: int
    descriptors: tuple[Descriptor, ...]
    status: KernelStatus

    @property
    def pairs(self) -> list[tuple[int, int]]:
        return sorted({(d.a_bits, d.b_bits) for d in self.descriptors})

    @property
    def early_stop(self) -> int:
        return sum(d.early_stop for d in self.descriptors)


@dataclass(frozen=True)
class SelfTestRow:
    """How one job went on the backend."""

    job: str
    descriptors: int
    pairs: int
    early_stop: int
    passed: bool
    detail: str  # first difference, '' when equal
    cycles: int  # CYCLES the kernel reported
    model_cycles: int
    status: int
    seconds: float


def _from_vectors(folder: Path) -> list[SelfTestJob]:
    names = json.loads((folder / "jobs.json").read_text())
    jobs = []
    for n in names:
        meta = json.loads((folder / f"{n}.json").read_text())
        mem = (folder / f"{n}.mem.bin").read_bytes()
        at, count = meta["desc_addr"], meta["desc_count"]
        descs = tuple(Descriptor.unpack(mem[at + i * DESC_BYTES:at + (i + 1) * DESC_BYTES])
                      for i in range(count))
        jobs.append(SelfTestJob(n, mem, (folder / f"{n}.expected.bin").read_bytes(), at, descs,
                                KernelStatus(meta["status"], meta["error"], meta["cycles"],
                                             meta["digit_products"])))
    return jobs


def selftest_jobs(project: Any, seed: int = 0) -> list[SelfTestJob]:
    """The jobs of ``project`` (its ``vectors/``), or of a bare ``ArrayConfig`` (generated)."""
    root = getattr(project, "root", None)
    if root is not None and (Path(root) / "vectors" / "jobs.json").is_file():
        return _from_vectors(Path(root) / "vectors")
    from codegen.vectors import standard_jobs

    cfg: ArrayConfig = getattr(project, "cfg", project)
    return [SelfTestJob(j.name, j.memory, j.expected, j.desc_addr, j.descriptors, j.status)
            for j in standard_jobs(cfg, seed)]


def first_difference(job: SelfTestJob, actual: bytes, status: KernelStatus) -> str:
    """'' when the run equals the model, else the first difference in words."""
    for name in ("status", "error", "cycles", "digit_products"):
        have, want = getattr(status, name), getattr(job.status, name)
        if have != want:
            return f"{name.upper()} = {have}, model {want}"
    if actual == job.expected:
        return ""
    done = len(job.descriptors) if job.status.ok else job.status.status - 1
    for i, d in enumerate(job.descriptors[:done]):
        got, want = read_pass(actual, d), read_pass(job.expected, d)
        if not np.array_equal(got.values, want.values):
            r, c = (int(x[0]) for x in np.nonzero(got.values != want.values))
            return (f"descriptor {i} {d.a_bits}x{d.b_bits}: C[{r},{c}] = {got.values[r, c]}, "
                    f"model {want.values[r, c]}")
        if not np.array_equal(got.stopped, want.stopped):
            return f"descriptor {i} {d.a_bits}x{d.b_bits}: stop mask differs"
        if got.stats != want.stats:
            key = next(k for k in want.stats if got.stats[k] != want.stats[k])
            return (f"descriptor {i} {d.a_bits}x{d.b_bits}: STAT.{key} = {got.stats[key]}, "
                    f"model {want.stats[key]}")
    at = next(i for i, (x, y) in enumerate(zip(actual, job.expected)) if x != y)
    return f"DDR byte 0x{at:X} = 0x{actual[at]:02X}, model 0x{job.expected[at]:02X}"


def run_selftest(acc: Accelerator, jobs: Sequence[SelfTestJob]) -> list[SelfTestRow]:
    """Run each job on ``acc`` and compare it with the model."""
    rows = []
    for job in jobs:
        acc.write(job.memory, job.descriptors, desc_addr=job.desc_addr)
        t0 = time.perf_counter()
        status = acc.run()
        seconds = time.perf_counter() - t0
        detail = first_difference(job, acc.memory(), status)
        rows.append(SelfTestRow(job.name, len(job.descriptors), len(job.pairs), job.early_stop,
                                not detail, detail, status.cycles, job.status.cycles,
                                status.status, seconds))
    return rows


def pick_jobs(jobs: Sequence[SelfTestJob], names: Sequence[str] | None) -> list[SelfTestJob]:
    """The jobs named (all when None), in the project's order."""
    if not names:
        return list(jobs)
    known = [j.name for j in jobs]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise AcceleratorUnavailable(f"unknown self-test job {unknown[0]!r}; jobs: "
                                     f"{', '.join(known)}")
    return [j for j in jobs if j.name in set(names)]


def describe_target(target: Any) -> str:
    """Where the self-test runs, in words ('PYNQ board', 'rtl simulation (icarus)', ...)."""
    if target.name == "rtl":
        return f"rtl simulation ({getattr(target, 'sim', '?')})"
    return {"pynq": "PYNQ board", "emulator": "emulator"}.get(target.name, target.name)


def open_deployment(project: Any, backend: str = "auto", *, timeout_cycles: int | None = None,
                    **options: Any) -> tuple[Accelerator, list[str]]:
    """Choose and open the backend for ``project``; also the lines saying which one and why.

    On a board the overlay is checked against the manifest and loaded (``PynqTarget``);
    elsewhere the first line says that there is no board, why, and where the self-test runs.

    Raises:
        AcceleratorUnavailable: an unknown or unavailable backend (the probe's reason).
        OverlayNotFound, BitstreamMismatch: the board's overlay files do not fit the manifest.
    """
    from .pynq import probe as probe_board
    from .registry import choose_target, target_class

    if backend not in BACKEND_CHOICES:
        raise AcceleratorUnavailable(f"unknown backend {backend!r}; choose one of "
                                     f"{', '.join(BACKEND_CHOICES)}")
    board = probe_board()
    name, reason = choose_target(backend, project)
    if name != "rtl":
        options = {k: v for k, v in options.items() if k not in ("sim", "pause")}
    target = target_class(name).create(project, **options)
    where = describe_target(target)
    if name == "pynq":
        lines = [f"PYNQ board: {board.reason}; {project.root}/overlay matches the manifest "
                 f"(config {project.manifest.get('config_hash', '?')}); overlay loaded"]
    else:
        lines = [f"no PYNQ board: {board.reason}; running the self-test on the {where}"]
    if backend == "auto":
        lines.append(f"backend auto: {reason}")
    return Accelerator(target, project.cfg, timeout_cycles=timeout_cycles, reason=reason), lines


def summary_line(acc: Accelerator, rows: Sequence[SelfTestRow],
                 jobs: Sequence[SelfTestJob]) -> str:
    """'the <backend> equals the model on P of N jobs (pairs, early-stop descriptors)'."""
    cfg = acc.cfg
    pairs = {(d.a_bits, d.b_bits) for j in jobs for d in j.descriptors
             if d.a_bits in cfg.bits and d.b_bits in cfg.bits}
    passed = sum(r.passed for r in rows)
    return (f"the {describe_target(acc.target)} equals the model on {passed} of {len(rows)} "
            f"jobs ({len(pairs)} of {len(cfg.pairs())} width pairs, "
            f"{sum(j.early_stop for j in jobs)} early-stop descriptors)")
