"""The deployment package: what a PYNQ board needs, in one folder and one tarball.

``make_package`` writes ``<out>/<name>-pynq/`` and ``<out>/<name>-pynq.tar.gz`` with

- ``overlay/frac_array.bit`` and ``.hwh`` when the project has them (checked first);
- ``manifest.json``: the project's manifest plus the SHA-256 of the overlay files, which the
  driver checks on the board before it loads anything;
- ``vectors/``: the self-test jobs (the same bytes the C-simulation and the RTL ran);
- ``wheels/fracfpga_runtime-<version>-py3-none-any.whl``: the runtime part of fracfpga (the
  driver ``host.accel`` with the PYNQ driver class, the model ``fpga_model``, ``boards``, and
  the project loader and vectors of ``codegen``), built offline with ``pip wheel`` from a
  generated minimal ``pyproject.toml``; it installs with ``pip install --no-deps --no-index``;
- ``README.md``: the steps on the board.

The package is written to a temporary folder and renamed into place, like a generated project,
and is reproducible: the same project gives byte-identical wheel and tarball.
"""

from __future__ import annotations

import gzip
import json
import os
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from codegen.errors import ToolFailed
from codegen.project import check_overlay_record, staged_folder

from .errors import AcceleratorError, OverlayNotFound
from .overlay import BITFILE, HWHFILE, OVERLAY_DIR, check_overlay, file_sha256, find_overlay

__all__ = ["Package", "make_package", "build_runtime_wheel", "RUNTIME_MODULES", "RUNTIME_NAME",
           "REQUIRES_PYTHON", "source_date_epoch", "write_tarball"]

RUNTIME_NAME = "fracfpga-runtime"
REPO = Path(__file__).resolve().parents[2]
# (package folder, files): the modules a board needs; no code generators, simulators, training
RUNTIME_MODULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("boards", ("*.py", "*.toml")),
    ("fpga_model", ("*.py",)),
    ("codegen", ("__init__.py", "errors.py", "project.py", "render.py", "vectors.py")),
    ("host", ("__init__.py",)),
    ("host/accel", ("__init__.py", "accelerator.py", "board.py", "buffers.py", "emulator.py",
                    "errors.py", "overlay.py", "program.py", "pynq.py", "regfile.py",
                    "registry.py", "replay.py", "selftest.py", "target.py")),
)
# boards/loader.py reads its data with tomllib (Python 3.11+)
REQUIRES_PYTHON = ">=3.10"
RUNTIME_DEPENDENCIES = ("numpy", "jinja2", "tomli")  # jinja2: render.py; tomli: boards on 3.10


@dataclass(frozen=True)
class Package:
    """A written package: its folder, tarball, runtime wheel and what it lacks."""

    folder: Path
    tarball: Path
    wheel: Path
    overlay: bool
    notes: tuple[str, ...] = field(default_factory=tuple)


def _version() -> str:
    try:
        return metadata.version("fracfpga")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def _dependencies() -> list[str]:
    try:
        reqs = metadata.requires("fracfpga") or []
    except metadata.PackageNotFoundError:
        reqs = []
    out = [r for r in reqs if "extra ==" not in r
           and r.split(">")[0].split("=")[0].split("<")[0].strip().lower() in RUNTIME_DEPENDENCIES]
    named = {r.split(">")[0].split("=")[0].split("<")[0].strip().lower() for r in out}
    return out + [d for d in RUNTIME_DEPENDENCIES if d not in named]


def _pyproject(version: str) -> str:
    packages = [m.replace("/", ".") for m, _ in RUNTIME_MODULES]
    q = json.dumps
    return "\n".join([
        "[build-system]",
        'requires = ["setuptools>=61"]',
        'build-backend = "setuptools.build_meta"',
        "",
        "[project]",
        f"name = {q(RUNTIME_NAME)}",
        f"version = {q(version)}",
        'description = "fracfpga runtime: the accelerator driver, its PYNQ driver class and the '
        'bit-accurate model, for a PYNQ board"',
        f"requires-python = {q(REQUIRES_PYTHON)}",
        'license = "Apache-2.0"',
        f"dependencies = [{', '.join(q(d) for d in _dependencies())}]",
        "",
        "[project.optional-dependencies]",
        'pynq = ["pynq"]',
        "",
        "[project.scripts]",
        'fracfpga-board = "host.accel.board:main"',
        "",
        "[tool.setuptools]",
        f"packages = [{', '.join(q(p) for p in packages)}]",
        "",
        "[tool.setuptools.package-data]",
        'boards = ["*.toml"]',
        "",
    ])


