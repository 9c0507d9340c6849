"""Emulator speed: time of ``fpga_model.gemm`` over a float64 numpy matmul of the same shape.

For the FW, EB and GC GEMMs of ResNet-38's CIFAR layers at batch 128 and each width pair of
the default set, both are timed side by side in this run (best of ``--repeat``); the JSON holds
the ratio per case and the medians without and with early termination (PSG-style stop ring 1,
tau = median |prefix|). Operands are int16 codes, as the training host keeps them.
``pack_ms`` is the host's cost of memory contract v2: packing A (by rows) and B (by columns) into
DDR digit planes (``fpga_model.planes.pack_planes``), which a device run pays before the kernel
starts; ``ratio_with_packing`` adds it to the exact GEMM.

    python bench/emulator.py [--quick] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

from fpga_model import ArrayConfig, code_range, gemm
from fpga_model.planes import pack_planes

BATCH = 128
# ResNet-38 for CIFAR: three stages of 6 basic blocks, 3x3 convs, widths 16/32/64 at 32/16/8 px
STAGES = [(16, 32), (32, 16), (64, 8)]


def layer_shapes() -> list[tuple[str, int, int, int]]:
    """(name, M, K, N) of the FW, EB and GC GEMMs of one conv per stage."""
    out = []
    for c, hw in STAGES:
        rows = BATCH * hw * hw
        out += [(f"FW c{c}", rows, 9 * c, c), (f"EB c{c}", rows, 9 * c, c),
                (f"GC c{c}", 9 * c, rows, c)]
    return out


def best_time(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="three pairs and the stage-3 shapes")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    cfg = ArrayConfig()
    pairs = cfg.pairs()
    shapes = layer_shapes()
    if args.quick:
        pairs = [(4, 4), (4, 8), (8, 12)]
        shapes = shapes[-3:]
    rng = np.random.default_rng(0)
    cases = []
    for name, m, k, n in shapes:
        af = rng.standard_normal((m, k))
        bf = rng.standard_normal((k, n))
        t_float = best_time(lambda: af @ bf, args.repeat)
        for ab, bb in pairs:
            lo, hi = code_range(ab, True)
            a = rng.integers(lo, hi + 1, (m, k)).astype(np.int16)
            lo, hi = code_range(bb, True)
            b = rng.integers(lo, hi + 1, (k, n)).astype(np.int16)
            t_exact = best_time(lambda: gemm(cfg, a, b, ab, bb), args.repeat)
            prefix = gemm(cfg, a, b, ab, bb, stop_ring=1, tau=0).values
            tau = int(np.median(np.abs(prefix)))
            t_et = best_time(lambda: gemm(cfg, a, b, ab, bb, stop_ring=1, tau=tau), args.repeat)
            t_pack = best_time(lambda: (pack_planes(a, ab), pack_planes(b.T, bb)), args.repeat)
            cases.append({"gemm": name, "m": m, "k": k, "n": n, "pair": [ab, bb],
                          "float64_ms": round(t_float * 1e3, 3),
                          "exact_ms": round(t_exact * 1e3, 3),
                          "early_stop_ms": round(t_et * 1e3, 3),
                          "pack_ms": round(t_pack * 1e3, 3),
                          "ratio_with_packing": round((t_exact + t_pack) / t_float, 3),
                          "ratio": round(t_exact / t_float, 3),
                          "ratio_early_stop": round(t_et / t_float, 3)})
    out = {
        "benchmark": "emulator gemm / float64 numpy matmul, same shape, same run",
        "config": repr(cfg),
        "cases": cases,
        "median_ratio": statistics.median(c["ratio"] for c in cases),
        "median_ratio_early_stop": statistics.median(c["ratio_early_stop"] for c in cases),
        "median_ratio_with_packing": statistics.median(c["ratio_with_packing"] for c in cases),
        "target": {"median_ratio": 1.5, "median_ratio_early_stop": 3.0},
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
