"""Controllers: method parsing, PFQ's indicator, DFQ's gate and cost, PSG, SMD and SLU."""

from __future__ import annotations

import pytest
import torch

from host.controllers import (DFQ, PFQ, PSG, SLU, SMD, option_cost, parse_method)
from host.errors import ChoiceError
from host.layers import QuantConv2d, QuantLinear


def test_methods_expand_to_controller_sets():
    assert parse_method("static") == frozenset()
    assert parse_method("fractrain") == {"pfq", "dfq"}
    assert parse_method("e2train") == {"smd", "slu", "psg"}
    assert parse_method("pfq+PSG") == {"pfq", "psg"}
    with pytest.raises(ChoiceError, match=r"^unknown method 'fast'; choose one of static, pfq, "):
        parse_method("fast")


def _feed(pfq, losses, period):
    advanced = []
    for i, v in enumerate(losses):
        for _ in range(period):
            if pfq.observe(v):
                advanced.append(i)
    return advanced


def test_pfq_turning_point_needs_a_flat_window_of_five_periods():
    pfq = PFQ(stages=4, eps=0.05, alpha=0.3, period=3)
    losses = [2.0, 1.5, 1.2, 1.0, 0.9, 0.8, 0.7, 0.6, 0.55, 0.5]  # scale S = mean = 0.975
    losses += [0.40, 0.40, 0.40, 0.40, 0.40]  # |d| = 0 <= eps: turning point at the 5th
    losses += [0.40, 0.40, 0.40, 0.40]  # FIFO cleared: 4 periods are not enough
    assert _feed(pfq, losses, 3) == [14]
    assert pfq.stage == 1 and pfq.eps == pytest.approx(0.015)
    assert pfq.turning_points == [15 * 3]


def test_pfq_eps_decays_only_at_the_first_two_turning_points_and_stops_at_the_last_stage():
    pfq = PFQ(stages=4, eps=0.5, alpha=0.5, period=1, scale_periods=1)
    adv = _feed(pfq, [1.0] * 40, 1)
    assert adv == [4, 9, 14] and pfq.stage == 3
    assert pfq.eps == pytest.approx(0.125)


def test_pfq_deadline_switches_do_not_decay_eps_unless_asked():
    pfq = PFQ(stages=3, eps=0.05, period=1, fixed=(5, 8))
    _feed(pfq, [float(10 - i) for i in range(10)], 1)
    assert pfq.turning_points == [5, 8] and pfq.eps == 0.05
    asked = PFQ(stages=3, eps=0.05, alpha=0.3, period=1, fixed=(5, 8), deadline_decay=True)
    _feed(asked, [float(10 - i) for i in range(10)], 1)
    assert asked.eps == pytest.approx(0.05 * 0.3 * 0.3)


def test_pfq_fixed_iterations_are_a_fallback_deadline():
    pfq = PFQ(stages=3, period=1, fixed=(5, 8))
    adv = _feed(pfq, [float(10 - i) for i in range(10)], 1)  # never flat
    assert adv == [4, 7] and pfq.stage == 2
    only = PFQ(stages=3, period=1, fixed=(50, 80), indicator=False)
    assert _feed(only, [1.0] * 20, 1) == []


def test_dfq_option_costs_match_fractrain():
    costs = [option_cost(a, g, 4) / 3 * 100 for a, g in ((3, 6), (4, 6), (4, 8), (6, 8), (6, 12))]
    assert costs == pytest.approx([1.76, 2.08, 2.60, 3.39, 4.69], abs=0.01)
    assert option_cost(8, 8, 8) / 3 * 100 == pytest.approx(6.25)


class _Block:
    def __init__(self):
        self.gated_convs = (QuantConv2d(4, 4, 3, 1, 1), QuantConv2d(4, 4, 3, 1, 1))


