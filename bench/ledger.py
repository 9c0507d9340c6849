"""What the ledger costs: its share of a training step, and the RTL walks behind its latency.

The ledger charges every executed pass with the RTL's wall clock (``fpga_model.pipeline.rtl_wall``,
a Python walk over the output blocks), cached by shape, widths, pass, prefix and block-skip grid.
This prints one JSON document with:

  ledger_ms_per_step   one step's records and baseline (ResNet-8 on digits, batch 128: the
                       step of bench/train_step.py), once every shape is cached
  first_step_ms        the same step with an empty cache (every shape walked once)
  walks                rtl_wall of large ResNet-38 CIFAR passes at batch 128 on the board's
                       port: seconds of the first (uncached) walk and of a cached lookup, with
                       the wall clock beside the engine cycles and the roofline

    .venv/bin/python bench/ledger.py
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from fpga_model import ArrayConfig, Descriptor, Pass, latency_seconds, pass_counters  # noqa: E402
from host.accel.emulator import EmulatorTarget  # noqa: E402
from host.driver import Driver  # noqa: E402
from host.layers import ArrayEngine, Runtime  # noqa: E402
from host.ledger import Ledger  # noqa: E402
from host.models import build_model  # noqa: E402
from host.threads import set_threads  # noqa: E402

# (pass, M, K, N): ResNet-38 CIFAR at batch 128, the first stage's FW and the last stage's GC
LARGE = ((Pass.FW, 131072, 144, 16), (Pass.GC, 576, 131072, 64))


def _step_records(cfg: ArrayConfig, batch: int) -> tuple[list, list]:
    """The (descriptor, counters, stop mask) of one emulated ResNet-8 step, and its GEMM shapes."""
    calls: list = []

    class Recording(Ledger):
        def record(self, d, counters, stopped=None):
            calls.append((d, counters, stopped))
            return super().record(d, counters, stopped)

    driver = Driver(cfg, EmulatorTarget(cfg), Recording(cfg))
    rt = Runtime(engine=ArrayEngine(driver), generator=torch.Generator().manual_seed(1))
    torch.manual_seed(0)
    model = build_model("resnet8", 1, 10, 8, rt, 8)
    x, y = torch.randn(batch, 1, 8, 8), torch.randint(0, 10, (batch,))
    driver.begin_batch()
    F.cross_entropy(model(x), y).backward()
    return calls, model.gemm_shapes(batch)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=500)
    args = ap.parse_args(argv)
    set_threads(1)
    cfg = ArrayConfig()
    calls, shapes = _step_records(cfg, args.batch)

    def step(led: Ledger) -> None:
        for d, counters, stopped in calls:
            led.record(d, counters, stopped)
        led.record_baseline(shapes)

    led = Ledger(cfg)
    t0 = time.perf_counter()
    step(led)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(args.steps):
        step(led)
    per = (time.perf_counter() - t0) / args.steps

    big = ArrayConfig(bits=(3, 4, 6, 8, 12))
    walks = []
    for p, m, k, n in LARGE:
        for a, b in ((8, 8), (4, 6)):
            led = Ledger(big)
            d = Descriptor(m=m, n=n, k=k, a_bits=a, b_bits=b, pass_=p)
            c = pass_counters(big, m, n, k, a, b, None, None)
            t0 = time.perf_counter()
            w = led.wall(d)
            t1 = time.perf_counter()
            led.wall(d)
            t2 = time.perf_counter()
            walks.append({"pass": p.name, "shape": [m, k, n], "pair": [a, b],
                          "first_walk_s": round(t1 - t0, 3),
                          "cached_us": round((t2 - t1) * 1e6, 1),
                          "wall_cycles": w.cycles, "engine_cycles": c["cycles"],
                          "roofline_cycles": round(latency_seconds(big, c) * big.clock_hz),
                          "bus_bytes": w.bus_bytes})
    out = {"benchmark": "ledger", "model": "resnet8", "shape": "digits", "batch": args.batch,
           "records_per_step": len(calls), "ledger_ms_per_step": round(per * 1e3, 4),
           "first_step_ms": round(first * 1e3, 1), "walks": walks,
           "torch": torch.__version__, "python": platform.python_version()}
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
