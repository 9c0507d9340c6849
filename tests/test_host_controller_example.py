"""Adding a controller: one class (here in this module) and one registry line.

``FCNorm`` adds ``beta * |W_fc|^2`` to the loss, reports |W_fc|^2 every step and one event.
With beta = 0 the run is the static run exactly; with beta > 0 the classifier's weights shrink.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import torch

from host.controllers import CONTROLLERS, Controller, TrainingRun, methods, parse_method
from host.data import Dataset, load_data
from host.report import write_report
from host.trainer import TrainConfig, train

_DIGITS = load_data("digits")
SMALL = Dataset("digits", _DIGITS.x_train[:64], _DIGITS.y_train[:64], _DIGITS.x_test[:20],
                _DIGITS.y_test[:20], 10)


@dataclass(frozen=True)
class FCNormConfig:
    beta: float = 0.0


class FCNorm(Controller):
    name = "fcnorm"
    config_type = FCNormConfig
    series_keys = ("fc_norm",)

    def attach(self, run: TrainingRun) -> None:
        self.run = run
        self.weight = run.model.fc.weight

    def loss(self) -> torch.Tensor:
        norm = self.weight.pow(2).sum()
        self.run.record("fc_norm", float(norm.detach()))
        return self.config.beta * norm

    def after_step(self, step: int, loss: float) -> list[str]:
        return [f"step {step}: fc norm {self.run.series['fc_norm'][-1]:.3f}"] if step == 1 else []


def _cfg(method: str) -> TrainConfig:
    return TrainConfig(method=method, epochs=1, batch_size=32, width=4, seed=0)


def test_a_new_controller_is_one_class_and_one_registry_line(monkeypatch, tmp_path):
    monkeypatch.setitem(CONTROLLERS, "fcnorm", f"{__name__}:FCNorm")
    assert "fcnorm" in methods() and parse_method("static+fcnorm") == {"fcnorm"}
    plain = train(_cfg("static"), SMALL)
    zero = train(_cfg("static+fcnorm"), SMALL)  # no TrainConfig field: its defaults
    assert zero.train_loss == plain.train_loss and zero.test_acc == plain.test_acc
    assert len(zero.series["fc_norm"]) == zero.steps == 2
    assert zero.events == [f"step 1: fc norm {zero.series['fc_norm'][0]:.3f}"]
    cfg = _cfg("fcnorm")
    cfg.fcnorm = FCNormConfig(beta=1.0)  # a controller's config by its name
    pulled = train(cfg, SMALL)
    assert pulled.series["fc_norm"][0] == zero.series["fc_norm"][0]
    assert pulled.series["fc_norm"][1] < zero.series["fc_norm"][1]
    report = json.loads(write_report([zero], tmp_path, plots=False).read_text())
    run = report["runs"][0]
    assert run["fc_norm_mean"] == sum(zero.series["fc_norm"]) / 2 and run["dfq_cp_mean"] is None
