"""C-simulation of a generated HLS project without Vitis: g++ and the ap_types from hls4ml.

``build_csim`` compiles the kernel (``hls/frac_array_top.cpp`` and its headers) with the
testbench into one program, against the Xilinx ap_types headers that ship inside the hls4ml
package (found with importlib, never copied). ``run_csim`` runs that program on the project's
vectors: for each job it loads the DDR image, runs the kernel, and compares the whole image and
the STATUS/ERROR/CYCLES/DIGIT_PRODUCTS registers with what the model produced, byte for byte.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
from pathlib import Path
from typing import Sequence

from fpga_model import KERNEL_NAME

from ._tools import Tool, tool
from .errors import ProjectError, ToolNotFound
from .render import Project
from .vectors import JobOutcome, read_jobs

__all__ = ["build_csim", "run_csim", "ap_types_dir", "csim_command", "CXXFLAGS", "TIER"]

TIER = "csim"
# The project's own code compiles warning-free with these (the ap_types come in via -isystem);
# g++ does not know HLS pragmas, hence -Wno-unknown-pragmas.
CXXFLAGS = ("-std=c++14", "-O2", "-Wall", "-Wextra", "-Wno-unknown-pragmas")
SOURCES = (f"hls/{KERNEL_NAME}.cpp", f"hls/{KERNEL_NAME}_tb.cpp")
BUILD_DIR = "csim"
BINARY = f"{KERNEL_NAME}_csim"
_STAMP = "build.sha256"
_LINE = re.compile(r"^(PASS|FAIL) (\S+) cycles=(\d+) macs=(\d+) seconds=([0-9.eE+-]+)(?: (.*))?$")


def ap_types_dir() -> Path:
    """The ``ap_types`` folder inside the installed hls4ml package.

    Raises:
        ToolNotFound: hls4ml is not installed, or ships no ap_types headers.
    """
    spec = importlib.util.find_spec("hls4ml")
    if spec is None or not spec.submodule_search_locations:
        raise ToolNotFound("could not find the Xilinx ap_types headers: hls4ml is not installed; "
                           "install it with 'pip install hls4ml==1.3.0'")
    root = Path(next(iter(spec.submodule_search_locations)))
    path = root / "templates" / "vivado" / "ap_types"
    if not (path / "ap_int.h").is_file():
        raise ToolNotFound(f"hls4ml at {root} ships no ap_types/ap_int.h; install it with "
                           f"'pip install hls4ml==1.3.0'")
    return path


def csim_command(project: Project, output: Path) -> list[str]:
    """g++ arguments (without the compiler) that build the C-simulation program of a project."""
    return [*CXXFLAGS, "-isystem", str(ap_types_dir()),
            *(str((project.root / s).resolve()) for s in SOURCES), "-o", str(output)]


def _sources(project: Project) -> list[Path]:
    hls = project.hls
    missing = [s for s in SOURCES if not (project.root / s).is_file()]
    if missing:
        raise ProjectError(f"{project.root} has no {missing[0]}; regenerate it with "
                           f"'fracfpga generate --out {project.root}'")
    return sorted(p for p in hls.rglob("*") if p.is_file() and p.suffix in (".h", ".cpp"))


def _build_key(project: Project, compiler: str) -> str:
    """Hash of what the program depends on: sources, flags, ap_types place, compiler.

    Paths inside the project enter relative, so a copied project keeps its build.
    """
    h = hashlib.sha256()
    h.update(json.dumps([compiler, tool("g++").version(), *CXXFLAGS, str(ap_types_dir()),
                         *SOURCES]).encode())
    for src in _sources(project):
        h.update(src.relative_to(project.root).as_posix().encode() + b"\0")
        h.update(src.read_bytes() + b"\0")
    return h.hexdigest()


def build_csim(project: Project) -> Path:
    """Compile the kernel and testbench of ``project``; return the program's path.

    Rebuilds only when a source, the flags or the compiler changed (content hash, not mtime).
    The g++ output goes to ``<project>/logs/csim_build.log``.

    Raises:
        ToolNotFound: g++ or hls4ml is missing.
        ToolFailed: g++ failed; the message carries the log's last lines.
    """
    gxx = tool("g++")
    compiler = gxx.require()
    out_dir = project.root.resolve() / BUILD_DIR
    binary = out_dir / BINARY
    stamp = out_dir / _STAMP
    key = _build_key(project, compiler)
    if binary.is_file() and stamp.is_file() and stamp.read_text().strip() == key:
        return binary
    out_dir.mkdir(parents=True, exist_ok=True)
    partial = out_dir / f".{BINARY}.{os.getpid()}"
    try:
        gxx.run(csim_command(project, partial), cwd=project.root,
                log_path=project.logs / "csim_build.log")
        partial.replace(binary)
    finally:
        partial.unlink(missing_ok=True)
    stamp.write_text(key + "\n")
    return binary


def _job_names(project: Project, jobs: Sequence[str] | None) -> list[str]:
    if not (project.vectors / "jobs.json").is_file():
        raise ProjectError(f"{project.vectors} holds no jobs.json; regenerate the project with "
                           f"'fracfpga generate --out {project.root}'")
    known = [j.name for j in read_jobs(project.vectors)]
    if jobs is None:
        return known
    for name in jobs:
        if name not in known:
            raise ProjectError(f"no job {name!r} in {project.vectors}; jobs: {', '.join(known)}")
    return list(jobs)


def parse_output(text: str) -> dict[str, JobOutcome]:
    """The testbench's PASS/FAIL lines, by job name."""
    out = {}
    for line in text.splitlines():
        m = _LINE.match(line.strip())
        if m:
            verdict, name, cycles, macs, seconds, detail = m.groups()
            out[name] = JobOutcome(TIER, name, verdict == "PASS", detail or "", float(seconds),
                                   int(cycles), int(macs))
    return out


def run_csim(project: Project, jobs: list[str] | None = None) -> list[JobOutcome]:
    """Build (if needed) and run the C-simulation on the project's vectors.

    Args:
        project: a generated project (``codegen.render.load_project``).
        jobs: names of the jobs to run (default: every job in ``vectors/jobs.json``).

    Returns:
        One outcome per job, in order; ``passed`` when the kernel left exactly the model's DDR
        image and registers. A job the program never reported (it crashed) counts as failed.

    Raises:
        ProjectError: the project has no vectors, or a job name is unknown.
        ToolNotFound, ToolFailed: as ``build_csim``.
    """
    names = _job_names(project, jobs)
    binary = build_csim(project)
    log_path = project.logs / "csim_run.log"
    program = Tool(str(binary), "FRACFPGA_CSIM_PROGRAM",
                   f"rebuild it with 'fracfpga csim {project.root}'")
    run = program.run([str(project.vectors.resolve()), *names], cwd=project.root, log_path=log_path,
                      check=False)
    found = parse_output(run.output)
    missing = (f"no result: the testbench exited with status {run.returncode}; "
               f"see {log_path}")
    return [found.get(n, JobOutcome(TIER, n, False, missing, 0.0, 0, 0)) for n in names]
