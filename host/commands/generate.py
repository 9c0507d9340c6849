"""``fracfpga generate``: render the HLS/RTL project for a bit-width set and board."""

from __future__ import annotations

from pathlib import Path

import typer

from fpga_model import ArrayConfig, parse_bits, parse_tiles


def generate(
    bits: str = typer.Option("3,4,6,8,12", help="bit-width set the hardware supports"),
    board: str = typer.Option("zc706", help="board (see `fracfpga boards`)"),
    tiles: str = typer.Option("8x8", help="tile grid ROWSxCOLS"),
    acc_width: int = typer.Option(48, help="accumulator width in bits"),
    max_k: int = typer.Option(None, "--max-k", help="longest reduction (default: largest safe)"),
    clock_mhz: float = typer.Option(None, help="array clock (default: the board's PL clock)"),
    out: Path = typer.Option(None, help="project folder (default: build/<name>)"),
    seed: int = typer.Option(0, help="seed of the verification vectors"),
) -> None:
    """Generate the Vitis HLS project, the Verilog RTL and the shared test vectors."""
    from codegen.render import render_project
    from host.cli import console

    cfg = ArrayConfig(bits=parse_bits(bits), board=board, tiles=parse_tiles(tiles),
                      acc_width=acc_width, max_k=max_k, clock_mhz=clock_mhz)
    out = out or Path("build") / cfg.name
    with console.status(f"rendering {cfg!r}"):
        project = render_project(cfg, out, seed=seed)
    files = project.manifest["files"]
    console.print(f"wrote {len(files) + 1} files to {project.root} ({cfg!r}, "
                  f"config {cfg.config_hash()})")
