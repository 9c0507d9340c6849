"""Verilator speed on long jobs: clock cycles/s and a full FW layer through ``perf`` (JSON).

The default project (bits 3,4,6,8,12, ZC706, 8x8 tiles) runs one long FW pass (M rows, K=144,
N=16 at the 8x8 pair, the board's memory port, DDR in the HDL memory) with this checkout's
code, and, with ``--baseline CHECKOUT`` (for example ``git worktree add --detach /tmp/oldS
main``), the same pass with that checkout's code in the same run, each generating its own
project and building its own simulator; ``speedup`` is the ratio of their simulated clock
cycles per wall second (``sim_cycles_per_s`` of ``fracfpga perf``: AP_START to DONE; the
build, the image load and the dump are outside it). ``cpu_cycles_per_s`` divides by the
simulator's CPU time instead (this checkout only), a number that depends less on what else
the machine runs. Then a full ResNet-38 CIFAR stage-1 FW layer at batch 128 (M=131072, K=144,
N=16) goes through ``fracfpga perf`` as a user runs it, on the build the long job left
(``full_layer.seconds``: the command's whole wall time; ``--cold`` removes the build first).

    python bench/rtlsim_speed.py [--baseline /tmp/oldS] [--rows 8192] [--no-full] [--cold]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FULL_LAYER = (131072, 144, 16)
GENERATE = ["generate", "--bits", "3,4,6,8,12", "--board", "zc706", "--tiles", "8x8"]
TARGETS = {"cycles_per_s": 500_000, "full_layer_seconds": 60}

# Runs inside a checkout (argv: checkout, project, work, M): one perf pass with its code.
_LONG_JOB = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from codegen.render import load_project
from codegen.perf import PerfRequest, run_perf
t = time.perf_counter()
r = run_perf(load_project(Path(sys.argv[2])), PerfRequest(int(sys.argv[4]), 144, 16, 8, 8, "fw"),
             Path(sys.argv[3]))
keep = ("wall_cycles", "model_wall_cycles", "exact", "sim_seconds", "sim_cycles_per_s")
print(json.dumps({"seconds": time.perf_counter() - t, **{k: r[k] for k in keep}}))
"""
_CLI = "import sys; sys.path.insert(0, sys.argv.pop(1)); from host.cli import main; main()"


def _cli(checkout: Path, *args: str) -> tuple[str, float]:
    """Run ``fracfpga ARGS`` with ``checkout``'s code; its stdout and wall seconds."""
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", _CLI, str(checkout), *args], capture_output=True,
                       text=True, cwd=checkout)
    if r.returncode:
        sys.exit(f"fracfpga {' '.join(args)} failed in {checkout}:\n{r.stdout}{r.stderr}")
    return r.stdout, time.perf_counter() - t


def _json(text: str) -> dict:
    return json.loads(text[text.index("{"):])


def long_job(checkout: Path, work: Path, rows: int) -> dict:
    """Generate the default project with ``checkout``'s code and run the long FW pass."""
    project = work / "project"
    _cli(checkout, *GENERATE, "--out", str(project))
    r = subprocess.run([sys.executable, "-c", _LONG_JOB, str(checkout), str(project),
                        str(project / "sim" / "perf"), str(rows)], capture_output=True,
                       text=True, cwd=checkout)  # perf's own folder: the CLI reuses the build
    if r.returncode:
        sys.exit(f"the long job failed in {checkout}:\n{r.stdout[-2000:]}{r.stderr[-4000:]}")
    out = _json(r.stdout.strip().splitlines()[-1])
    results = sorted((project / "sim" / "perf").glob("*/jobs/results.json"),
                     key=lambda p: p.stat().st_mtime)
    cpu = json.loads(results[-1].read_text())[0].get("cpu_seconds") if results else None
    if cpu:
        out["cpu_seconds"] = cpu
        out["cpu_cycles_per_s"] = round(out["wall_cycles"] / cpu)
    out["seconds_with_build"] = out.pop("seconds")
    return out


def full_layer(work: Path, cold: bool) -> dict:
    """The full FW layer through ``fracfpga perf`` with this checkout, as a user runs it."""
    project = work / "project"
    if cold:
        shutil.rmtree(project / "sim", ignore_errors=True)
    m, k, n = FULL_LAYER
    text, seconds = _cli(ROOT, "perf", str(project), "--shape", f"{m},{k},{n}", "--pair", "8,8",
                         "--pass", "fw")
    r = _json(text)
    keep = ("wall_cycles", "model_wall_cycles", "exact", "sim_seconds", "sim_cycles_per_s")
    return {"shape": list(FULL_LAYER), "pair": [8, 8], "pass": "fw", "cold_build": cold,
            "seconds": round(seconds, 1), **{key: r[key] for key in keep}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", type=Path, help="a checkout of the code to compare against")
    ap.add_argument("--rows", type=int, default=8192, help="M of the long FW job")
    ap.add_argument("--no-full", action="store_true", help="skip the full-layer perf run")
    ap.add_argument("--cold", action="store_true", help="time the full layer with a cold build")
    ap.add_argument("--work", type=Path, help="work folder (default: a temporary one)")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="rtlsim_speed_"))
    report: dict = {"project": "bits 3,4,6,8,12, zc706, 8x8 tiles", "simulator": "verilator",
                    "long_job": {"shape": [args.rows, 144, 16], "pair": [8, 8], "pass": "fw"},
                    "targets": TARGETS, "cpus": os.cpu_count(),
                    "load_average_before": round(os.getloadavg()[0], 2)}
    if args.baseline:
        report["long_job"]["before"] = long_job(args.baseline.resolve(), work / "before",
                                                args.rows)
    report["long_job"]["after"] = after = long_job(ROOT, work / "after", args.rows)
    if args.baseline:
        before = report["long_job"]["before"]
        report["long_job"]["speedup"] = round(after["sim_cycles_per_s"] /
                                              before["sim_cycles_per_s"], 2)
    if not args.no_full:
        report["full_layer"] = full_layer(work / "after", args.cold)
    report["load_average_after"] = round(os.getloadavg()[0], 2)
    report["work"] = str(work)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
