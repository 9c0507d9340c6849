"""CUDA: the same integers and costs as on the CPU. Runs where torch sees a GPU (none here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from fpga_model import ArrayConfig, Pass
from host.accel.emulator import EmulatorTarget
from host.data import Dataset, load_data
from host.driver import Driver
from host.trainer import TrainConfig, train

pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


def test_a_pass_on_cuda_gives_the_cpu_integers():
    cfg = ArrayConfig()
    gen = torch.Generator().manual_seed(0)
    a = torch.randint(-8, 8, (64, 72), generator=gen, dtype=torch.int8)
    b = torch.randint(-8, 8, (72, 16), generator=gen, dtype=torch.int8)
    outs = []
    for device in ("cpu", "cuda"):
        drv = Driver(cfg, EmulatorTarget(cfg))
        res = drv.run_pass(1, Pass.FW, a.to(device), b.to(device), 4, 4, a_signed=True,
                           b_signed=True)
        outs.append((res.values.cpu(), res.counters))
    assert torch.equal(outs[0][0], outs[1][0]) and outs[0][1] == outs[1][1]


def test_training_on_cuda_charges_what_the_cpu_charges():
    d = load_data("digits")
    small = Dataset("digits", d.x_train[:96], d.y_train[:96], d.x_test[:40], d.y_test[:40], 10)
    runs = [train(TrainConfig(method="pfq", iterations=3, batch_size=32, width=4,
                              device=device), small) for device in ("cpu", "cuda")]
    assert runs[0].ledger.totals() == runs[1].ledger.totals()
    assert 0 <= runs[1].final_acc <= 100


def test_train_step_bench_takes_cuda():
    bench = Path(__file__).resolve().parents[1] / "bench" / "train_step.py"
    r = subprocess.run([sys.executable, str(bench), "--device", "cuda", "--steps", "2"],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["device"] == "cuda" and out["target"] == 1.5 and out["ratio"] > 0


def test_a_relative_tau_on_cuda_gives_the_cpu_integers():
    """PSG's current-step tau: the prefix maximum, the stops and the counters on the GPU."""
    from fpga_model import gemm

    cfg = ArrayConfig()
    gen = torch.Generator().manual_seed(1)
    a = torch.randint(0, 256, (48, 200), generator=gen, dtype=torch.int32)
    b = torch.randint(-(1 << 11), 1 << 11, (200, 24), generator=gen, dtype=torch.int32)
    outs = [gemm(cfg, a.to(device), b.to(device), 8, 12, a_signed=False, prefix=(2, 6),
                 tau_rel=3277) for device in ("cpu", "cuda")]
    cpu, gpu = outs
    assert torch.equal(torch.as_tensor(cpu.values).cpu(), torch.as_tensor(gpu.values).cpu())
    assert (cpu.stopped == gpu.stopped).all() and cpu.counters == gpu.counters
    assert 0 < cpu.counters["stopped"] < 48 * 24 and cpu.counters["prefix_max"] > 0


def test_psg_with_the_current_step_tau_trains_on_cuda():
    """The rounding draws come from a CUDA generator there, so the values differ from a CPU
    run's; the prefix still decides outputs and their signs agree with the fp32 gradient."""
    from host.controllers.psg import PSGConfig

    d = load_data("digits")
    small = Dataset("digits", d.x_train[:96], d.y_train[:96], d.x_test[:40], d.y_test[:40], 10)
    run = train(TrainConfig(method="psg", iterations=3, batch_size=32, width=4, device="cuda",
                            psg=PSGConfig(tau_step="current")), small)
    assert min(run.series["psg_stopped"]) > 0.3 and min(run.series["psg_agree"]) > 0.8
    assert len(run.series["psg_agree"]) == 3  # one figure a step