def build_runtime_wheel(dest: Path, *, log_path: Path | None = None,
                        epoch: int | None = None) -> Path:
    """Build the runtime wheel into ``dest`` offline (``pip wheel --no-index``); return its path.

    The wheel's entries carry ``epoch`` (default ``source_date_epoch()``) as their time stamp,
    so the same sources give a byte-identical wheel.

    Raises:
        ToolFailed: pip could not build it (the message carries the log's last lines).
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    version = _version()
    with tempfile.TemporaryDirectory(prefix="fracfpga-runtime-") as tmp:
        staging = Path(tmp) / "src"
        for folder, patterns in RUNTIME_MODULES:
            (staging / folder).mkdir(parents=True, exist_ok=True)
            for pattern in patterns:
                for src in sorted((REPO / folder).glob(pattern)):
                    shutil.copyfile(src, staging / folder / src.name)
        (staging / "pyproject.toml").write_text(_pyproject(version))
        cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-index",
               "--no-build-isolation", "--wheel-dir", str(dest.resolve()), str(staging)]
        env = {**os.environ, "SOURCE_DATE_EPOCH": str(source_date_epoch() if epoch is None
                                                      else epoch)}
        r = subprocess.run(cmd, cwd=staging, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, check=False, env=env)
        if log_path is not None:
            log_path.parent.mkdir(parents=True, exist_ok=True)
            log_path.write_text(f"$ {shlex.join(cmd)}\n{r.stdout}")
        if r.returncode != 0:
            raise ToolFailed("pip wheel", r.returncode, log_path or Path("-"),
                             "\n".join(r.stdout.splitlines()[-20:]))
    wheels = sorted(dest.glob(f"{RUNTIME_NAME.replace('-', '_')}-{version}-*.whl"))
    if not wheels:
        raise ToolFailed("pip wheel", 0, log_path or Path("-"), "no wheel was written")
    return wheels[-1]


def _readme(project: Any, name: str, wheel: str, has_overlay: bool) -> str:
    m = project.manifest
    board = m.get("board", {})
    cfg = project.cfg
    overlay = ("`overlay/frac_array.bit`, `overlay/frac_array.hwh`: the bitstream and hardware "
               "handoff (their SHA-256 are in `manifest.json`)" if has_overlay else
               "`overlay/`: **not included yet**: build the bitstream on a machine with Vivado "
               "(`vivado -mode batch -source bd/build_bd.tcl` in the project), then run "
               "`fracfpga package` again so that the manifest records the files")
    return f"""# {name}: the fracfpga array on {board.get('name', cfg.board)} with PYNQ

The recursive digit array for the bit-widths **{cfg.bits_text}** ({cfg.tm}x{cfg.tn} tiles,
config `{m.get('config_hash', '?')}`, IP `{m.get('vlnv', '?')}`), packaged for a PYNQ board.
PYNQ image: {board.get('pynq_image', 'see the PYNQ documentation for your board')}.

| file | what |
|---|---|
| {overlay} | |
| `manifest.json` | the array's configuration, register map, descriptor layout, file hashes |
| `vectors/` | the self-test jobs: DDR images and the model's results |
| `wheels/{wheel}` | the runtime: driver (`host.accel`), PYNQ driver class `FracArray`, model |

## On the board

1. Copy the tarball to the board and unpack it:

   ```sh
   scp {name}.tar.gz xilinx@<board>:~ && ssh xilinx@<board>
   tar xzf {name}.tar.gz && cd {name}
   ```

2. Install the runtime into PYNQ's Python environment, offline (PYNQ images already hold numpy
   and jinja2; on Python 3.10 it also needs tomli; it needs Python {REQUIRES_PYTHON}):

   ```sh
   sudo -H /usr/local/share/pynq-venv/bin/pip install --no-deps --no-index wheels/{wheel}
   ```

   (PYNQ v3 images keep pynq in `/usr/local/share/pynq-venv`; elsewhere use the `pip` of the
   Python that imports pynq.)

3. Check and load the overlay and run the self-test (as root, like every PYNQ program):

   ```sh
   sudo -E /usr/local/share/pynq-venv/bin/fracfpga-board .
   ```

   It checks `overlay/` against `manifest.json` (hashes, FPGA part, the IP's type, parameters
   and register offsets), loads it, runs every job of `vectors/` and compares the DDR image and
   the STATUS, ERROR, CYCLES and DIGIT_PRODUCTS registers with the model, one row per job.
   Exit status 0 when all are equal. Without a board it runs on the emulator and says so.

4. Use the kernel from Python or a notebook:

   ```python
   from codegen.render import load_project
   from fpga_model.memory import MemoryImage
   from host.accel import Accelerator

   project = load_project("{name}")
   image = MemoryImage()
   image.add_pass(a_codes, b_codes, a_bits=4, b_bits=8)   # one descriptor per GEMM pass
   with Accelerator.open(project, "pynq") as acc:
       acc.write(image)            # descriptors and buffers into one pynq.allocate buffer
       status = acc.run()          # MEM, DESC_ADDR, DESC_COUNT, AP_START, poll AP_DONE
       outputs = acc.read_results()  # values, early-stop masks and STAT records
   ```

   `import host.accel.pynq` and `register_driver()` bind `FracArray` to `{m.get('vlnv', '?')}`
   for plain `pynq.Overlay` use; it refuses an IP built for another configuration.
