"""The deployment self-test: the project's vector jobs through the ``Accelerator``, against the model.

The jobs are the ones every tier runs (``codegen.vectors``): ``all-pairs`` (every width pair,
precision changing per descriptor), ``early-stop`` (every pair with a stop ring and threshold),
``edges`` and ``refused``. They come from the project's ``vectors/`` folder when it has one (so
the board runs the very bytes the C-simulation and the RTL ran), else they are generated from
the config. A job passes when the DDR window after the run equals the model's byte for byte
and STATUS, ERROR, CYCLES and DIGIT_PRODUCTS equal the model's registers.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codegen.vectors import VectorJob, read_jobs
from fpga_model import ArrayConfig
from fpga_model.compare import first_difference

from .accelerator import Accelerator
from .errors import AcceleratorUnavailable

__all__ = ["SelfTestRow", "selftest_jobs", "run_selftest", "pick_jobs", "open_deployment",
           "describe_target", "summary_line"]


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


def selftest_jobs(project: Any, seed: int = 0) -> list[VectorJob]:
    """The jobs of ``project`` (its ``vectors/``), or of a bare ``ArrayConfig`` (generated)."""
    root = getattr(project, "root", None)
    if root is not None and (Path(root) / "vectors" / "jobs.json").is_file():
        return read_jobs(Path(root) / "vectors")
    from codegen.vectors import standard_jobs

    cfg: ArrayConfig = getattr(project, "cfg", project)
    return standard_jobs(cfg, seed)


def run_selftest(acc: Accelerator, jobs: Sequence[VectorJob]) -> list[SelfTestRow]:
    """Run each job on ``acc`` and compare it with the model."""
    rows = []
    for job in jobs:
        acc.write(job.memory, job.descriptors, desc_addr=job.desc_addr)
        t0 = time.perf_counter()
        status = acc.run()
        seconds = time.perf_counter() - t0
        detail = first_difference(job.expected, acc.memory(), job.descriptors,
                                  (job.status.registers, status.registers))
        rows.append(SelfTestRow(job.name, len(job.descriptors), len(job.pairs), job.early_stop,
                                not detail, detail, status.cycles, job.status.cycles,
                                status.status, seconds))
    return rows


def pick_jobs(jobs: Sequence[VectorJob], names: Sequence[str] | None) -> list[VectorJob]:
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

    name, reason = choose_target(backend, project, "deploy")
    board = probe_board()
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
                 jobs: Sequence[VectorJob]) -> str:
    """'the <backend> equals the model on P of N jobs (pairs, early-stop descriptors)'."""
    cfg = acc.cfg
    pairs = {(d.a_bits, d.b_bits) for j in jobs for d in j.descriptors
             if d.a_bits in cfg.bits and d.b_bits in cfg.bits}
    passed = sum(r.passed for r in rows)
    return (f"the {describe_target(acc.target)} equals the model on {passed} of {len(rows)} "
            f"jobs ({len(pairs)} of {len(cfg.pairs())} width pairs, "
            f"{sum(j.early_stop for j in jobs)} early-stop descriptors)")
