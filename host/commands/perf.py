"""``fracfpga perf``: one GEMM pass on the RTL, its wall-clock cycles against the model and roofs."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def _ints(text: str, count: int, option: str, example: str) -> list[int]:
    from boards.errors import UserError

    parts = [p.strip() for p in text.split(",")]
    try:
        values = [int(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != count:
        raise UserError(f"{option} {text!r} is not {count} comma-separated integers; pass e.g. "
                        f"{option} {example}")
    return values


def perf(
    project: Path = typer.Argument(..., help="generated project folder (fracfpga generate --out)"),
    shape: str = typer.Option(..., "--shape", help="M,K,N of the pass, e.g. 1024,144,16"),
    pair: str = typer.Option(..., "--pair", help="A,B operand widths, e.g. 8,8"),
    pass_: str = typer.Option("fw", "--pass", help="fw, eb or gc"),
    stop_ring: int = typer.Option(None, "--stop-ring", help="early stop after this ring"),
    prefix: str = typer.Option(None, "--prefix", metavar="P,Q",
                               help="early stop on the top P digits of A x top Q digits of B "
                               "(instead of --stop-ring)"),
    tau: int = typer.Option(None, "--tau", help="early-stop threshold (with --stop-ring or "
                            "--prefix)"),
    tau_rel: int = typer.Option(None, "--tau-rel", help="instead of --tau: the threshold as "
                                "beta * 65536 of the pass's largest |prefix| (two sweeps)"),
    sim: str = typer.Option("verilator", "--sim", metavar="SIM",
                            help="RTL simulator: icarus or verilator"),
    seed: int = typer.Option(0, "--seed", help="seed of the random operands"),
) -> None:
    """Run one random GEMM pass on the RTL at the board's memory port; JSON; 1 on a mismatch.

    The pass runs on the project's RTL with the port's latency and duty; the JSON sets the
    measured wall cycles and bus bytes beside the model's and the roofs.

    Example: fracfpga perf build/zc706_b3-4-6-8-12_8x8 --shape 1024,144,16 --pair 8,8
    """
    from codegen.perf import PerfRequest, run_perf
    from codegen.render import check_current, load_project
    from host.cli import console, err_console

    m, k, n = _ints(shape, 3, "--shape", "1024,144,16")
    a_bits, b_bits = _ints(pair, 2, "--pair", "8,8")
    keep = tuple(_ints(prefix, 2, "--prefix", "2,4")) if prefix is not None else None
    proj = load_project(project)
    check_current(proj)
    req = PerfRequest(m, k, n, a_bits, b_bits, pass_.lower(), stop_ring, tau, sim.lower(), seed,
                      keep, tau_rel)
    req.check(proj.cfg)
    with console.status(f"running {m}x{k}x{n} at {a_bits}x{b_bits} on {req.sim}"):
        report = run_perf(proj, req, proj.root / "sim" / "perf")
    print(json.dumps(report, indent=1))
    if not report["exact"]:
        err_console.print(f"mismatch: the RTL differs from the model: {report['detail']}",
                          style="bold red", highlight=False, soft_wrap=True)
        raise typer.Exit(1)
