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


@pytest.mark.parametrize("args, message", [
    (["--model", "nope"], "error: unknown model 'nope'; known models: resnet8, resnet20, "
                          "resnet38, resnet74, resnet110, resnet164, mobilenetv2"),
    (["--method", "fast+pfq"], "error: unknown method 'fast'; choose one of static, pfq, dfq, "),
    (["--recipe", "slow"], "error: unknown recipe 'slow'; use quick, fractrain, e2train"),
    (["--set", "pfq.eps"], "error: --set 'pfq.eps' is not CONTROLLER.FIELD=VALUE"),
    (["--set", "xyz.eps=1"], "error: --set 'xyz.eps=1': unknown controller 'xyz'"),
    (["--method", "static", "--set", "pfq.eps=1"], "error: --set 'pfq.eps=1': the method does "
                                                   "not switch pfq on"),
])
def test_names_are_checked_before_torch_is_imported(args, message):
    code = ("import sys\nfrom host.cli import main\ntry:\n    main(['train', *sys.argv[1:]])\n"
            "except SystemExit as e:\n    print('torch' in sys.modules, e.code)\n")
    r = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                       check=False)
    assert r.stdout.strip() == "False 2", (r.stdout, r.stderr)
    assert r.stderr.startswith(message), r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


TESTS = str(__import__("pathlib").Path(__file__).parent)


def _byo(*args: str) -> subprocess.CompletedProcess:
    env = {**__import__("os").environ, "PYTHONPATH": TESTS}
    return subprocess.run([sys.executable, "-m", "host.cli", "train", *args],
                          capture_output=True, text=True, check=False, env=env)


@pytest.mark.parametrize("args, message", [
    (["--model", "byo_models:plain_cnn", "--method", "dfq"],
     "error: dfq needs residual blocks to gate and model 'byo_models:plain_cnn' has none; "
     "use static, pfq, psg or smd with it"),
    (["--model", "byo_models:plain_cnn", "--method", "e2train"],
     "error: slu needs residual blocks to gate and model 'byo_models:plain_cnn' has none"),
    (["--model", "no_such_pkg:f"], "error: model 'no_such_pkg:f': cannot import "
                                   "'no_such_pkg'"),
    (["--set", "pfq.eps=x"], "error: --set pfq.eps=x: 'x' is not a number; give a float"),
    (["--set", "dfq.gamma=1"], "error: --set dfq.gamma: dfq has no setting 'gamma'; settings: "),
])
def test_models_and_settings_are_refused_in_one_line_before_training(args, message, tmp_path):
    r = _byo(*args, "--out", str(tmp_path / "r"))
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith(message), r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not (tmp_path / "r").exists()


def test_imported_model_trains_with_the_controllers_that_apply(tmp_path):
    out = tmp_path / "byo"
    r = _byo("--model", "byo_models:plain_cnn", "--method", "pfq+psg+smd", "--epochs", "1",
             "--batch-size", "128", "--set", "pfq.mode=fixed", "--set", "smd.p=0.25",
             "--no-plots", "--out", str(out))
    assert r.returncode == 0, r.stderr
    doc = json.loads((out / "report.json").read_text())
    assert doc["model"] == "byo_models:plain_cnn" and doc["config"]["smd"]["p"] == 0.25
    assert doc["config"]["pfq"]["mode"] == "fixed"
    names = {row["name"] for row in doc["runs"][0]["per_layer"]}
    assert names == {"net.0.layer", "net.4.layer"}  # the conv and the classifier
    out2 = tmp_path / "res"
    r = _byo("--model", "byo_models:tiny_resnet", "--method", "fractrain", "--iterations", "3",
             "--batch-size", "64", "--no-plots", "--out", str(out2))
    assert r.returncode == 0, r.stderr
    doc = json.loads((out2 / "report.json").read_text())
    assert doc["float_layers"] == ["net.dw"] and doc["runs"][0]["dfq_cp_mean"] > 0
    assert doc["runs"][0]["summary"]["steps"] == 3


def test_show_settings_lists_every_controller_field():
    r = fracfpga("train", "--show-settings")
    assert r.returncode == 0, r.stderr
    for text in ("pfq.eps", "pfq.alpha", "pfq.mode", "dfq.beta", "dfq.target", "smd.p",
                 "slu.beta", "slu.target", "psg.", "tuple[int, ...]"):
        assert text in r.stdout
