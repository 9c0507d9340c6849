"""Code generation and C-simulation cost: generate, compile, and csim speed against the model.

For one config it times, in this run: rendering the project (fresh, then regenerating over it),
compiling the C-simulation from scratch (g++ -O2, ap_types from hls4ml), and running the kernel
under C-simulation on a set of verification jobs, next to the model (``fpga_model.kernel.
run_kernel``) on the very same DDR images (best of ``--repeat`` each). Speeds are seconds per
10^6 MACs; ``csim_over_model`` is how many times slower the C-simulated kernel is. Every csim
job must also equal the model (``all_passed``).

    python bench/codegen.py [--bits 3,4,6,8,12] [--tiles 8x8] [--max-dim 33] [--max-k 128]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

# This script shares its name with the codegen package: drop its own folder from the import
# path so that ``import codegen`` finds the package (the repository root or the install).
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from codegen.csim import build_csim, run_csim  # noqa: E402
from codegen.render import render_project  # noqa: E402
from codegen.vectors import standard_jobs, write_jobs  # noqa: E402
from fpga_model import ArrayConfig, parse_bits, parse_tiles  # noqa: E402
from fpga_model.kernel import run_kernel  # noqa: E402


def best_time(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bits", default="3,4,6,8,12")
    ap.add_argument("--board", default="zc706")
    ap.add_argument("--tiles", default="8x8")
    ap.add_argument("--max-dim", type=int, default=33, help="largest M and N of a job")
    ap.add_argument("--max-k", type=int, default=128, help="largest K of a job")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    cfg = ArrayConfig(bits=parse_bits(args.bits), board=args.board, tiles=parse_tiles(args.tiles))

    with tempfile.TemporaryDirectory(prefix="bench-codegen-") as tmp:
        out = Path(tmp) / cfg.name
        t = time.perf_counter()
        project = render_project(cfg, out)
        generate_s = time.perf_counter() - t
        regenerate_s = best_time(lambda: render_project(cfg, out), args.repeat)

        t = time.perf_counter()
        build_csim(project)
        compile_s = time.perf_counter() - t

        jobs = standard_jobs(cfg, seed=1, max_dim=args.max_dim, max_k=args.max_k)
        write_jobs(jobs, project.vectors)
        runs = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            outcomes = run_csim(project)
            runs.append((time.perf_counter() - t, outcomes))
        wall_s, outcomes = min(runs, key=lambda r: r[0])
        by_job = {o.job: o for o in outcomes}

        rows = []
        for job in jobs:
            model_s = best_time(
                lambda job=job: run_kernel(cfg, bytearray(job.memory), job.desc_addr,
                                           job.desc_count), args.repeat)
            o = by_job[job.name]
            rows.append({"job": job.name, "macs": o.macs, "cycles": o.cycles,
                         "passed": o.passed, "csim_s": o.seconds, "model_s": model_s})

    macs = sum(r["macs"] for r in rows)
    csim_s = sum(r["csim_s"] for r in rows)
    model_s = sum(r["model_s"] for r in rows)
    mmac = macs / 1e6
    print(json.dumps({
        "config": repr(cfg),
        "jobs": rows,
        "macs": macs,
        "all_passed": all(r["passed"] for r in rows),
        "generate_s": round(generate_s, 4),
        "regenerate_s": round(regenerate_s, 4),
        "csim_compile_s": round(compile_s, 3),
        "csim_run_s_per_mmac": csim_s / mmac,
        "csim_process_s_per_mmac": wall_s / mmac,
        "model_s_per_mmac": model_s / mmac,
        "csim_over_model": csim_s / model_s,
    }, indent=2))


if __name__ == "__main__":
    main()
