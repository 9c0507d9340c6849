"""The HLS kernel's cycle model (fpga_model/hls_cycles.py): its orders, its bounds, the README."""

from __future__ import annotations

import re

import pytest

from codegen.render import render_project
from fpga_model import ArrayConfig, Descriptor, Pass, pass_counters
from fpga_model.cycles import CYCLE_COSTS
from fpga_model.hls_cycles import (HlsBuffers, cycle_table, hls_buffers, hls_job_cycles,
                                   hls_pass_cycles, maxi_settings)
from fpga_model.pipeline import plan_pass
from fpga_model.shapes import STAGE_HW, conv_pass_shapes
from fpga_model.wall import compute_roof_cycles, memory_roof_cycles

CFG = ArrayConfig()


def test_buffers_come_from_the_design_models_budget():
    b = hls_buffers(CFG)
    assert b.seg_planes == 64
    assert b.b_depth * 4 * CFG.tn <= CFG.board_info.bram36 * 4608 // 2
    assert b.acc_blocks * CFG.num_tiles <= b.acc_outputs
    with pytest.raises(ValueError, match="out_cols 32 must be at least 64"):
        HlsBuffers(64, 1, 1, 1, out_cols=32)


@pytest.mark.parametrize("channels", sorted(STAGE_HW))
def test_orders_match_the_design_model_on_the_bench_shapes(channels):
    for pass_, m, k, n in conv_pass_shapes(channels):
        for a, b in ((8, 8), (4, 4)):
            est = hls_pass_cycles(CFG, m, n, k, a, b, pass_)
            assert est.order == plan_pass(CFG, m, n, k, a, b, pass_).dataflow
            roof = max(compute_roof_cycles(CFG, m, n, k, a, b),
                       memory_roof_cycles(CFG, m, n, k, a, b))
            assert est.cycles >= roof  # an estimate never beats the roofs
            engine = pass_counters(CFG, m, n, k, a, b, None, None)["cycles"]
            assert est.execute_cycles >= engine - CFG.tm  # every issued pair is a cycle


def test_fallback_orders_and_early_stop():
    est = hls_pass_cycles(CFG, 64, 65536, 576, 8, 8, "fw")  # B too wide for the store
    assert est.order == "streamed"
    tiny = HlsBuffers(seg_planes=1, b_depth=10 ** 6, acc_outputs=16, acc_blocks=1)
    gc = hls_pass_cycles(CFG, 64, 64, 400, 8, 8, "gc", buffers=tiny)
    assert gc.order == "streamed"  # K needs 25 segments: no reuse across blocks
    full = hls_pass_cycles(CFG, 64, 64, 400, 8, 8, "gc")
    assert full.order == "K outer" and full.steps == 64
    et = hls_pass_cycles(CFG, 64, 64, 400, 8, 8, "gc", stop_ring=1)
    assert et.steps == 2 * full.steps and et.cycles > full.cycles
    fast = hls_pass_cycles(CFG, 4096, 64, 576, 4, 4, "fw")
    slow = hls_pass_cycles(CFG, 4096, 64, 576, 8, 8, "fw")
    assert fast.cycles < slow.cycles and fast.execute_cycles < slow.execute_cycles / 2


def test_a_relative_tau_adds_the_prefix_sweep():
    et = hls_pass_cycles(CFG, 64, 64, 400, 8, 8, "gc", stop_ring=1)
    sweep = hls_pass_cycles(CFG, 64, 64, 400, 8, 8, "gc", stop_ring=1, sweep=True)
    # the sweep walks the same steps, issues only the prefix and writes nothing
    assert sweep.steps == et.steps and sweep.result_cycles == 0
    assert sweep.walker_cycles == CYCLE_COSTS.tau_step
    assert sweep.execute_cycles < et.execute_cycles and sweep.cycles < et.cycles
    d = Descriptor(m=64, n=64, k=400, a_bits=8, b_bits=8, pass_=Pass.GC, stop_ring=1, tau=9)
    assert hls_job_cycles(CFG, [d]) == et.cycles
    rel = Descriptor(m=64, n=64, k=400, a_bits=8, b_bits=8, pass_=Pass.GC, stop_ring=1,
                     tau_rel=3277)
    assert hls_job_cycles(CFG, [rel]) == et.cycles + sweep.cycles


def test_maxi_settings_follow_the_board_port():
    for board in ("zc706", "zcu104"):
        cfg = ArrayConfig(board=board)
        s = maxi_settings(cfg)
        assert s.latency == cfg.board_info.port_latency_cycles
        assert s.bus_bits == cfg.board_info.port_bits
        assert s.pragma_text().split() == [f"{k}={v}" for k, v in s.pragma_options().items()]


def test_the_readme_tabulates_rtl_and_hls_cycles(tmp_path):
    cfg = ArrayConfig(bits=(3, 5, 7), tiles=(4, 4))
    readme = (render_project(cfg, tmp_path / "p").root / "README.md").read_text()
    rows = cycle_table(cfg)
    assert {r["pair"] for r in rows} == {(7, 7), (3, 3)}  # no 8x8/4x4 here: widest, narrowest
    table = [line for line in readme.splitlines() if re.match(r"\| \d+ \| (fw|eb|gc) \|", line)]
    assert len(table) == len(rows) == 18
    for line, r in zip(table, rows, strict=True):
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert cells[6:9] == [str(r["rtl_wall_cycles"]), str(r["hls_cycles"]), str(r["ratio"])]
        assert cells[3] == "x".join(map(str, r["pair"]))
