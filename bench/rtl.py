"""RTL simulation speed, Icarus against Verilator, and the model-vs-RTL cycle agreement (JSON).

For each tile grid it generates the project, builds the RTL for both simulators (cold, in a
fresh folder, then an unchanged rebuild) and replays the same shared vector jobs on both in this
run. Speeds: simulated clock cycles per wall second (DMA included; the test bench's AXI models
run in Python), engine cycles and MACs per second. ``cycle_agreement`` counts the jobs whose
CYCLES register equals the model's cycle count (fpga_model.cycles) with ``==``; every job must
also leave the model's DDR image byte for byte (``all_passed``).

    python bench/rtl.py [--bits 3,4,6,8,12] [--tiles 2x3,8x8] [--board zc706]

``--targets`` instead measures the wall-clock targets (``fracfpga perf`` on Verilator, default
8x8 project, the board's memory-port model): for the FW, EB and GC passes of a ResNet-38 CIFAR
stage at batch 128 and each width pair, wall cycles against max(compute roof, memory roof)
(target <= 1.25x) and the 8-bit over 4-bit wall ratio against the roofs' ratio (target >= 0.8x).
By default the layers are full size (a full FW or GC layer simulates in 5-15 s on Verilator;
the table takes about 3 minutes). ``--scale`` divides the batch dimension (M of FW/EB, K of GC)
for a quicker look; roofs are computed for the scaled shape. Scaling is not neutral for GC: at
K 256 both operands fit one K segment and stay on chip, while a full GC layer (K 131072) runs
K outer (``fpga_model.wall.k_outer_chunks``), so only the full size measures that order.

    python bench/rtl.py --targets [--stage 16] [--scale 1] [--pairs 3x6,4x6,...]

``--design`` prints the same table predicted by the second-generation design model
(``fpga_model.pipeline``: weight stripe stationary for FW/EB, K outer for GC, decoupled
double-buffered stages) at full batch, with no simulation: the specification the next RTL is
to meet.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

# bench/ also holds codegen.py: take this folder off the import path so that ``codegen`` is
# the package (the repository root or the install).
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from codegen import rtlsim  # noqa: E402
from codegen.perf import PerfRequest, run_perf  # noqa: E402
from codegen.render import render_project  # noqa: E402
from codegen.vectors import read_jobs  # noqa: E402
from fpga_model import ArrayConfig, parse_bits, parse_tiles  # noqa: E402


def bench_sim(project, sim: str, work: Path) -> dict:
    """Cold build, warm rebuild, and one replay of every job on ``sim``."""
    build_dir = work / sim
    shutil.rmtree(build_dir, ignore_errors=True)
    t = time.perf_counter()
    build = rtlsim.build_rtl(project, sim, build_dir=build_dir)
    cold = time.perf_counter() - t
    t = time.perf_counter()
    build = rtlsim.build_rtl(project, sim, build_dir=build_dir)
    warm = time.perf_counter() - t
    t = time.perf_counter()
    outcomes = rtlsim.run_rtl_jobs(project, sim, build=build)
    total = time.perf_counter() - t
    raw = rtlsim.job_results(build)
    model = {j.name: j.status.cycles for j in read_jobs(project.vectors)}
    run_s = sum(r["seconds"] for r in raw)
    clock = sum(r["clock_cycles"] for r in raw)
    engine = sum(o.cycles for o in outcomes)
    macs = sum(o.macs for o in outcomes)
    return {
        "build_cold_s": round(cold, 2),
        "build_warm_s": round(warm, 2),
        "simulation_wall_s": round(total, 2),  # simulator start-up included
        "jobs_s": round(run_s, 3),
        "clock_cycles": clock,
        "clock_cycles_per_s": round(clock / run_s, 1),
        "engine_cycles": engine,
        "engine_cycles_per_s": round(engine / run_s, 1),
        "macs_per_s": round(macs / run_s, 1),
        "all_passed": all(o.passed for o in outcomes),
        "cycles_equal_model": sum(o.cycles == model[o.job] for o in outcomes),
        "jobs": {o.job: {"passed": o.passed, "rtl_cycles": o.cycles, "model_cycles": model[o.job],
                         "clock_cycles": r["clock_cycles"], "seconds": round(o.seconds, 3)}
                 for o, r in zip(outcomes, raw)},
    }


TARGET_PAIRS = "3x6,4x6,4x8,6x8,6x12,8x8,4x4"
STAGE_HW = {16: 32, 32: 16, 64: 8}  # ResNet-38 CIFAR: channels -> feature map side
BATCH = 128


def target_shapes(channels: int, scale: int) -> list[tuple[str, int, int, int]]:
    """(pass, M, K, N) of one 3x3 conv of the stage, the batch dimension divided by scale."""
    hw = STAGE_HW[channels]
    rows = max(1, BATCH * hw * hw // scale)
    return [("fw", rows, 9 * channels, channels), ("eb", rows, 9 * channels, channels),
            ("gc", 9 * channels, rows, channels)]


def bench_targets(args) -> dict:
    """Wall cycles of each pass and pair against the roofs (see the module docstring)."""
    pairs = [tuple(int(v) for v in p.split("x")) for p in args.pairs.split(",")]
    cfg = ArrayConfig(bits=parse_bits(args.bits), board=args.board)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-rtl-targets-") as tmp:
        project = render_project(cfg, Path(tmp) / cfg.name)
        for pass_, m, k, n in target_shapes(args.stage, args.scale):
            walls = {}
            for a_bits, b_bits in pairs:
                r = run_perf(project, PerfRequest(m, k, n, a_bits, b_bits, pass_, sim="verilator"),
                             Path(tmp) / "perf")
                roof = max(r["compute_roof_cycles"], r["memory_roof_cycles"])
                walls[(a_bits, b_bits)] = (r["wall_cycles"], roof)
                rows.append({"pass": pass_, "shape": [m, k, n], "pair": [a_bits, b_bits],
                             "wall_cycles": r["wall_cycles"],
                             "model_wall_cycles": r["model_wall_cycles"],
                             "model_over_wall": round(r["model_wall_cycles"] / r["wall_cycles"], 4),
                             "counters": r["counters"],
                             "model_counters": r["model_counters"],
                             "compute_roof_cycles": r["compute_roof_cycles"],
                             "memory_roof_cycles": round(r["memory_roof_cycles"], 1),
                             "wall_over_roof": round(r["wall_cycles"] / roof, 2),
                             "meets_1_25": r["wall_cycles"] <= 1.25 * roof,
                             "engine_cycles": r["engine_cycles"],
                             "axi_bytes": r["axi_read_bytes"] + r["axi_write_bytes"],
                             "model_dram_bytes": r["model_dram_bytes"], "exact": r["exact"]})
            if (8, 8) in walls and (4, 4) in walls:
                (w8, r8), (w4, r4) = walls[(8, 8)], walls[(4, 4)]
                rows.append({"pass": pass_, "speedup_4_over_8": round(w8 / w4, 2),
                             "roof_ratio": round(r8 / r4, 2),
                             "meets_0_8": w8 / w4 >= 0.8 * r8 / r4})
    return {"benchmark": "rtl wall-clock targets", "config": repr(cfg),
            "port": f"{cfg.board_info.port}, {cfg.board_info.port_gbps} GB/s sustained",
            "stage_channels": args.stage, "batch_divided_by": args.scale, "rows": rows,
            "all_meet": all(r.get("meets_1_25", r.get("meets_0_8", True)) for r in rows)}


def design_targets(args) -> dict:
    """The targets table as the second-generation design model predicts it (full batch)."""
    from fpga_model.pipeline import plan_pass
    from fpga_model.wall import compute_roof_cycles, memory_roof_cycles

    pairs = [tuple(int(v) for v in p.split("x")) for p in args.pairs.split(",")]
    cfg = ArrayConfig(bits=parse_bits(args.bits), board=args.board)
    rows = []
    for channels in sorted(STAGE_HW):
        for pass_, m, k, n in target_shapes(channels, 1):
            walls = {}
            for a_bits, b_bits in pairs:
                plan = plan_pass(cfg, m, n, k, a_bits, b_bits, pass_)
                roof = max(compute_roof_cycles(cfg, m, n, k, a_bits, b_bits),
                           memory_roof_cycles(cfg, m, n, k, a_bits, b_bits))
                walls[(a_bits, b_bits)] = (plan.wall_cycles, roof)
                rows.append({"stage": channels, "pass": pass_, "shape": [m, k, n],
                             "pair": [a_bits, b_bits], "dataflow": plan.dataflow,
                             "wall_cycles": plan.wall_cycles,
                             "wall_over_roof": round(plan.wall_cycles / roof, 3),
                             "meets_1_25": plan.wall_cycles <= 1.25 * roof})
            if (8, 8) in walls and (4, 4) in walls:
                (w8, r8), (w4, r4) = walls[(8, 8)], walls[(4, 4)]
                rows.append({"stage": channels, "pass": pass_,
                             "speedup_4_over_8": round(w8 / w4, 2), "roof_ratio": round(r8 / r4, 2),
                             "meets_0_8": w8 / w4 >= 0.8 * r8 / r4})
    return {"benchmark": "second-generation design model, wall-clock targets", "config": repr(cfg),
            "port": f"{cfg.board_info.port}, {cfg.board_info.port_gbps} GB/s sustained",
            "rows": rows,
            "all_meet": all(r.get("meets_1_25", r.get("meets_0_8", True)) for r in rows)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bits", default="3,4,6,8,12")
    ap.add_argument("--board", default="zc706")
    ap.add_argument("--tiles", default="2x3,8x8", help="comma-separated tile grids")
    ap.add_argument("--targets", action="store_true", help="the wall-clock targets table")
    ap.add_argument("--stage", type=int, default=16, choices=sorted(STAGE_HW))
    ap.add_argument("--scale", type=int, default=1,
                    help="divide the batch dimension by this (1: full layers)")
    ap.add_argument("--pairs", default=TARGET_PAIRS)
    ap.add_argument("--design", action="store_true", help="the targets table, design model")
    args = ap.parse_args()
    if args.design:
        print(json.dumps(design_targets(args), indent=1))
        return
    if args.targets:
        print(json.dumps(bench_targets(args), indent=1))
        return
    missing = {s: rtlsim.simulator_available(s) for s in rtlsim.SIMULATORS}
    missing = {s: why for s, why in missing.items() if why}
    if missing:
        sys.exit("error: " + "; ".join(missing.values()))

    results = []
    agree = total = 0
    with tempfile.TemporaryDirectory(prefix="bench-rtl-") as tmp:
        for grid in args.tiles.split(","):
            cfg = ArrayConfig(bits=parse_bits(args.bits), board=args.board,
                              tiles=parse_tiles(grid))
            project = render_project(cfg, Path(tmp) / cfg.name)
            sims = {s: bench_sim(project, s, Path(tmp) / f"{cfg.name}-sim") for s in
                    rtlsim.SIMULATORS}
            for s in sims.values():
                agree += s["cycles_equal_model"]
                total += len(s["jobs"])
            results.append({
                "config": repr(cfg),
                "tiles": grid,
                "simulators": sims,
                "verilator_over_icarus_clock_cycles_per_s": round(
                    sims["verilator"]["clock_cycles_per_s"]
                    / sims["icarus"]["clock_cycles_per_s"], 2),
            })
    print(json.dumps({
        "benchmark": "rtl simulation",
        "cpus": os.cpu_count(),
        "results": results,
        "cycle_agreement": {"job_runs": total, "rtl_cycles_equal_model": agree,
                            "all_equal": agree == total},
        "all_passed": all(s["all_passed"] for r in results for s in r["simulators"].values()),
    }, indent=2))


if __name__ == "__main__":
    main()
