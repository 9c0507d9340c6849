"""``fracfpga csim``: C-simulate a generated HLS project with g++ and compare it with the model."""

from __future__ import annotations

import time
from pathlib import Path

import typer


def csim(
    project: Path = typer.Argument(..., help="generated project folder (fracfpga generate --out)"),
    job: list[str] = typer.Option(None, "--job", help="run only this job (repeatable)"),
) -> None:
    """Run the HLS C-simulation of a project (g++, no Vitis) on its vectors; 1 on a mismatch."""
    from rich.table import Table

    from codegen.csim import build_csim, run_csim
    from codegen.render import load_project
    from host.cli import console

    proj = load_project(project)
    t0 = time.perf_counter()
    with console.status(f"compiling the C-simulation of {proj.root}"):
        build_csim(proj)
    build_s = time.perf_counter() - t0
    with console.status("running the jobs"):
        outcomes = run_csim(proj, list(job) if job else None)

    table = Table(title=f"C-simulation of {proj.root} ({proj.cfg!r})")
    for name, justify in (("job", "left"), ("result", "left"), ("cycles", "right"),
                          ("MACs", "right"), ("time", "right"), ("first mismatch", "left")):
        table.add_column(name, justify=justify)
    for o in outcomes:
        table.add_row(o.job, "[green]PASS[/]" if o.passed else "[bold red]FAIL[/]",
                      f"{o.cycles:,}", f"{o.macs:,}", f"{o.seconds * 1e3:.2f} ms", o.detail)
    passed = sum(o.passed for o in outcomes)
    table.add_section()
    table.add_row("total", f"{passed} of {len(outcomes)} passed",
                  f"{sum(o.cycles for o in outcomes):,}", f"{sum(o.macs for o in outcomes):,}",
                  f"{sum(o.seconds for o in outcomes) * 1e3:.2f} ms", "")
    console.print(table)
    console.print(f"build {build_s:.1f} s; the kernel equals the model on {passed} of "
                  f"{len(outcomes)} jobs")
    if passed != len(outcomes):
        first = next(o for o in outcomes if not o.passed)
        console.print(f"mismatch: {len(outcomes) - passed} of {len(outcomes)} jobs differ from "
                      f"the model (first: {first.job}: {first.detail})", highlight=False,
                      markup=False, soft_wrap=True)
        raise typer.Exit(1)
