"""``fracfpga verify``: C-sim and RTL simulation on a project's shared vectors, against the model."""

from __future__ import annotations

import time
from pathlib import Path

import typer



def _rate(value: int, seconds: float) -> str:
    if seconds <= 0 or value <= 0:
        return "-"
    rate = value / seconds
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if rate >= scale:
            return f"{rate / scale:.2f} {unit}/s"
    return f"{rate:.0f} /s"


def _sims(names: list[str] | None, rtl: bool) -> tuple[str, ...]:
    """The simulators to run: the --sim names in order (default: all), none with --no-rtl."""
    from codegen.simulators import SIMULATORS, simulator_name

    from .checks import BadOption

    if not rtl:
        if names:
            raise BadOption("--sim names a simulator for the RTL run, and --no-rtl skips it; "
                            "drop one of them")
        return ()
    if not names:
        return SIMULATORS
    return tuple(dict.fromkeys(simulator_name(n) for n in names))


def verify(
    project: Path = typer.Argument(..., help="generated project folder (fracfpga generate --out)"),
    sim: list[str] = typer.Option(None, "--sim", metavar="SIM", help="RTL simulator to run: icarus or "
                                  "verilator (repeatable; default: both)"),
    rtl: bool = typer.Option(True, "--rtl/--no-rtl", help="run the RTL simulation"),
    csim: bool = typer.Option(True, "--csim/--no-csim", help="also run the HLS C-simulation"),
    job: list[str] = typer.Option(None, "--job", help="run only this job (repeatable)"),
    pairs: bool = typer.Option(True, "--pairs/--no-pairs",
                               help="one row per width pair of multi-descriptor jobs (RTL)"),
    backpressure: bool = typer.Option(False, "--backpressure",
                                      help="random stalls on every AXI channel (RTL)"),
) -> None:
    """Run C-sim and RTL simulation on the project's vectors; print pass/fail; 1 on a mismatch.

    Every tier must leave the model's DDR image byte for byte and its registers, engine cycles
    included. Icarus is slow on large tile grids (an 8x8 project simulates a few hundred cycles
    per second); pick --sim verilator there.
    """
    from rich.table import Table

    from codegen import rtlsim
    from codegen.errors import ToolNotFound
    from codegen.render import load_project
    from codegen.vectors import read_jobs
    from host.cli import console

    proj = load_project(project)
    sims = _sims(sim, rtl)
    if not csim and not sims:
        raise typer.BadParameter("nothing to run: drop --no-csim or --no-rtl")
    for s in sims:  # refuse before any long run starts
        reason = rtlsim.simulator_available(s)
        if reason:
            raise ToolNotFound(reason)
    jobs = list(job) if job else None
    model = {j.name: j for j in read_jobs(proj.vectors)}
    tiers: list[tuple[str, list, float]] = []  # (tier, outcomes, build seconds)
    notes = []

    if csim:
        try:
            from codegen.csim import build_csim, run_csim
        except ImportError:
            notes.append("C-sim skipped: this installation has no codegen.csim")
        else:
            t0 = time.perf_counter()
            with console.status(f"compiling the C-simulation of {proj.root}"):
                build_csim(proj)
            build_s = time.perf_counter() - t0
            with console.status("C-simulation of the jobs"):
                tiers.append(("csim", run_csim(proj, jobs), build_s))
    for s in sims:
        with console.status(f"building the RTL for {s}"):
            build = rtlsim.build_rtl(proj, s)
        with console.status(f"{s}: replaying the jobs on the RTL"):
            outcomes = rtlsim.run_rtl_jobs(proj, s, jobs, build=build,
                                           backpressure=backpressure, per_descriptor=pairs)
        tiers.append((s, outcomes, build.seconds))
    if not tiers:
        raise typer.BadParameter("nothing to run: drop --no-csim or --no-rtl")

    table = Table(title=f"verify {proj.root} ({proj.cfg!r})")
    for name, justify in (("job", "left"), ("tier", "left"), ("result", "left"),
                          ("cycles", "right"), ("model", "right"), ("time", "right"),
                          ("cycles/s", "right"), ("MAC/s", "right"), ("first mismatch", "left")):
        table.add_column(name, justify=justify, overflow="fold")
    failed = total = 0
    for tier, outcomes, _ in tiers:
        for o in outcomes:
            result = "[green]PASS[/]" if o.passed else "[bold red]FAIL[/]"
            if o.descriptor is None:
                total += 1
                failed += not o.passed
                ref = model[o.job].status.cycles if o.job in model else None
                table.add_row(o.job, tier, result, f"{o.cycles:,}",
                              f"{ref:,}" if ref is not None else "-", f"{o.seconds:.2f} s",
                              _rate(o.cycles, o.seconds), _rate(o.macs, o.seconds), o.detail)
            else:
                a, b = o.pair or ("?", "?")
                table.add_row(f"  #{o.descriptor} {a}x{b}", tier, result, f"{o.cycles:,}",
                              "", "", "", "", o.detail)
        table.add_section()
    console.print(table)
    for tier, outcomes, build_s in tiers:
        top = [o for o in outcomes if o.descriptor is None]
        secs = sum(o.seconds for o in top)
        console.print(f"{tier}: {sum(o.passed for o in top)} of {len(top)} jobs equal the model; "
                      f"build {build_s:.1f} s, {sum(o.cycles for o in top):,} engine cycles in "
                      f"{secs:.2f} s ({_rate(sum(o.cycles for o in top), secs)}, "
                      f"{_rate(sum(o.macs for o in top), secs).replace('/s', ' MAC/s')})")
    for note in notes:
        console.print(note)
    if failed:
        console.print(f"[bold red]mismatch: {failed} of {total} job runs differ from the model[/]")
        raise typer.Exit(1)
