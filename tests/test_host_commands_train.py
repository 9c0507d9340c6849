"""``fracfpga train`` end to end: a table and a report on success, one-line errors with status 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def fracfpga(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "host.cli", *args], capture_output=True,
                          text=True, check=False, cwd=cwd)


def test_train_writes_table_report_and_plots(tmp_path):
    out = tmp_path / "rep"
    r = fracfpga("train", "--method", "fractrain", "--epochs", "1", "--batch-size", "128",
                 "--width", "4", "--seeds", "0,1", "--out", str(out))
    assert r.returncode == 0, r.stderr
    for text in ("final test accuracy", "effective-MAC saving", "modeled latency saving",
                 "modeled energy saving", "±"):
        assert text in r.stdout
    doc = json.loads((out / "report.json").read_text())
    assert doc["aggregate"]["seeds"] == [0, 1] and doc["backend"] == "emulator"
    assert (out / "precision.png").exists() and (out / "cost.png").exists()


@pytest.mark.parametrize("args, message", [
    (["--model", "vgg"], "error: unknown model 'vgg'; known models: resnet8, resnet20, resnet38"),
    (["--method", "fast"], "error: unknown method 'fast'; choose one of static, pfq, dfq, "),
    (["--backend", "fpga"], "error: unknown backend 'fpga'; backends: emulator, rtl, pynq, "
                            "auto"),
    (["--bits", "3,4,6,12"], "error: bit-width 8 is not in the supported set 3,4,6,12; "
                             "regenerate with --bits 3,4,6,8,12"),
    (["--data", "cifar10:/no/such/dir"], "error: cifar10 folder '/no/such/dir' does not exist; "
                                         "extract cifar-10-python.tar.gz"),
    (["--seeds", "0,x"], "error: --seeds '0,x' is not a comma-separated list of integers"),
    (["--device", "tpu"], "error: unknown device 'tpu'; use cpu or cuda"),
    (["--static-bits", "8,10"], "error: bit-width 10 is not in the supported set 3,4,6,8,12"),
])
def test_bad_input_is_one_line_with_status_2(args, message):
    r = fracfpga("train", *args)
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith(message), r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
