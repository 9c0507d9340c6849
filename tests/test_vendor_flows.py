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


@pytest.mark.board
def test_deploy_self_test_on_the_board():
    project = os.environ.get("FRACFPGA_PYNQ_PROJECT")
    if not project:
        pytest.fail("set FRACFPGA_PYNQ_PROJECT to a project folder with a built overlay/")
    r = subprocess.run([sys.executable, "-m", "host.cli", "deploy", project, "--backend", "pynq"],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "FAIL" not in r.stdout and "PYNQ board:" in r.stdout
