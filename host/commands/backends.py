"""``fracfpga backends``: which accelerator targets can run here, why not, and what auto picks."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table


def backends(project: Path = typer.Argument(None, help="a generated project (rtl needs its rtl/)")) -> None:
    """List the accelerator backends with their availability and the order `auto` tries them in."""
    from codegen.render import load_project
    from host.accel.registry import AUTO_ORDER, probe_all, target_names
    from host.cli import console

    proj = load_project(project) if project is not None else None
    avail = dict(probe_all(proj, "deploy"))
    rank = {p: {n: i + 1 for i, n in enumerate(order)} for p, order in AUTO_ORDER.items()}
    t = Table(title="backends (--backend NAME or auto, in every command)")
    for col in ("backend", "available", "auto: train", "auto: deploy", "why"):
        t.add_column(col)
    for name in target_names():
        a = avail[name]
        t.add_row(name, "yes" if a.ok else "no", str(rank["train"][name]),
                  str(rank["deploy"][name]), a.reason)
    console.print(t)
    console.print("auto takes the first available backend: for train the fastest that gives the "
                  "exact numbers here (every backend is bit-exact; the emulator runs in-process), "
                  "for deploy a board first, then the RTL simulation, then the emulator")