@pytest.mark.parametrize("per_sample", [False, True])
def test_dfq_sets_block_plans_and_pulls_cp_toward_the_target(per_sample):
    torch.manual_seed(0)
    dfq = DFQ([4, 4], [1.0, 1.0], w_bits=4, target=2.0, beta=1.0, per_sample=per_sample)
    blocks = [_Block(), _Block()]
    dfq.begin(6)
    x = torch.randn(6, 4, 5, 5)
    mixes = [dfq.decide(i, x, blocks[i]) for i in range(2)]
    for b, mix in zip(blocks, mixes):
        assert mix.shape == ((6, 5) if per_sample else (1, 5))
        assert torch.equal(mix.detach().round(), mix.detach().round().clamp(0, 1))
        plan = b.gated_convs[0].plan
        assert plan.w_bits == 4 and (plan.a_bits, plan.g_bits) in dfq.options
        assert (plan.groups is not None) == per_sample
    c, cp = dfq.cost()
    chosen = [dfq.options[k] for k in dfq.last_choice]
    if not per_sample:
        assert cp == pytest.approx(sum(option_cost(a, g, 4) for a, g in chosen) / 2 / 3 * 100)
    loss = dfq.loss()
    loss.backward()
    grad = dfq.gate.fc.bias.grad
    assert grad is not None and float(grad.abs().sum()) > 0
    assert float(loss.detach()) == pytest.approx((1 if cp >= 2.0 else -1) * float(c.detach()))


def test_psg_switches_on_convolutions_only():
    conv, fc = QuantConv2d(3, 4, 3), QuantLinear(4, 2)
    on = PSG(stop_ring=1, tau=0.1).apply([conv, fc])
    assert on == [conv]
    assert (conv.plan.stop_ring, conv.plan.tau, conv.plan.sign_grad, conv.plan.anchored) == \
        (1, 0.1, True, True)
    assert fc.plan.stop_ring is None and not fc.plan.sign_grad


def test_smd_drops_about_p_of_the_batches_reproducibly():
    a = SMD(p=0.5, generator=torch.Generator().manual_seed(3))
    b = SMD(p=0.5, generator=torch.Generator().manual_seed(3))
    da = [a.drop() for _ in range(2000)]
    assert da == [b.drop() for _ in range(2000)]
    assert 900 < sum(da) < 1100 and a.dropped == sum(da) and a.seen == 2000
    assert not any(SMD(p=0.0, generator=torch.Generator()).drop() for _ in range(50))


class _ResBlock(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(4, 4, 3, padding=1)

    def residual(self, x, mix=None):
        return self.conv(x)

    def shortcut(self, x, mix=None):
        return x

    def combine(self, res, short):
        return torch.relu(res + short)


def test_slu_runs_each_sample_or_its_shortcut_with_a_straight_through_gradient():
    torch.manual_seed(0)
    slu = SLU([4, 4, 4], target=50.0, beta=1.0, generator=torch.Generator().manual_seed(0),
              eval_generator=torch.Generator().manual_seed(1))
    block = _ResBlock()
    x = torch.randn(16, 4, 5, 5)
    slu.begin(16)
    out = slu.run_block(1, x, block, None)
    ran = slu._masks[-1].detach().bool()
    assert 0 < int(ran.sum()) < 16  # p starts near 0.5: per-sample decisions differ
    full = torch.relu(block.conv(x) + x)
    assert torch.allclose(out[ran], full[ran]) and torch.equal(out[~ran], x[~ran])
    loss = slu.loss()
    (out.sum() + loss).backward()
    assert slu.gate.fc.bias.grad is not None and float(slu.gate.fc.bias.grad.abs()) > 0
    assert slu.last_cp == pytest.approx(100.0 * int(ran.sum()) / 16)
    reg = 1.0 if slu.last_cp > 50.0 else -1.0
    assert float(loss.detach()) == pytest.approx(reg * int(ran.sum()))
    slu.gate.eval()  # evaluation samples too (E2-Train), from its own generator
    seen = set()
    for _ in range(5):
        slu.begin(16)
        slu.run_block(1, x, block, None)
        seen.add(slu.executed[-1])
    assert len(seen) > 1


def test_slu_defaults_are_e2trains():
    from host.controllers import SLUConfig
    assert (SLUConfig().beta, SLUConfig().target) == (1e-5, 100.0)
