"""``fracfpga emulate``: one random GEMM on the bit-accurate model, checked against numpy."""

from __future__ import annotations

import time

import typer

from . import checks

# the largest operand or result the command allocates (elements): 2^26 int64 values = 512 MiB
MAX_ELEMENTS = 1 << 26


def _two_ints(option: str, text: str, form: str, example: str) -> tuple[int, int]:
    try:
        a, b = (int(v) for v in text.split(","))
    except ValueError:
        raise checks.BadOption(f"{option} {text!r} is not {form}; pass e.g. {option} {example}"
                               ) from None
    return a, b


def _pair(text: str) -> tuple[int, int]:
    return _two_ints("--pair", text, "A_BITS,B_BITS", "4,8")


def _exact_product(a, b):
    """numpy's exact integer product: float64 BLAS while every partial sum is below 2^53
    (numpy's own int64 matmul has no BLAS and takes minutes on large GEMMs), else int64."""
    import numpy as np

    bound = a.shape[1] * int(np.abs(a).max(initial=0)) * int(np.abs(b).max(initial=0))
    if bound < 1 << 53:
        return (a.astype(np.float64) @ b.astype(np.float64)).astype(np.int64)
    return a.astype(np.int64) @ b.astype(np.int64)


def emulate(
    bits: str = typer.Option("3,4,6,8,12", help="bit-width set of the array (2..16)"),
    pair: str = typer.Option("4,8", help="operand widths A_BITS,B_BITS (from the set)"),
    m: int = typer.Option(64, help="rows of A"),
    k: int = typer.Option(576, help="reduction length (at most the array's max K)"),
    n: int = typer.Option(64, help="columns of B"),
    stop_ring: int = typer.Option(None, "--stop-ring", help="early-termination ring R (with "
                                  "--tau)"),
    prefix: str = typer.Option(None, "--prefix", metavar="P,Q",
                               help="early-termination prefix: top P digits of A x top Q "
                               "digits of B (with --tau; instead of --stop-ring)"),
    tau: int = typer.Option(None, help="early-termination threshold (output scale, with "
                            "--stop-ring or --prefix)"),
    board: str = typer.Option("zc706", help="board (see `fracfpga boards`)"),
    tiles: str = typer.Option("8x8", help="tile grid ROWSxCOLS"),
    unsigned_a: bool = typer.Option(False, "--unsigned-a", help="A codes are unsigned"),
    seed: int = typer.Option(0, help="random seed (0..2^32-1)"),
    repeat: int = typer.Option(3, help="timed repetitions for the emulator's own speed"),
) -> None:
    """Run a random GEMM on the emulator, check it equals numpy, print cycles and energy."""
    for name, v in (("--m", m), ("--k", k), ("--n", n), ("--repeat", repeat)):
        checks.at_least(name, v, 1)
    checks.seed(seed)
    for what, count in (("A (--m x --k)", m * k), ("B (--k x --n)", k * n),
                        ("the result (--m x --n)", m * n)):
        if count > MAX_ELEMENTS:
            raise checks.BadOption(f"{what} would hold {count:,} elements, more than the "
                                   f"{MAX_ELEMENTS:,} emulate allocates; pass smaller sizes")
    a_bits, b_bits = _pair(pair)
    keep = _two_ints("--prefix", prefix, "P,Q", "2,4") if prefix is not None else None
    if keep is not None and stop_ring is not None:
        raise checks.BadOption("--stop-ring and --prefix both name the early-stop prefix; "
                               "pass one of them")

    import numpy as np
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
    from rich.table import Table

    from fpga_model import (ArrayConfig, ConfigError, Descriptor, code_range, energy_joules, gemm,
                            ideal_macs_per_cycle, latency_seconds, parse_bits, parse_tiles)
    from fpga_model.digits import prefix_keep, truncate
    from host.cli import console
    from host.ledger import pass_wall

    cfg = ArrayConfig(bits=parse_bits(bits), board=board, tiles=parse_tiles(tiles))
    cfg.check_pair(a_bits, b_bits)
    if k > cfg.max_k:  # before anything is allocated
        raise ConfigError(f"--k {k} exceeds the array's max K {cfg.max_k}; pass --k "
                          f"{cfg.max_k} or less")
    early = stop_ring is not None or keep is not None
    if early != (tau is not None):
        raise ConfigError("early termination needs --tau with --stop-ring or --prefix (or "
                          "none of them)")
    rng = np.random.default_rng(seed)
    kw = dict(a_signed=not unsigned_a, stop_ring=stop_ring, tau=tau, prefix=keep)
    steps = 2 + repeat
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=console, transient=True) as progress:
        task = progress.add_task("emulating", total=steps)
        lo, hi = code_range(a_bits, not unsigned_a)
        a = rng.integers(lo, hi + 1, size=(m, k)).astype(np.int16)
        lo, hi = code_range(b_bits, True)
        b = rng.integers(lo, hi + 1, size=(k, n)).astype(np.int16)
        res = gemm(cfg, a, b, a_bits, b_bits, **kw)
        progress.update(task, advance=1, description="checking against numpy (exact)")
        want = _exact_product(a, b)
        if early:  # stopped outputs must equal the prefix exactly
            ka, kb = prefix_keep(cfg.digits(a_bits), cfg.digits(b_bits), stop_ring, keep)
            prefix = _exact_product(truncate(a.astype(np.int64), a_bits, ka),
                                    truncate(b.astype(np.int64), b_bits, kb))
            want = np.where(res.stopped, prefix, want)
        ok = bool((res.values == want).all())
        progress.update(task, advance=1, description="timing the emulator")
        t0 = time.perf_counter()
        for _ in range(repeat):
            gemm(cfg, a, b, a_bits, b_bits, **kw)
            progress.update(task, advance=1)
        emu_s = (time.perf_counter() - t0) / repeat
    c = res.counters
    d = Descriptor(m=m, n=n, k=k, a_bits=a_bits, b_bits=b_bits, a_signed=not unsigned_a,
                   stop_ring=stop_ring, tau=tau, prefix=keep)
    wall = pass_wall(cfg, d, res.stopped if early else None)  # what the ledger charges
    lat = wall.cycles / cfg.clock_hz
    roofline = latency_seconds(cfg, c)
    roofs = ideal_macs_per_cycle(cfg, a_bits, b_bits)
    # MACs credited by the digit products done: equal to the MACs without early stop, the
    # fraction of the work really done with it (stopped outputs skip their low rings)
    done = c["digit_products"] / (cfg.digits(a_bits) * cfg.digits(b_bits))
    per_cycle = done / c["cycles"]
    energy = energy_joules(cfg, {**c, "dram_bits": 8 * wall.bus_bytes}, lat)
    stopped = int(c["stopped"])
    check = ("exact int64 product" if not early else
             f"exact product, ring-{stop_ring} prefix where stopped" if keep is None else
             f"exact product, {keep[0]} x {keep[1]} digit prefix where stopped")
    t = Table(title=f"{m}x{k}x{n} GEMM at {a_bits}x{b_bits} bits on {cfg!r}", show_header=False)
    t.add_column("quantity")
    t.add_column("value", justify="right")
    rows = [
        (f"equals numpy ({check})", "yes" if ok else "NO"),
        ("outputs stopped early", f"{stopped} of {m * n}"),
        ("cycles", f"{c['cycles']:,}"),
        ("latency (RTL wall clock, {}) @ {:g} MHz".format(cfg.board_info.port,
                                                          cfg.clock_hz / 1e6),
         f"{lat * 1e6:.2f} us"),
        ("latency (roofline: engine or DRAM time)", f"{roofline * 1e6:.2f} us"),
        ("MAC/cycle (digit products done / D_a*D_b)", f"{per_cycle:.1f}"),
        ("utilization vs digit roof ({:.0f} MAC/cycle)".format(roofs["digit_roof"]),
         f"{per_cycle / roofs['digit_roof']:.1%}"),
        ("utilization vs bit-level limit ({:.0f} MAC/cycle)".format(roofs["bit_limit"]),
         f"{per_cycle / roofs['bit_limit']:.1%}"),
        ("energy ({} profile)".format(cfg.board_info.energy_profile),
         f"{energy['total'] * 1e6:.3f} uJ"),
        ("  compute / buffer / DRAM / static (uJ)", " / ".join(
            f"{energy[x] * 1e6:.3f}" for x in ("compute", "buffer", "dram", "static"))),
        ("emulator speed", f"{m * n * k / emu_s / 1e9:.2f} GMAC/s"),
    ]
    for r in rows:
        t.add_row(*r)
    console.print(t)
    if not ok:
        console.print("[bold red]mismatch: the emulator differs from numpy[/]")
        raise SystemExit(1)
