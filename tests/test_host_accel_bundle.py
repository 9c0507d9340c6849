"""``fracfpga package``: folder, tarball and a runtime wheel that installs offline and runs.

The wheel is installed into a fresh virtual environment with ``--no-deps --no-index``; numpy
and jinja2 (what a PYNQ image already has) come from a folder holding only those packages, so
every fracfpga module must come from the wheel. Then the board entry point runs the self-test
from the package folder on the emulator.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import venv
from pathlib import Path

import pytest

from codegen.render import render_project
from fpga_model import ArrayConfig
from host.accel.overlay import file_sha256, part_key

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from fake_pynq.board_files import bit_bytes, write_overlay


def fracfpga(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "host.cli", *args], capture_output=True,
                          text=True, check=False)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    cfg = ArrayConfig(bits=(3, 4, 8), tiles=(2, 2), max_k=64)
    return render_project(cfg, tmp_path_factory.mktemp("pkg") / "zc706")


@pytest.fixture(scope="module")
def packaged(project, tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    r = fracfpga("package", str(project.root), "--out", str(out))
    assert r.returncode == 0, r.stderr
    return out / f"{project.manifest['name']}-pynq", r.stdout


def test_package_without_overlay(project, packaged):
    folder, stdout = packaged
    name = folder.name
    assert stdout.splitlines()[0].startswith(f"wrote {folder} (")
    assert (f"overlay: not included ({project.root}/overlay/frac_array.bit is missing); build it "
            f"with 'vivado -mode batch -source bd/build_bd.tcl' and package again") in stdout
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["config_hash"] == project.manifest["config_hash"]
    assert "overlay" not in manifest
    wheel = folder / manifest["package"]["runtime_wheel"]
    assert wheel.is_file() and wheel.name.startswith("fracfpga_runtime-")
    assert sorted(p.name for p in (folder / "vectors").iterdir()) == sorted(
        p.name for p in project.vectors.iterdir())
    readme = (folder / "README.md").read_text()
    assert f"pip install --no-deps --no-index wheels/{wheel.name}" in readme
    assert "fracfpga-board ." in readme and "**not included yet**" in readme
    with tarfile.open(folder.parent / f"{name}.tar.gz") as tar:
        names = tar.getnames()
        # reproducible: 1980-01-01 (no SOURCE_DATE_EPOCH set), root-owned, fixed modes
        assert all(m.mtime == 315532800 and m.uid == 0 for m in tar.getmembers())
    assert f"{name}/manifest.json" in names and f"{name}/wheels/{wheel.name}" in names


def test_package_with_overlay_records_its_hashes(project, tmp_path):
    bit, hwh = write_overlay(project.root, part_key(project.manifest["board"]["part"]))
    try:
        r = fracfpga("package", str(project.root), "--out", str(tmp_path))
        assert r.returncode == 0, r.stderr
        folder = tmp_path / f"{project.manifest['name']}-pynq"
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["overlay"]["bit_sha256"] == file_sha256(bit)
        assert manifest["overlay"]["hwh_sha256"] == file_sha256(hwh)
        assert (folder / "overlay" / "frac_array.bit").read_bytes() == bit.read_bytes()
        assert "overlay: overlay/frac_array.bit and .hwh, SHA-256 recorded" in r.stdout
        # a bitstream for another part is refused before anything is written
        bit.write_bytes(bit_bytes("7z020clg400"))
        r = fracfpga("package", str(project.root), "--out", str(tmp_path / "bad"))
        assert r.returncode == 2 and r.stderr.count("\n") == 1
        assert r.stderr.startswith(f"error: {bit} was built for part 7z020clg400")
        assert not any((tmp_path / "bad").glob("*-pynq"))
    finally:
        bit.unlink()
        hwh.unlink()


def _deps_only(tmp: Path) -> Path:
    """A folder with only numpy and jinja2 (+ markupsafe): what a PYNQ image provides."""
    import jinja2
    import markupsafe
    import numpy

    deps = tmp / "deps"
    deps.mkdir()
    for mod in (numpy, jinja2, markupsafe):
        src = Path(mod.__file__).parent
        (deps / src.name).symlink_to(src)
        libs = src.parent / f"{src.name}.libs"
        if libs.is_dir():
            (deps / libs.name).symlink_to(libs)
    return deps


def test_runtime_wheel_installs_offline_and_runs(packaged, tmp_path):
    folder, _ = packaged
    manifest = json.loads((folder / "manifest.json").read_text())
    wheel = folder / manifest["package"]["runtime_wheel"]
    env_dir = tmp_path / "board-venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    r = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps",
                        "--no-index", str(wheel)], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    site = next((env_dir / "lib").glob("python3*/site-packages"))
    (site / "board-deps.pth").write_text(str(_deps_only(tmp_path)) + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    r = subprocess.run([str(py), "-c", "import host.accel, host.accel.pynq, fpga_model, "
                        "codegen.render as r; print(host.accel.__file__); print(r.__file__)"],
                       capture_output=True, text=True, check=False, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert all(line.startswith(str(env_dir)) for line in r.stdout.split())
    r = subprocess.run([str(env_dir / "bin" / "fracfpga-board"), str(folder)], capture_output=True,
                       text=True, check=False, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == ("no PYNQ board: pynq is not installed; running the self-test on the "
                        "emulator")
    assert lines[1] == ("backend auto: no pynq: pynq is not installed; no rtl: the rtl backend "
                        "is not part of this installation; chose emulator: the bit-accurate "
                        "Python model is always available")
    assert lines[-1] == ("the emulator equals the model on 5 of 5 jobs (9 of 9 width pairs, "
                         "13 early-stop descriptors)")
    r = subprocess.run([str(env_dir / "bin" / "fracfpga-board"), str(folder), "--backend", "rtl"],
                       capture_output=True, text=True, check=False, env=env, cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr == ("error: backend 'rtl' is not part of this installation; install the full "
                        "fracfpga package\n")
