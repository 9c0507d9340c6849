"""Reports: mean ± std over seeds, report.json and the PNG plots."""

from __future__ import annotations

import json

import pytest
import torch

from host.data import Dataset, load_data
from host.report import aggregate, default_report_dir, summary, write_report
from host.trainer import TrainConfig, train


@pytest.fixture(scope="module")
def runs():
    d = load_data("digits")
    small = Dataset("digits", d.x_train[:64], d.y_train[:64], d.x_test[:32], d.y_test[:32], 10)
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return [train(TrainConfig(method="fractrain", epochs=2, batch_size=32, width=4, seed=s),
                      small) for s in (0, 1)]
    finally:
        torch.set_num_threads(old)


def test_aggregate_is_mean_and_sample_std(runs):
    agg = aggregate(runs)
    accs = [r.final_acc for r in runs]
    mean = sum(accs) / 2
    assert agg["seeds"] == [0, 1] and agg["final_acc"]["mean"] == pytest.approx(mean)
    assert agg["final_acc"]["std"] == pytest.approx(abs(accs[0] - accs[1]) / 2 ** 0.5)
    s = summary(runs[0])
    assert s["eff_mac_saving"] == pytest.approx(1 - s["eff_macs"] / s["baseline_eff_macs"])


def test_report_json_and_plots(runs, tmp_path):
    path = write_report(runs, tmp_path / "rep")
    doc = json.loads(path.read_text())
    assert doc["method"] == "fractrain" and len(doc["runs"]) == 2
    assert doc["aggregate"]["eff_mac_saving"]["mean"] > 0
    assert set(doc["plots"]) == {"precision.png", "cost.png", "accuracy.png"}
    for name in doc["plots"]:
        data = (tmp_path / "rep" / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000
    run = doc["runs"][0]
    assert run["per_layer"][0]["name"] == "stem" and run["dfq_cp_mean"] > 0
    assert len(run["precision_per_epoch"]) == 2
    no_plots = write_report(runs[:1], tmp_path / "np", plots=False)
    assert json.loads(no_plots.read_text())["plots"] == []
    assert not (tmp_path / "np" / "cost.png").exists()


def test_default_report_dir():
    assert str(default_report_dir("fractrain", "digits", [3])) == "reports/fractrain-digits-seed3"
    assert str(default_report_dir("pfq+psg", "cifar10:/d", [0, 1, 2])) == \
        "reports/pfq_psg-cifar10-seeds0-1-2"


def test_report_with_baseline_and_controllers(runs, tmp_path):
    d = load_data("digits")
    small = Dataset("digits", d.x_train[:64], d.y_train[:64], d.x_test[:32], d.y_test[:32], 10)
    e2 = [train(TrainConfig(method="e2train", epochs=2, batch_size=16, width=4, seed=s), small)
          for s in (0, 1)]
    assert all(len(c) == 7 for r in e2 for c in r.cumulative)  # latency recorded per step
    out = tmp_path / "rep"
    (out).mkdir()
    (out / "report.json").write_text("{}")
    (out / "stale.png").write_bytes(b"old")  # an earlier report's plot
    doc = json.loads(write_report(e2, out, baseline=runs).read_text())
    assert set(doc["plots"]) == {"precision.png", "cost.png", "accuracy.png", "controllers.png"}
    assert not (out / "stale.png").exists()  # the folder is replaced as a whole
    assert doc["baseline_runs"]["test_acc"] == [r.test_acc for r in runs]
    for name in doc["plots"]:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
