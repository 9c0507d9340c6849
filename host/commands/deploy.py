"""``fracfpga deploy``: load the overlay on a PYNQ board and self-test it against the model.

Without a board it says so in one line and runs the same self-test on the RTL simulation or
the emulator; ``--backend auto`` probes pynq, then rtl, then the emulator (the registry's
deploy order), and says which it chose and why.
"""

from __future__ import annotations

from pathlib import Path

import typer

from . import checks

BACKENDS = ("auto", "pynq", "rtl", "emulator")


def deploy(
    project: Path = typer.Argument(..., help="generated project or package folder (manifest.json)"),
    backend: str = typer.Option("auto", help="emulator, rtl, pynq or auto (a board first, then "
                                "rtl, then the emulator)"),
    sim: str = typer.Option(None, "--sim", metavar="SIM",
                            help="RTL simulator of the rtl backend: icarus or verilator"),
    timeout_cycles: int = typer.Option(None, "--timeout-cycles",
                                       help="bound on the wait for ap_done (kernel cycles)"),
    job: list[str] = typer.Option(None, "--job", help="run only this self-test job (repeatable)"),
    pause: bool = typer.Option(True, help="rtl: pause generators on every AXI channel"),
) -> None:
    """Check and load the overlay on a PYNQ board (or simulate it) and run the self-test."""
    checks.at_least("--timeout-cycles", timeout_cycles, 1)
    if sim is not None:
        from codegen.simulators import simulator_name

        sim = simulator_name(sim)
        if backend.strip().lower() not in ("rtl", "auto"):
            raise checks.BadOption(f"--sim {sim} picks the RTL simulator; it applies to "
                                   f"--backend rtl (or auto), not {backend!r}")
    from rich.table import Table

    from codegen.render import load_project
    from host.accel.selftest import (
        describe_target,
        open_deployment,
        pick_jobs,
        run_selftest,
        selftest_jobs,
        summary_line,
    )
    from host.cli import console

    def say(line: str) -> None:  # one line each, never wrapped (scripts read them)
        console.print(line, soft_wrap=True, highlight=False, markup=False)

    proj = load_project(project)
    if backend.strip().lower() in ("pynq", "auto"):
        from codegen.project import check_overlay_record

        check_overlay_record(proj.root, proj.manifest)  # a stale or replaced overlay raises
    jobs = pick_jobs(selftest_jobs(proj), job)
    acc, lines = open_deployment(proj, backend, timeout_cycles=timeout_cycles, sim=sim,
                                 pause=pause)
    for line in lines:
        say(line)
    where = describe_target(acc.target)
    with acc:
        with console.status(f"preparing the {where}"):
            acc.target.prepare()
        with console.status(f"running {len(jobs)} self-test jobs on the {where}"):
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
    say(summary_line(acc, rows, jobs))
    failed = [r for r in rows if not r.passed]
    if failed:
        say(f"mismatch: {len(failed)} of {len(rows)} jobs differ from the model on the {where} "
            f"(first: {failed[0].job}: {failed[0].detail})")
        raise typer.Exit(1)
