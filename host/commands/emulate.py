"""``fracfpga emulate``: one random GEMM on the bit-accurate model, checked against numpy."""

from __future__ import annotations

import time

import numpy as np
import typer
from rich.table import Table

from fpga_model import (ArrayConfig, ConfigError, code_range, energy_joules, gemm,
                        ideal_macs_per_cycle, latency_seconds, parse_bits, parse_tiles,
                        utilization)


def _pair(text: str) -> tuple[int, int]:
    try:
        a, b = (int(v) for v in text.split(","))
    except ValueError:
        raise ConfigError(f"pair {text!r} is not A_BITS,B_BITS; pass e.g. --pair 4,8") from None
    return a, b


def emulate(
    bits: str = typer.Option("3,4,6,8,12", help="bit-width set of the array"),
    pair: str = typer.Option("4,8", help="operand widths A_BITS,B_BITS (from the set)"),
    m: int = typer.Option(64, help="rows of A"),
    k: int = typer.Option(576, help="reduction length"),
    n: int = typer.Option(64, help="columns of B"),
    stop_ring: int = typer.Option(None, "--stop-ring", help="early-termination ring R"),
    tau: int = typer.Option(None, help="early-termination threshold (output scale)"),
    board: str = typer.Option("zc706", help="board (see `fracfpga boards`)"),
    tiles: str = typer.Option("8x8", help="tile grid ROWSxCOLS"),
    unsigned_a: bool = typer.Option(False, "--unsigned-a", help="A codes are unsigned"),
    seed: int = typer.Option(0, help="random seed"),
    repeat: int = typer.Option(3, help="timed repetitions for the emulator's own speed"),
) -> None:
    """Run a random GEMM on the emulator, check it equals numpy, print cycles and energy."""
    from host.cli import console

    cfg = ArrayConfig(bits=parse_bits(bits), board=board, tiles=parse_tiles(tiles))
    a_bits, b_bits = _pair(pair)
    cfg.check_pair(a_bits, b_bits)
    for name, v in (("--m", m), ("--k", k), ("--n", n), ("--repeat", repeat)):
        if v < 1:
            raise ConfigError(f"{name} {v} must be at least 1")
    rng = np.random.default_rng(seed)
    lo, hi = code_range(a_bits, not unsigned_a)
    a = rng.integers(lo, hi + 1, size=(m, k)).astype(np.int16)
    lo, hi = code_range(b_bits, True)
    b = rng.integers(lo, hi + 1, size=(k, n)).astype(np.int16)
    res = gemm(cfg, a, b, a_bits, b_bits, a_signed=not unsigned_a, stop_ring=stop_ring, tau=tau)
    exact = a.astype(np.int64) @ b.astype(np.int64)
    if stop_ring is None:
        ok = bool((res.values == exact).all())
    else:  # stopped outputs carry the prefix; the others must be exact
        ok = bool((res.values[~res.stopped] == exact[~res.stopped]).all())
    t0 = time.perf_counter()
    for _ in range(repeat):
        gemm(cfg, a, b, a_bits, b_bits, a_signed=not unsigned_a, stop_ring=stop_ring, tau=tau)
    emu_s = (time.perf_counter() - t0) / repeat
    c = res.counters
    lat = latency_seconds(cfg, c)
    util = utilization(cfg, c, a_bits, b_bits)
    roofs = ideal_macs_per_cycle(cfg, a_bits, b_bits)
    energy = energy_joules(cfg, c, lat)
    t = Table(title=f"{m}x{k}x{n} GEMM at {a_bits}x{b_bits} bits on {cfg!r}", show_header=False)
    t.add_column("quantity")
    t.add_column("value", justify="right")
    rows = [
        ("equals numpy int64 product", "yes" if ok else "NO"),
        ("outputs stopped early", f"{c['stopped']} of {m * n}"),
        ("cycles", f"{c['cycles']:,}"),
        ("latency @ {:g} MHz".format(cfg.clock_hz / 1e6), f"{lat * 1e6:.2f} us"),
        ("MAC/cycle", f"{util['macs_per_cycle']:.1f}"),
        ("utilization vs digit roof ({:.0f} MAC/cycle)".format(roofs["digit_roof"]),
         f"{util['vs_digit_roof']:.1%}"),
        ("utilization vs bit-level limit ({:.0f} MAC/cycle)".format(roofs["bit_limit"]),
         f"{util['vs_bit_limit']:.1%}"),
        ("energy ({} profile)".format(cfg.board_info.energy_profile),
         f"{energy['total'] * 1e6:.3f} uJ"),
        ("  compute / buffer / DRAM / static", " / ".join(
            f"{energy[x] * 1e6:.3f}" for x in ("compute", "buffer", "dram", "static"))),
        ("emulator speed", f"{m * n * k / emu_s / 1e9:.2f} GMAC/s"),
    ]
    for r in rows:
        t.add_row(*r)
    console.print(t)
    if not ok:
        raise SystemExit(1)
