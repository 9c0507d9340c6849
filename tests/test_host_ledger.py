"""The ledger: FracTrain's effective MACs, modeled costs and the FW8/BW8 baseline."""

from __future__ import annotations

import pytest

from fpga_model import (ArrayConfig, Descriptor, Pass, energy_joules, latency_seconds,
                        pass_counters)
from host.ledger import Ledger, effective_macs

CFG = ArrayConfig()


def test_effective_macs_scale_with_both_widths():
    d = Descriptor(m=10, n=20, k=30, a_bits=4, b_bits=6)
    assert effective_macs(CFG, d) == pytest.approx(6000 * 4 / 32 * 6 / 32)


def test_stopped_outputs_are_charged_at_their_prefix_widths():
    d = Descriptor(m=2, n=5, k=7, a_bits=8, b_bits=6, stop_ring=1, tau=1)
    # ring 1 keeps 2 digits: 4 bits of each operand
    want = 7 * (4 * 4 * 4 + 6 * 8 * 6) / 1024
    assert effective_macs(CFG, d, stopped=4) == pytest.approx(want)
    # E2-Train's prefix: 4 of 8 activation bits x every bit of a 12-bit error
    d = Descriptor(m=2, n=5, k=7, a_bits=8, b_bits=12, prefix=(2, 6), tau_rel=3277)
    want = 7 * (4 * 4 * 12 + 6 * 8 * 12) / 1024
    assert effective_macs(CFG, d, stopped=4) == pytest.approx(want)


def test_record_and_baseline_use_the_models_counters():
    led = Ledger(CFG)
    d = Descriptor(m=64, n=16, k=72, a_bits=4, b_bits=4, pass_=Pass.FW, layer=2)
    c = pass_counters(CFG, 64, 16, 72, 4, 4, None, None)
    led.record(d, c)
    led.record_baseline([(2, Pass.FW, 64, 16, 72)] * 2)
    m, b = led.totals()
    c8 = pass_counters(CFG, 64, 16, 72, 8, 8, None, None)
    lat8 = latency_seconds(CFG, c8)
    assert m.cycles == c["cycles"] and b.cycles == 2 * c8["cycles"]
    assert b.latency_s == pytest.approx(2 * lat8)
    assert b.energy_j == pytest.approx(2 * energy_joules(CFG, c8, lat8)["total"])
    assert b.eff_macs == pytest.approx(2 * 64 * 16 * 72 / 16)
    s = led.savings()
    assert s["eff_macs"] == pytest.approx(1 - (64 * 16 * 72 / 64) / (2 * 64 * 16 * 72 / 16))
    assert 0 < s["cycles"] < 1 and 0 < s["energy_j"] < 1
    rows = led.per_layer()
    assert rows[0]["layer"] == 2 and rows[0]["pass"] == "FW"


def test_effective_macs_are_the_digit_products_the_array_issued():
    """Even widths: one MAC at a x b bits is (a/2)(b/2) digit products, so the effective MACs of
    an early-stopped pass are exactly what its operand-gated tiles issued."""
    import numpy as np

    from fpga_model import gemm

    cfg = ArrayConfig(bits=(8, 16), tiles=(4, 4))
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (9, 50)).astype(np.int32)
    b = rng.integers(-(1 << 15), 1 << 15, (50, 7)).astype(np.int32)
    for kw in (dict(prefix=(2, 8)), dict(stop_ring=1)):
        pref = gemm(cfg, a, b, 8, 16, a_signed=False, tau=0, **kw).values
        kw["tau"] = int(np.median(np.abs(pref)))
        r = gemm(cfg, a, b, 8, 16, a_signed=False, **kw)
        assert 0 < r.counters["stopped"] < 63
        d = Descriptor(m=9, n=7, k=50, a_bits=8, b_bits=16, a_signed=False, **kw)
        assert effective_macs(cfg, d, r.counters["stopped"]) == \
            pytest.approx(r.counters["digit_products"] * 4 / 1024)
