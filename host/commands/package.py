"""``fracfpga package``: a folder and a tarball that install and self-test on a PYNQ board."""

from __future__ import annotations

from pathlib import Path

import typer

from . import checks


def package(
    project: Path = typer.Argument(..., help="generated project folder (fracfpga generate --out)"),
    out: Path = typer.Option(None, help="where to write the package (default: PROJECT/dist)"),
) -> None:
    """Package the bitstream, .hwh, driver, manifest and a runtime wheel for a PYNQ board.

    The same project gives a byte-identical tarball and wheel (SOURCE_DATE_EPOCH sets their
    time stamps; 1980-01-01 when unset).
    """
    if out is not None:
        checks.out_folder(out, marker=None, what="package folder")
    from codegen.render import load_project
    from host.accel.bundle import make_package
    from host.cli import console

    def say(line: str) -> None:
        console.print(line, soft_wrap=True, highlight=False, markup=False)

    proj = load_project(project)
    with console.status(f"packaging {proj.root} (building the runtime wheel)"):
        pkg = make_package(proj, out)
    files = sum(1 for p in pkg.folder.rglob("*") if p.is_file())
    say(f"wrote {pkg.folder} ({files} files) and {pkg.tarball} "
        f"({pkg.tarball.stat().st_size / 1024:.0f} KiB)")
    say(f"runtime wheel: {pkg.wheel.relative_to(pkg.folder)} (pip install --no-deps --no-index)")
    if pkg.overlay:
        say("overlay: overlay/frac_array.bit and .hwh, SHA-256 recorded in manifest.json")
    else:
        say(f"overlay: not included ({proj.root}/overlay/frac_array.bit is missing); build it "
            f"with 'vivado -mode batch -source bd/build_bd.tcl' and package again")
    say(f"on the board: follow {pkg.folder / 'README.md'}")
