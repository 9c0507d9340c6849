"""The training loop on a small slice of digits: every method runs through the emulator."""

from __future__ import annotations

import pytest
import torch

from fpga_model import ConfigError, Pass
from host.data import Dataset, load_data
from host.errors import ChoiceError
from host.controllers import PFQConfig, SMDConfig
from host.trainer import TrainConfig, check_config, train

_DIGITS = load_data("digits")


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Small runs are dominated by small ops, which extra threads only slow down."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


SMALL = Dataset("digits", _DIGITS.x_train[:96], _DIGITS.y_train[:96], _DIGITS.x_test[:40],
                _DIGITS.y_test[:40], 10)


def _cfg(method, **kw):
    base = dict(method=method, epochs=1, batch_size=32, width=4, seed=0)
    base.update(kw)
    return TrainConfig(**base)


def test_static_method_is_its_own_baseline():
    r = train(_cfg("static"), SMALL)
    s = r.ledger.savings()
    assert s == pytest.approx({"eff_macs": 0.0, "cycles": 0.0, "latency_s": 0.0,
                               "energy_j": 0.0}, abs=1e-12)
    assert r.steps == 3 and len(r.test_acc) == 1 and 0 <= r.final_acc <= 100
    assert all(v == (8.0, 8.0) for v in r.precision[0].values())


def test_same_seed_same_run_and_another_seed_differs():
    a = train(_cfg("fractrain"), SMALL)
    b = train(_cfg("fractrain"), SMALL)
    c = train(_cfg("fractrain", seed=1), SMALL)
    assert a.test_acc == b.test_acc and a.ledger.totals() == b.ledger.totals()
    assert a.series["dfq_cp"] == b.series["dfq_cp"] and a.series["dfq_cp"] != c.series["dfq_cp"]


def test_pfq_first_stage_widths_then_fixed_switch():
    r = train(_cfg("pfq", epochs=2, pfq=PFQConfig(mode="fixed", fixed=(4, 5, 6))), SMALL)
    assert r.events == ["step 4: PFQ stage 1", "step 5: PFQ stage 2", "step 6: PFQ stage 3"]
    assert 0 < r.ledger.savings()["eff_macs"] < 1
    first = r.precision[0]
    head = max(first)  # the classifier stays static (FracTrain keeps it in fp32)
    assert first[head] == (8.0, 8.0)
    assert all(v == (3.0, 6.0) for k, v in first.items() if k != head)  # stage 0: FW3/BW6


def test_dfq_gates_choose_options_and_keep_static_layers_at_8_bits():
    r = train(_cfg("dfq"), SMALL)
    cps = r.series["dfq_cp"]
    assert len(cps) == 3 and all(1.7 < cp < 4.7 for cp in cps)
    assert r.precision[0][0] == (8.0, 8.0)  # the stem is not gated
    gated = [v for k, v in r.precision[0].items() if k not in (0, max(r.precision[0]))]
    assert any(v[0] < 8 for v in gated)
    assert r.ledger.savings()["eff_macs"] > 0.3


def test_psg_early_stops_gc_passes():
    r = train(_cfg("psg", epochs=2), SMALL)
    assert r.series["psg_stopped"] and max(r.series["psg_stopped"]) > 0
    gc = [c for (layer, p), c in r.ledger.method.items() if p == Pass.GC]
    assert gc and 0 < r.ledger.savings()["eff_macs"] < 0.34  # only GC can save


@pytest.mark.parametrize("step_dropped", [True, False])
def test_smd_dropped_batches_run_nothing_on_the_array(step_dropped):
    torch.manual_seed(0)
    r = train(_cfg("smd", smd=SMDConfig(p=1.0, step_dropped=step_dropped)), SMALL)
    assert r.dropped == 3 and r.ledger.method == {}
    assert r.ledger.savings()["eff_macs"] == 1.0
    r2 = train(_cfg("smd", smd=SMDConfig(p=0.5), epochs=2), SMALL)
    m, b = r2.ledger.totals()
    assert m.eff_macs == pytest.approx(b.eff_macs * (1 - r2.dropped / r2.steps))


def test_smd_dropped_step_semantics():
    """With step_dropped a dropped batch still moves the weights (momentum + weight decay)."""
    from host import trainer as tr

    seen = {}
    orig = tr.build_model

    def spy(*a, **k):
        m = orig(*a, **k)
        seen["model"] = m
        seen["w0"] = m.stem.weight.detach().clone()
        return m
    tr.build_model = spy
    try:
        train(_cfg("smd", smd=SMDConfig(p=1.0, step_dropped=False)), SMALL)
        assert torch.equal(seen["model"].stem.weight, seen["w0"])
        train(_cfg("smd", smd=SMDConfig(p=1.0, step_dropped=True)), SMALL)
        assert not torch.equal(seen["model"].stem.weight, seen["w0"])
    finally:
        tr.build_model = orig


