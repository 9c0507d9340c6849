"""``fracfpga backends``: which accelerator backends can run here, and why not."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table


def backends(project: Path = typer.Argument(None, help="a generated project (rtl needs its rtl/)")) -> None:
    """List the accelerator backends in the order `--backend auto` tries them, with availability."""
    from codegen.render import load_project
    from host.accel.registry import probe_all
    from host.cli import console

    proj = load_project(project) if project is not None else None
    t = Table(title="backends (auto tries them in this order)")
    for col in ("backend", "available", "why"):
        t.add_column(col)
    for name, avail in probe_all(proj):
        t.add_row(name, "yes" if avail.ok else "no", avail.reason)
    console.print(t)
