"""``fracfpga deploy`` end to end: without a board, on a (fake) board, and its one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from codegen.render import render_project
from fpga_model import ArrayConfig
from host.accel.overlay import part_key

HERE = Path(__file__).resolve().parent
FAKE = HERE / "fake_pynq"
sys.path.insert(0, str(HERE))
from fake_pynq.board_files import bit_bytes, write_overlay


def fracfpga(*args: str, board: bool = False) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if board:  # the fake pynq on the path: a "board" whose kernel is the emulator
        env["PYTHONPATH"] = os.pathsep.join([str(FAKE), env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-m", "host.cli", *args], capture_output=True,
                          text=True, check=False, env=env)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    cfg = ArrayConfig(bits=(3, 4, 8), tiles=(2, 2), max_k=64)
    proj = render_project(cfg, tmp_path_factory.mktemp("deploy") / "zc706")
    write_overlay(proj.root, part_key(proj.manifest["board"]["part"]))
    return proj


def _rows(stdout: str) -> dict[str, str]:
    return {line.split()[1]: line for line in stdout.splitlines()
            if line.startswith("│ ") and line.split()[1] in ("all-pairs", "early-stop", "edges",
                                                            "refused", "relative-tau")}


def test_deploy_on_the_emulator(project):
    r = fracfpga("deploy", str(project.root), "--backend", "emulator")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == ("no PYNQ board: pynq is not installed; running the self-test on the "
                        "emulator")
    rows = _rows(r.stdout)
    assert set(rows) == {"all-pairs", "early-stop", "edges", "refused", "relative-tau"}
    assert all("PASS" in row for row in rows.values())
    assert "PASS (refused #1, as the" in rows["refused"]  # "model" wraps to the next line
    assert lines[-1] == ("the emulator equals the model on 5 of 5 jobs (9 of 9 width pairs, "
                         "13 early-stop descriptors)")


def test_deploy_on_a_board(project):
    r = fracfpga("deploy", str(project.root), board=True)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == (f"PYNQ board: PYNQ device fake-zynq; {project.root}/overlay matches the "
                        f"manifest (config {project.manifest['config_hash']}); overlay loaded")
    assert lines[1] == "backend auto: chose pynq: PYNQ device fake-zynq"
    assert all("PASS" in row for row in _rows(r.stdout).values())
    assert lines[-1].startswith("the PYNQ board equals the model on 5 of 5 jobs")


@pytest.mark.parametrize("args, board, message", [
    (["--backend", "pynq"], False,
     "error: backend 'pynq' is not available: pynq is not installed"),
    (["--backend", "fpga"], False,
     "error: unknown backend 'fpga'; backends: emulator, rtl, pynq, auto"),
    (["--backend", "emulator", "--job", "nope"], False,
     "error: unknown self-test job 'nope'; jobs: all-pairs, early-stop, edges, refused, relative-tau"),
    (["--backend", "emulator", "--timeout-cycles", "10"], False,
     "error: the kernel on emulator did not raise ap_done within 10 cycles (running 9 "
     "descriptors) and was reset; raise timeout_cycles or check the descriptors"),
])
def test_deploy_errors(project, args, board, message):
    r = fracfpga("deploy", str(project.root), *args, board=board)
    assert r.returncode == 2
    assert r.stderr == message + "\n" and "Traceback" not in r.stderr + r.stdout


def test_deploy_refuses_a_foreign_or_missing_overlay(project, tmp_path):
    r = fracfpga("deploy", str(tmp_path / "nothing"), board=True)
    assert r.returncode == 2
    assert r.stderr == (f"error: {tmp_path / 'nothing'} is not a generated project (no "
                        f"manifest.json); run 'fracfpga generate --out {tmp_path / 'nothing'}' "
                        f"first\n")
    bit = project.root / "overlay" / "frac_array.bit"
    good = bit.read_bytes()
    try:
        bit.write_bytes(bit_bytes("7z020clg400"))
        r = fracfpga("deploy", str(project.root), board=True)
        assert r.returncode == 2 and r.stderr.count("\n") == 1
        assert r.stderr == (f"error: {bit} was built for part 7z020clg400, the manifest's board "
                            f"needs xc7z045ffg900-2; rebuild the bitstream for "
                            f"{project.manifest['name']}\n")
        bit.unlink()
        r = fracfpga("deploy", str(project.root), "--backend", "pynq", board=True)
        assert r.returncode == 2
        assert r.stderr == (f"error: {bit} is missing; build the bitstream with 'vivado -mode "
                            f"batch -source bd/build_bd.tcl' in {project.root} (or copy overlay/ "
                            f"from the build machine)\n")
    finally:
        bit.write_bytes(good)


@pytest.mark.sim
def test_deploy_auto_without_a_board_simulates_the_rtl(project):
    from codegen.rtlsim import simulator_available

    reason = simulator_available("icarus")
    if reason:
        pytest.skip(reason)
    r = fracfpga("deploy", str(project.root), "--job", "early-stop", "--job", "refused")
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == ("no PYNQ board: pynq is not installed; running the self-test on the rtl "
                        "simulation (icarus)")
    names = ["cocotb"] + [s for s in ("icarus", "verilator") if not simulator_available(s)]
    have = ", ".join(names[:-1]) + " and " + names[-1]
    assert lines[1] == (f"backend auto: no pynq: pynq is not installed; chose rtl: {have} are "
                        f"installed and {project.root} has rtl/")
    rows = _rows(r.stdout)
    assert set(rows) == {"early-stop", "refused"} and all("PASS" in v for v in rows.values())