def test_slu_and_e2train_run():
    r = train(_cfg("slu", epochs=2), SMALL)
    cps = r.series["slu_cp"]
    assert len(cps) == 6 and all(0 <= cp <= 100 for cp in cps)
    e = train(_cfg("e2train", epochs=2, smd=SMDConfig(p=0.5), seed=1), SMALL)
    assert 0 < e.dropped < e.steps and e.series["slu_cp"]
    assert e.ledger.savings()["eff_macs"] > 0.3


def test_bad_configurations_fail_before_training():
    with pytest.raises(ConfigError, match=r"^bit-width 8 is not in the supported set 3,4,6,12; "
                                          r"regenerate with --bits 3,4,6,8,12$"):
        check_config(_cfg("static", bits=(3, 4, 6, 12)))
    with pytest.raises(ChoiceError, match=r"^unknown model 'vgg'; known models: "):
        check_config(_cfg("static", model="vgg"))
    with pytest.raises(ChoiceError, match=r"^unknown device 'tpu'; use cpu or cuda$"):
        check_config(_cfg("static", device="tpu"))
    with pytest.raises(ChoiceError, match=r"^--batch-size 500 exceeds the 96 training samples"):
        train(_cfg("static", batch_size=500), SMALL)


def test_recipes_are_the_official_schedules():
    from host.trainer import learning_rate

    f = TrainConfig.from_recipe("fractrain")
    assert (f.batch_size, f.weight_decay, f.momentum, f.iterations, f.schedule) == \
        (128, 1e-4, 0.9, 64000, "piecewise")
    lrs = [learning_rate(f, s, 64000) for s in (0, 31999, 32000, 47999, 48000, 63999)]
    assert lrs == pytest.approx([0.1, 0.1, 0.01, 0.01, 0.001, 0.001])
    e = TrainConfig.from_recipe("e2train")
    assert [learning_rate(e, s, 64000) for s in (42665, 42666, 63999)] == \
        pytest.approx([0.1, 0.01, 0.01])  # the x0.01 at 64k never comes
    q = TrainConfig.from_recipe("quick")
    assert (q.batch_size, q.weight_decay, q.epochs, q.iterations, q.schedule) == \
        (64, 5e-4, 40, None, "cosine") == (TrainConfig().batch_size, TrainConfig().weight_decay,
                                           TrainConfig().epochs, None, TrainConfig().schedule)
    with pytest.raises(ChoiceError, match=r"^unknown learning-rate schedule 'step'"):
        check_config(_cfg("static", schedule="step"))


def test_iterations_and_costs_up_to_the_best_checkpoint():
    r = train(_cfg("pfq", iterations=5, pfq=PFQConfig(mode="fixed", fixed=(2, 3, 4))), SMALL)
    assert r.steps == 5 and r.eval_steps == [3, 5] and len(r.test_acc) == 2
    best = r.best_step
    assert best == r.eval_steps[r.test_acc.index(max(r.test_acc))]
    m, b = r.costs_at(best)
    row = r.cumulative[best - 1]
    assert (m.eff_macs, b.eff_macs, m.energy_j, m.latency_s) == (row[1], row[2], row[3], row[5])
    whole_m, whole_b = r.ledger.totals()
    assert r.costs_at(5)[0].eff_macs == pytest.approx(whole_m.eff_macs)
    assert m.eff_macs <= whole_m.eff_macs and b.eff_macs <= whole_b.eff_macs


def test_running_range_momentum_is_fractrains():
    from host import trainer as tr

    seen = {}
    orig = tr.build_model

    def spy(*a, **k):
        seen["model"] = orig(*a, **k)
        return seen["model"]
    tr.build_model = spy
    try:
        train(_cfg("static", iterations=1), SMALL)
        assert {layer.act_range.momentum for layer in seen["model"].layers()} == {0.1}
        train(_cfg("static", iterations=1, act_momentum=0.9), SMALL)
        assert {layer.act_range.momentum for layer in seen["model"].layers()} == {0.9}
    finally:
        tr.build_model = orig


def test_dfq_runs_the_projection_shortcut_at_the_options_widths():
    r = train(_cfg("dfq", iterations=2), SMALL)
    names = r.layer_names
    downs = [k for k, n in names.items() if n.endswith(".down")]
    assert downs and all(r.precision[0][k][0] < 8 for k in downs)


@pytest.mark.parametrize("method", ["dfq+slu", "pfq+smd"])
def test_mobilenetv2_trains_with_block_controllers(method):
    r = train(_cfg(method, model="mobilenetv2", iterations=2,
                   pfq=PFQConfig(mode="fixed", fixed=(1, 2, 3))), SMALL)
    assert r.steps == 2 and len(r.float_layers) == 17
    assert r.ledger.savings()["eff_macs"] > 0
    if "slu" in method:
        assert r.series["slu_cp"] and r.series["dfq_cp"]
