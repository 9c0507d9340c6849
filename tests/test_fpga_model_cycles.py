"""Cycle, utilization, latency and energy models against the formulas in their docstrings."""

from __future__ import annotations

import numpy as np
import pytest

from fpga_model import (CYCLE_COSTS, PROFILES, ArrayConfig, ConfigError, energy_joules, gemm,
                        get_profile, ideal_macs_per_cycle, latency_seconds, pass_counters,
                        utilization)

CFG = ArrayConfig(tiles=(4, 4))
C = CYCLE_COSTS


def test_one_block_full_schedule():
    # 8x8 bits: 4x4 digit pairs, K=16 is one chunk
    c = pass_counters(CFG, 4, 4, 16, 8, 8, None, None)
    assert c["cycles"] == C.desc + C.block + 16
    assert c["digit_products"] == 16 * 16 * 16 and c["tile_cycles"] == 16 * 16
    assert c["blocks"] == 1 and c["stopped"] == 0 and c["macs"] == 4 * 4 * 16


def test_blocks_and_chunks():
    # M=5, N=9 on a 4x4 grid: 2x3 blocks; K=17: two chunks; 3x12 bits: 2x6 pairs
    c = pass_counters(CFG, 5, 9, 17, 3, 12, None, None)
    assert c["cycles"] == C.desc + 6 * (C.block + 12 * 2)
    valid = np.outer([4, 1], [4, 4, 1])
    assert c["tile_cycles"] == int(valid.sum()) * 24 and c["digit_products"] == 5 * 9 * 12 * 17


def test_early_stop_skips_only_whole_blocks():
    stopped = np.zeros((8, 4), dtype=bool)
    stopped[:4] = True  # the first block stops entirely, the second only partly
    stopped[5, 1] = True
    c = pass_counters(CFG, 8, 4, 32, 8, 8, 1, stopped)
    prefix, full = 2 * 2, 4 * 4
    assert c["cycles"] == C.desc + 2 * (C.block + C.et_check) + (prefix + full) * 2
    assert c["blocks_skipped"] == 1 and c["stopped"] == 17


def test_model_counts_equal_formula_through_gemm():
    rng = np.random.default_rng(0)
    a = rng.integers(-8, 8, (10, 50)).astype(np.int16)
    b = rng.integers(-32, 32, (50, 7)).astype(np.int16)
    r = gemm(CFG, a, b, 4, 6)
    assert r.cycles == C.desc + 3 * 2 * (C.block + 2 * 3 * 4)
    r0 = gemm(CFG, a, b, 4, 6, stop_ring=0, tau=0)  # everything stops after ring 0
    assert r0.cycles == C.desc + 6 * (C.block + C.et_check + 1 * 4) and r0.stopped.all()


@pytest.mark.parametrize("a_bits, b_bits", CFG.pairs())
def test_utilization_below_both_roofs(a_bits, b_bits):
    c = pass_counters(CFG, 64, 64, 576, a_bits, b_bits, None, None)
    u = utilization(CFG, c, a_bits, b_bits)
    roofs = ideal_macs_per_cycle(CFG, a_bits, b_bits)
    assert 0.9 < u["vs_digit_roof"] <= 1.0  # large GEMM: overheads are small
    assert u["vs_bit_limit"] <= u["vs_digit_roof"] + 1e-12
    assert roofs["bit_limit"] >= roofs["digit_roof"]
    if a_bits % 2 == 0 and b_bits % 2 == 0:  # no padding: the two roofs coincide
        assert roofs["bit_limit"] == pytest.approx(roofs["digit_roof"])


def test_latency_is_a_roofline():
    c = pass_counters(CFG, 64, 64, 576, 8, 8, None, None)
    compute = c["cycles"] / CFG.clock_hz
    memory = c["dram_bits"] / (CFG.board_info.port_gbps * 8e9)  # the HP port, not the DDR
    assert latency_seconds(CFG, c) == max(compute, memory)


def test_energy_components_and_profiles():
    c = pass_counters(CFG, 64, 64, 576, 8, 8, None, None)
    e = energy_joules(CFG, c, 1e-3)
    p = PROFILES["zc706"]
    assert e["compute"] == pytest.approx((c["digit_products"] * p.e_digit_product_pj
                                          + c["tile_cycles"] * p.e_tile_cycle_pj) * 1e-12)
    assert e["static"] == pytest.approx(p.p_static_w * 1e-3)
    assert e["total"] == pytest.approx(e["compute"] + e["buffer"] + e["dram"] + e["static"])
    asic = energy_joules(CFG, c, 1e-3, "horowitz45")
    assert asic["total"] < e["total"] and asic["static"] == 0
    low = pass_counters(CFG, 64, 64, 576, 4, 4, None, None)
    assert energy_joules(CFG, low, 1e-3)["compute"] < e["compute"]  # fewer digit pairs
    for prof in PROFILES.values():
        assert prof.source
    with pytest.raises(ConfigError, match="^unknown energy profile 'x'; known: "):
        get_profile("x")


def _blockwise_counters(cfg, m, n, k, a_bits, b_bits):
    """The no-early-stop counters summed block by block, as the array walks them."""
    tm, tn = cfg.tiles
    full = cfg.digits(a_bits) * cfg.digits(b_bits)
    chunks = -(-k // cfg.bricks)
    rows = [min(tm, m - r) for r in range(0, m, tm)]
    cols = [min(tn, n - c) for c in range(0, n, tn)]
    out = {"cycles": C.desc, "digit_products": 0, "tile_cycles": 0, "buffer_bits": 0}
    for vr in rows:
        for vc in cols:
            out["cycles"] += C.block + full * chunks
            out["digit_products"] += vr * vc * full * k
            out["tile_cycles"] += vr * vc * full * chunks
            out["buffer_bits"] += (vr + vc) * full * chunks * cfg.bricks * cfg.brick_width
    out["blocks"] = len(rows) * len(cols)
    return out


@pytest.mark.parametrize("cfg", [CFG, ArrayConfig(tiles=(3, 5), bricks=4)])
@pytest.mark.parametrize("m, n, k", [(1, 1, 1), (5, 9, 17), (64, 64, 576), (13, 30, 200)])
def test_counters_without_early_stop_sum_over_blocks(cfg, m, n, k):
    for a_bits, b_bits in cfg.pairs()[:6]:
        c = pass_counters(cfg, m, n, k, a_bits, b_bits, None, None)
        want = _blockwise_counters(cfg, m, n, k, a_bits, b_bits)
        assert {key: c[key] for key in want} == want
        assert c["stopped"] == 0 and c["blocks_skipped"] == 0 and c["macs"] == m * n * k
        assert all(type(v) is int for v in c.values())
