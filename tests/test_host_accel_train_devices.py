"""Training on the accelerator backends (rtl, pynq) gives exactly the emulator's numbers.

``rtl`` runs selected layers of a few mini-batches on the generated Verilog under cocotb (one
program per pass); ``pynq`` runs every pass on a board, here the fake pynq whose kernel is the
emulator. Results are compared with ``==``: losses, accuracies, the ledger's cumulative costs,
precision histories and PSG stop rates.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import pytest

from fpga_model import Pass
from host.accel import passes
from host.accel.passes import PassSelection
from host.accel import AcceleratorUnavailable, target_names
from host.data import Dataset, load_data
from host.trainer import TrainConfig, check_config, train

HERE = Path(__file__).resolve().parent
FAKE = HERE / "fake_pynq"


def _simulator_or_skip() -> None:
    from codegen.rtlsim import simulator_available

    reason = simulator_available("icarus")
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="module")
def small() -> Dataset:
    d = load_data("digits")
    return Dataset(d.name, d.x_train[:48], d.y_train[:48], d.x_test[:16], d.y_test[:16],
                   d.num_classes)


@pytest.fixture
def spy(monkeypatch):
    """The descriptors that went to the accelerator (not to the emulator fallback)."""
    seen = []
    run = passes.PassRunner.run

    def recording(self, jobs):
        seen.extend((self.acc.backend, j.descriptor) for j in jobs)
        return run(self, jobs)

    monkeypatch.setattr(passes.PassRunner, "run", recording)
    return seen


def _same(a, b) -> None:
    assert a.train_loss == b.train_loss
    assert a.test_acc == b.test_acc
    assert a.cumulative == b.cumulative
    assert a.precision == b.precision
    assert a.series == b.series
    assert a.ledger.totals() == b.ledger.totals()


def test_backends_are_registered():
    assert {"emulator", "rtl", "pynq"} <= set(target_names())


def test_pass_selection():
    s = PassSelection.parse("last", "2")
    picks = [s.wants(layer, int(p)) for layer, p in [
        (0, Pass.FW), (9, Pass.FW), (9, Pass.GC), (9, Pass.EB), (8, Pass.GC),  # batch 1
        (9, Pass.FW), (9, Pass.GC), (9, Pass.EB),  # batch 2
        (9, Pass.FW), (9, Pass.GC)]]  # batch 3: FW's second, GC over the limit
    assert picks == [False, False, True, True, False, True, True, True, True, False]
    assert s.runs == 6
    s = PassSelection.parse("0,8", "0")
    assert all(s.wants(8, 0) for _ in range(5)) and not s.wants(9, 0)
    assert PassSelection.parse(None, None).wants(3, 1)
    with pytest.raises(Exception, match=r"^layer selection 'x' is not 'all', 'last' or layer "
                                        r"ids such as 0,9$"):
        PassSelection.parse("x", None)


def test_pynq_backend_without_pynq(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynq", None)
    with pytest.raises(AcceleratorUnavailable, match=r"^backend 'pynq' is not available: pynq is not "
                                                 r"installed$"):
        check_config(TrainConfig(backend="pynq"))


def test_train_on_the_pynq_backend_equals_the_emulator(monkeypatch, tmp_path, small, spy):
    from codegen.render import render_project
    from fpga_model import ArrayConfig
    from host.accel.overlay import part_key

    sys.path.insert(0, str(HERE))
    from fake_pynq.board_files import write_overlay

    monkeypatch.syspath_prepend(str(FAKE))
    monkeypatch.delitem(sys.modules, "pynq", raising=False)
    fake = importlib.import_module("pynq")
    fake.DEVICE = fake.EmulatedDevice()
    cfg = TrainConfig(method="pfq+psg", epochs=1, batch_size=16, width=4)
    proj = render_project(ArrayConfig(bits=cfg.bits, board=cfg.board), tmp_path / "board")
    write_overlay(proj.root, part_key(proj.manifest["board"]["part"]))
    monkeypatch.setenv("FRACFPGA_PYNQ_PROJECT", str(proj.root))
    on_board = train(TrainConfig(**{**cfg.to_dict(), "backend": "pynq"}), small)
    emulated = train(cfg, small)
    _same(on_board, emulated)
    kinds = {(d.pass_, d.early_stop) for _, d in spy}
    assert {(Pass.FW, False), (Pass.EB, False), (Pass.GC, True)} <= kinds
    assert len(spy) == on_board.ledger.totals()[0].passes + 10  # + the test set's FW passes
    sys.modules.pop("pynq", None)


@pytest.mark.sim
def test_train_on_the_rtl_backend_equals_the_emulator(monkeypatch, small, spy):
    _simulator_or_skip()
    monkeypatch.setenv("FRACFPGA_RTL_LAYERS", "8")  # the last shortcut conv: PSG early stop
    monkeypatch.setenv("FRACFPGA_RTL_BATCHES", "2")
    cfg = TrainConfig(method="pfq+psg", epochs=1, batch_size=16, width=4)
    on_rtl = train(TrainConfig(**{**cfg.to_dict(), "backend": "rtl"}), small)
    emulated = train(cfg, small)
    _same(on_rtl, emulated)
    ran = [(d.layer, d.pass_, d.early_stop) for _, d in spy]
    assert ran == [(8, Pass.FW, False), (8, Pass.GC, False), (8, Pass.EB, False),
                   (8, Pass.FW, False), (8, Pass.GC, True), (8, Pass.EB, False)]
    assert {b for b, _ in spy} == {"rtl"}


@pytest.mark.sim
def test_train_command_on_rtl(monkeypatch, tmp_path, spy):
    """``fracfpga train --backend rtl``: the classifier of the first mini-batch on the RTL."""
    _simulator_or_skip()
    from typer.testing import CliRunner

    from host.cli import app

    monkeypatch.setenv("FRACFPGA_RTL_LAYERS", "last")
    monkeypatch.setenv("FRACFPGA_RTL_BATCHES", "1")
    reports = {}
    for backend in ("rtl", "emulator"):
        out = tmp_path / backend
        r = CliRunner().invoke(app, ["train", "--backend", backend, "--epochs", "1", "--method",
                                     "pfq+psg", "--no-plots", "--out", str(out)])
        assert r.exit_code == 0, r.output
        reports[backend] = json.loads((out / "report.json").read_text())
    assert [(d.layer, d.pass_) for _, d in spy] == [(9, Pass.GC), (9, Pass.EB), (9, Pass.FW)]
    for rep in reports.values():
        for key in ("backend",):
            rep.pop(key)
        rep["config"].pop("backend")
        for run in rep["runs"]:
            run["summary"].pop("train_seconds")
    assert reports["rtl"] == reports["emulator"]