"""


DEFAULT_EPOCH = 315532800  # 1980-01-01: the earliest time a zip entry can hold


def source_date_epoch() -> int:
    """``SOURCE_DATE_EPOCH`` when set (reproducible-builds.org), else 1980-01-01."""
    text = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not text:
        return DEFAULT_EPOCH
    try:
        value = int(text)
    except ValueError:
        raise AcceleratorError(f"SOURCE_DATE_EPOCH={text!r} is not an integer number of "
                               f"seconds; unset it or set e.g. SOURCE_DATE_EPOCH=315532800"
                               ) from None
    return max(value, DEFAULT_EPOCH)


def _tar_filter(epoch: int):
    def fix(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mtime = epoch
        info.mode = 0o755 if info.isdir() else 0o644
        return info
    return fix


def write_tarball(folder: Path, arcroot: str, dest: Path, epoch: int) -> None:
    """A gzip'd tar of ``folder`` that depends on the file contents only.

    Entries are sorted, owned by root, with fixed modes and ``epoch`` as their mtime; the gzip
    header holds ``epoch`` and no file name. Equal inputs give byte-identical tarballs.
    """
    fix = _tar_filter(epoch)
    with open(dest, "wb") as raw, \
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9,
                          mtime=epoch) as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.add(folder, arcname=arcroot, recursive=False, filter=fix)
        for path in sorted(folder.rglob("*")):
            tar.add(path, arcname=f"{arcroot}/{path.relative_to(folder).as_posix()}",
                    recursive=False, filter=fix)


def _file_hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): file_sha256(p) for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != "manifest.json"}


def make_package(project: Any, out: Path | None = None) -> Package:
    """Write the package of ``project`` (see the module docstring) and return what it holds.

    Both are written under temporary names and renamed into place, the tarball first: an
    interrupted run leaves the earlier package as it was. The package is reproducible: the same
    project gives a byte-identical wheel and tarball (``SOURCE_DATE_EPOCH`` sets the time
    stamps). Its manifest records the SHA-256 of the package's own files.

    Raises:
        BitstreamMismatch, UnsupportedConfiguration: the overlay files do not fit the manifest.
        ToolFailed: the runtime wheel could not be built.
    """
    root = Path(project.root)
    name = f"{project.manifest.get('name', project.cfg.name)}-pynq"
    out = Path(out) if out is not None else root / "dist"
    if out.exists() and not out.is_dir():
        raise AcceleratorError(f"--out {out} is an existing file; choose a folder for the "
                               f"package")
    out.mkdir(parents=True, exist_ok=True)
    epoch = source_date_epoch()
    notes = []
    try:
        files = find_overlay(root)
        has_overlay = True
    except OverlayNotFound as exc:
        files, has_overlay = None, False
        notes.append(f"no overlay: {exc}")
    if files is not None and (files.bit.resolve().parent == (out / name / OVERLAY_DIR).resolve()):
        raise AcceleratorError(f"{out} is inside the project's package; package to another "
                               f"--out")
    manifest = json.loads(json.dumps(project.manifest))
    manifest.pop("overlay", None)
    if files is not None:
        note = check_overlay_record(root, manifest)  # a stale or replaced overlay raises
        if note:
            notes.append(note)
        check_overlay(root, manifest)
        manifest["overlay"] = {"bit": f"{OVERLAY_DIR}/{BITFILE}", "hwh": f"{OVERLAY_DIR}/{HWHFILE}",
                               "bit_sha256": file_sha256(files.bit),
                               "hwh_sha256": file_sha256(files.hwh)}
    tarball = out / f"{name}.tar.gz"
    partial = out / f".{name}.tar.gz.part"
    with staged_folder(out / name) as tmp:
        if files is not None:
            (tmp / OVERLAY_DIR).mkdir()
            shutil.copyfile(files.bit, tmp / OVERLAY_DIR / BITFILE)
            shutil.copyfile(files.hwh, tmp / OVERLAY_DIR / HWHFILE)
        if (root / "vectors").is_dir():
            shutil.copytree(root / "vectors", tmp / "vectors")
        wheel = build_runtime_wheel(tmp / "wheels", log_path=root / "logs" / "package_wheel.log",
                                    epoch=epoch)
        manifest["package"] = {"name": name, "runtime_wheel": f"wheels/{wheel.name}",
                               "runtime": RUNTIME_NAME, "requires_python": REQUIRES_PYTHON}
        (tmp / "README.md").write_text(_readme(project, name, wheel.name, has_overlay))
        manifest["files"] = _file_hashes(tmp)  # what the package holds, checked on the board
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        try:
            write_tarball(tmp, name, partial, epoch)
            partial.replace(tarball)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    folder = out / name
    return Package(folder, tarball, folder / "wheels" / wheel.name, has_overlay, tuple(notes))
