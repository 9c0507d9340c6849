"""``fracfpga deploy``: load the overlay on a PYNQ board and self-test it against the model.

Without a board it says so in one line and runs the same self-test on the RTL simulation or
the emulator; ``--backend auto`` probes pynq, then rtl, then the emulator, and says which it
chose and why.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

BACKEND_CHOICES = ("auto", "pynq", "rtl", "emulator")


def _where(name: str, target: object) -> str:
    if name == "rtl":
        return f"rtl simulation ({getattr(target, 'sim', '?')})"
    return {"pynq": "PYNQ board", "emulator": "emulator"}.get(name, name)


def deploy(
    project: Path = typer.Argument(..., help="generated project or package folder (manifest.json)"),
    backend: str = typer.Option("auto", help="pynq, rtl, emulator or auto (probe in that order)"),
    sim: str = typer.Option(None, help="simulator of the rtl backend: icarus or verilator"),
    timeout_cycles: int = typer.Option(None, "--timeout-cycles",
                                       help="bound on the wait for ap_done (kernel cycles)"),
    job: list[str] = typer.Option(None, "--job", help="run only this self-test job (repeatable)"),
    pause: bool = typer.Option(True, help="rtl: pause generators on every AXI channel"),
) -> None:
    """Check and load the overlay on a PYNQ board (or simulate it) and run the self-test."""
    from codegen.render import load_project
    from host.accel import Accelerator, choose_target, probe_board, target_class
    from host.accel.errors import AcceleratorUnavailable
    from host.accel.selftest import run_selftest, selftest_jobs
    from host.cli import console

    def say(line: str) -> None:  # one line each, never wrapped (scripts read them)
        console.print(line, soft_wrap=True, highlight=False, markup=False)

    if backend not in BACKEND_CHOICES:
        raise AcceleratorUnavailable(f"unknown backend {backend!r}; choose one of "
                                     f"{', '.join(BACKEND_CHOICES)}")
    proj = load_project(project)
    jobs = selftest_jobs(proj)
    if job:
        known = [j.name for j in jobs]
        unknown = [j for j in job if j not in known]
        if unknown:
            raise AcceleratorUnavailable(f"unknown self-test job {unknown[0]!r}; jobs: "
                                         f"{', '.join(known)}")
        jobs = [j for j in jobs if j.name in set(job)]
    board = probe_board()
    name, reason = choose_target(backend, proj)
    options: dict = {}
    if name == "rtl":
        options = {"sim": sim, "pause": pause}
    target = target_class(name).create(proj, **options)
    where = _where(name, target)
    if name == "pynq":
        say(f"PYNQ board: {board.reason}; {proj.root}/overlay matches the manifest "
            f"(config {proj.manifest.get('config_hash', '?')}); overlay loaded")
    else:
        say(f"no PYNQ board: {board.reason}; running the self-test on the {where}")
    if backend == "auto":
        say(f"backend auto: {reason}")

    with (Accelerator(target, proj.cfg, timeout_cycles=timeout_cycles, reason=reason) as acc,
          console.status(f"running {len(jobs)} self-test jobs on the {where}")):
        rows = run_selftest(acc, jobs)

    table = Table(title=f"self-test of {proj.root} on the {where} ({proj.cfg!r})")
    for col, justify in (("job", "left"), ("descriptors", "right"), ("width pairs", "right"),
                         ("early stop", "right"), ("result", "left"), ("cycles", "right"),
                         ("model cycles", "right"), ("time", "right"),
                         ("first mismatch", "left")):
        table.add_column(col, justify=justify)
    for r in rows:
        result = "[green]PASS[/]" if r.passed else "[bold red]FAIL[/]"
        if r.passed and r.status:
            result = f"[green]PASS[/] (refused #{r.status - 1}, as the model)"
        table.add_row(r.job, str(r.descriptors), str(r.pairs), str(r.early_stop), result,
                      f"{r.cycles:,}", f"{r.model_cycles:,}", f"{r.seconds:.2f} s", r.detail)
    console.print(table)
    passed = sum(r.passed for r in rows)
    pairs = len({(d.a_bits, d.b_bits) for j in jobs for d in j.descriptors
                 if (d.a_bits in proj.cfg.bits and d.b_bits in proj.cfg.bits)})
    say(f"the {where} equals the model on {passed} of {len(rows)} jobs "
        f"({pairs} of {len(proj.cfg.pairs())} width pairs, "
        f"{sum(j.early_stop for j in jobs)} early-stop descriptors)")
    if passed != len(rows):
        raise typer.Exit(1)
