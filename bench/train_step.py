"""Time one emulated training step against one plain float step of the same model and batch.

The emulated step quantizes, runs all three GEMMs of every layer as bit-exact integer GEMMs on
the emulator backend and charges the ledger; the float step is the same network with plain
``F.conv2d`` layers. Both are timed in the same run, interleaved, and the ratio of the medians
is printed as JSON (target: <= 2 on CPU, <= 1.5 on CUDA). ``--model`` takes any model
``fracfpga train`` takes (a built-in name or package.module:factory).

    .venv/bin/python bench/train_step.py [--model resnet8 --shape digits --batch 128 ...]
    .venv/bin/python bench/train_step.py --model resnet38 --shape cifar --device cuda
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from fpga_model import ArrayConfig  # noqa: E402
from host.accel.emulator import EmulatorTarget  # noqa: E402
from host.driver import Driver  # noqa: E402
from host.layers import PLAIN, ArrayEngine, Runtime  # noqa: E402
from host.ledger import Ledger  # noqa: E402
from host.models import build_model  # noqa: E402
from host.threads import set_threads  # noqa: E402

SHAPES = {"digits": (1, 8, 10), "cifar": (3, 32, 10)}


def _step_fn(engine: str, args, cfg: ArrayConfig):
    chans, size, classes = SHAPES[args.shape]
    ledger = Ledger(cfg)
    driver = Driver(cfg, EmulatorTarget(cfg), ledger)
    device = torch.device(args.device)
    rt = Runtime(engine=ArrayEngine(driver) if engine == "array" else PLAIN,
                 generator=torch.Generator(device=device).manual_seed(1))
    torch.manual_seed(0)
    model = build_model(args.model, chans, classes, args.width, rt, size).to(device)
    for layer in model.layers():
        p = layer.plan
        p.a_bits, p.w_bits, p.g_bits = args.fw, args.fw, args.bw
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(args.batch, chans, size, size, generator=gen).to(device)
    y = torch.randint(0, classes, (args.batch,), generator=gen).to(device)
    shapes = model.gemm_shapes(args.batch)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    def step() -> float:
        sync()
        t0 = time.perf_counter()
        driver.begin_batch()
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
        ledger.record_baseline(shapes)
        sync()
        return time.perf_counter() - t0
    return step


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="resnet8")
    ap.add_argument("--shape", choices=sorted(SHAPES), default="digits")
    ap.add_argument("--width", type=int, default=8)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--fw", type=int, default=8, help="activation/weight bits")
    ap.add_argument("--bw", type=int, default=8, help="error bits")
    ap.add_argument("--steps", type=int, default=15)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    args = ap.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        ap.error("--device cuda but torch sees no CUDA device; use --device cpu")
    set_threads(args.threads)
    cfg = ArrayConfig()
    emulated, plain = _step_fn("array", args, cfg), _step_fn("plain", args, cfg)
    for _ in range(3):
        emulated()
        plain()
    te, tp = [], []
    for _ in range(args.steps):
        te.append(emulated())
        tp.append(plain())
    e, p = statistics.median(te), statistics.median(tp)
    out = {
        "benchmark": "train_step",
        "model": args.model, "shape": args.shape, "width": args.width, "batch": args.batch,
        "fw_bits": args.fw, "bw_bits": args.bw, "threads": args.threads,
        "emulated_step_ms": round(e * 1e3, 2), "float_step_ms": round(p * 1e3, 2),
        "ratio": round(e / p, 2), "target": 1.5 if args.device == "cuda" else 2.0,
        "device": args.device, "steps": args.steps,
        "torch": torch.__version__, "python": platform.python_version(),
    }
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
