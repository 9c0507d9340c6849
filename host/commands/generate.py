"""``fracfpga generate``: render the HLS/RTL project for a bit-width set and board."""

from __future__ import annotations

from pathlib import Path

import typer

from . import checks


def generate(
    bits: str = typer.Option("3,4,6,8,12", help="bit-width set the hardware supports (2..16)"),
    board: str = typer.Option("zc706", help="board (see `fracfpga boards`)"),
    tiles: str = typer.Option("8x8", help="tile grid ROWSxCOLS"),
    acc_width: int = typer.Option(48, help="accumulator width in bits (16..60)"),
    max_k: int = typer.Option(None, "--max-k", help="longest reduction (default: largest safe)"),
    clock_mhz: float = typer.Option(None, help="array clock in MHz (default: the board's PL "
                                    "clock)"),
    out: Path = typer.Option(None, help="project folder (default: build/<name>)"),
    seed: int = typer.Option(0, help="seed of the verification vectors (0..2^32-1)"),
    clean: bool = typer.Option(False, "--clean", help="also remove build outputs (overlay/, "
                               "logs/, dist/, ...) that regenerating keeps"),
) -> None:
    """Generate the Vitis HLS project, the Verilog RTL and the shared test vectors.

    Regenerating into an existing project replaces the generated files only and keeps build
    outputs unless --clean is given.
    """
    checks.seed(seed)
    if out is not None:
        checks.out_folder(out, marker="manifest.json", what="fracfpga project")

    from codegen.render import render_project
    from fpga_model import ArrayConfig, parse_bits, parse_tiles
    from host.cli import console

    cfg = ArrayConfig(bits=parse_bits(bits), board=board, tiles=parse_tiles(tiles),
                      acc_width=acc_width, max_k=max_k, clock_mhz=clock_mhz)
    if out is None:
        out = Path("build") / cfg.name
        checks.out_folder(out, marker="manifest.json", what="fracfpga project")
    with console.status(f"rendering {cfg!r}"):
        project = render_project(cfg, out, seed=seed, clean=clean)
    files = project.manifest["files"]
    console.print(f"wrote {len(files) + 1} files to {project.root} ({cfg!r}, "
                  f"config {cfg.config_hash()})")
