"""A FracTrain paper row at small scale: FracTrain against static FW8/BW8 on ResNet-38, through a
CIFAR-10 folder in the standard python-pickle format that the test writes."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys

import numpy as np
import pytest


def write_cifar10(root, per_batch: int = 16, seed: int = 0) -> None:
    """data_batch_1..5 and test_batch with ``per_batch`` 32x32x3 images each (class-coloured)."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        labels = rng.integers(0, 10, per_batch)
        base = (labels[:, None] * 25).astype(np.int64)
        data = np.clip(base + rng.integers(0, 40, (per_batch, 3072)), 0, 255).astype(np.uint8)
        with (root / name).open("wb") as f:
            pickle.dump({b"data": data, b"labels": labels.tolist()}, f)


@pytest.mark.slow
def test_fractrain_against_fw8_bw8_on_resnet38_cifar_format(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    write_cifar10(folder)
    out = tmp_path / "row"
    r = subprocess.run([sys.executable, "-m", "host.cli", "train", "--model", "resnet38",
                        "--data", f"cifar10:{folder}", "--method", "fractrain", "--baseline",
                        "--iterations", "6", "--batch-size", "16", "--no-plots",
                        "--out", str(out)], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr[-3000:]
    doc = json.loads((out / "report.json").read_text())
    assert doc["model"] == "resnet38" and doc["recipe"] == "fractrain"
    assert doc["config"]["width"] == 16 and doc["config"]["weight_decay"] == 1e-4
    run = doc["runs"][0]["summary"]
    assert run["steps"] == 6 and run["eff_mac_saving"] > 0.5  # cp 1.5% of fp32 vs 6.25%
    paper = doc["paper_savings"]
    assert paper["runs"] == 1 and paper["eff_mac_saving"]["mean"] > 0
    assert "saving vs the static run, each to its best" in r.stdout
    assert "to best checkpoint" in r.stdout and "whole run" in r.stdout
