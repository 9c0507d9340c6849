"""The vendor flows that cannot run here: Vitis HLS on the generated project, a real PYNQ board.

Opt in with ``--run-vitis`` (Vitis HLS settings sourced) or ``--run-board`` (on a PYNQ board
with pynq installed and a built overlay); everything around them is tested without them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from codegen.render import render_project
from fpga_model import ArrayConfig


@pytest.mark.vitis
def test_vitis_csim_and_csynth_pass_on_the_shared_vectors(tmp_path: Path):
    if not any(shutil.which(t) for t in ("vitis-run", "vitis_hls", "vivado_hls")):
        pytest.fail("no Vitis HLS in PATH; source <Vitis>/settings64.sh before --run-vitis")
    proj = render_project(ArrayConfig(bits=(4, 8), tiles=(2, 2), max_k=64), tmp_path / "p")
    r = subprocess.run(["sh", str(proj.root / "tcl" / "build_hls.sh"), "reset=1", "csim=1",
                        "synth=1"], cwd=proj.root, capture_output=True, text=True, check=False)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-4000:]
    assert "FAIL " not in out and out.count("PASS ") >= len(list(proj.vectors.glob("*.json"))) - 1
    assert list((proj.root / "hls_prj").rglob("*_csynth.rpt")), "no synthesis report"


@pytest.mark.vitis
def test_hls_cycle_model_against_csynth_and_cosim(tmp_path: Path):
    """The HLS cycle model's assumptions against what Vitis builds: every pipelined loop of the
    kernel reaches II=1 within the model's pipeline depths, and C/RTL co-simulation of the
    shared vectors takes the estimated cycles per job within a factor of two (an estimate)."""
    from codegen.hls_report import read_cosim, read_csynth, solution_dir
    from codegen.vectors import read_jobs
    from fpga_model import Descriptor
    from fpga_model.descriptor import DESC_BYTES
    from fpga_model.hls_cycles import HLS_TIMING, hls_job_cycles

    if not any(shutil.which(t) for t in ("vitis-run", "vitis_hls", "vivado_hls")):
        pytest.fail("no Vitis HLS in PATH; source <Vitis>/settings64.sh before --run-vitis")
    cfg = ArrayConfig(bits=(4, 8), tiles=(2, 2), max_k=64)
    proj = render_project(cfg, tmp_path / "p")
    r = subprocess.run(["sh", str(proj.root / "tcl" / "build_hls.sh"), "reset=1", "csim=0",
                        "synth=1", "cosim=1"], cwd=proj.root, capture_output=True, text=True,
                       check=False)
    assert r.returncode == 0, (r.stdout + r.stderr)[-4000:]
    kernel = proj.manifest["kernel"]
    syn = read_csynth(solution_dir(proj.root) / "syn" / "report", kernel)
    pipelined = syn.pipelined()
    assert pipelined, "csynth reports no pipelined loop"
    deepest = max(HLS_TIMING.burst_depth, HLS_TIMING.unpack_depth, HLS_TIMING.issue_depth,
                  HLS_TIMING.result_depth)
    for loop in pipelined:
        assert loop.ii == 1, f"{loop.function}/{loop.name} reached II={loop.ii}, the model says 1"
        assert loop.depth is not None and loop.depth <= 2 * deepest, \
            f"{loop.function}/{loop.name} is {loop.depth} deep, the model assumes <= {deepest}"
    cosim = read_cosim(solution_dir(proj.root) / "sim" / "report" / f"{kernel}_cosim.rpt")
    assert cosim.status == "Pass"
    estimates = []
    for job in read_jobs(proj.vectors):
        if job["status"] != 0:
            continue  # refused lists stop early; the model estimates completed passes
        mem = job["mem"].read_bytes()
        descs = [Descriptor.unpack(mem[job["desc_addr"] + i * DESC_BYTES:][:DESC_BYTES])
                 for i in range(job["desc_count"])]
        estimates.append(hls_job_cycles(cfg, descs))
    # the longest call is a completed job (a refused list stops at its first descriptors)
    assert 0.5 <= cosim.latency_max / max(estimates) <= 2.0, (cosim, estimates)


@pytest.mark.board
def test_deploy_self_test_on_the_board():
    project = os.environ.get("FRACFPGA_PYNQ_PROJECT")
    if not project:
        pytest.fail("set FRACFPGA_PYNQ_PROJECT to a project folder with a built overlay/")
    r = subprocess.run([sys.executable, "-m", "host.cli", "deploy", project, "--backend", "pynq"],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "FAIL" not in r.stdout and "PYNQ board:" in r.stdout
