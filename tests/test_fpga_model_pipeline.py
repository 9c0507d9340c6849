"""The second-generation design model: dataflow choice, traffic once per operand, the roofs."""

from __future__ import annotations

import pytest

from fpga_model import ArrayConfig
from fpga_model.pipeline import BufferPlan, buffer_plan, plan_pass
from fpga_model.wall import (compute_roof_cycles, memory_port, memory_roof_cycles,
                             pass_traffic)

CFG = ArrayConfig()
STAGES = {16: 32, 32: 16, 64: 8}  # ResNet-38 CIFAR: channels -> feature map side


def shapes(c: int) -> dict[str, tuple[int, int, int]]:
    rows = 128 * STAGES[c] ** 2
    return {"fw": (rows, 9 * c, c), "eb": (rows, 9 * c, c), "gc": (9 * c, rows, c)}


def test_zc706_buffer_budget():
    b = buffer_plan(CFG)
    assert b.stationary_bytes == 545 * 4608 // 2 and b.acc_bytes == 545 * 4608 // 4


@pytest.mark.parametrize("c", sorted(STAGES))
@pytest.mark.parametrize("pair", [(3, 6), (4, 6), (4, 8), (6, 8), (6, 12), (8, 8), (4, 4)])
def test_resnet38_passes_reach_the_roof_on_paper(c, pair):
    for pass_, (m, k, n) in shapes(c).items():
        plan = plan_pass(CFG, m, n, k, *pair, pass_)
        assert plan.dataflow == ("K outer" if pass_ == "gc" else "B stationary")
        t = pass_traffic(m, n, k, *pair)
        assert plan.dram_bytes == t["A"] + t["B"] + t["C"] + t["MASK"]  # each crosses once
        compute = compute_roof_cycles(CFG, m, n, k, *pair)
        memory = memory_roof_cycles(CFG, m, n, k, *pair)
        assert plan.wall_cycles >= max(compute, memory)
        assert plan.wall_cycles <= 1.25 * max(compute, memory), (pass_, plan)


def test_without_room_for_the_weights_b_is_streamed():
    tiny = BufferPlan(stationary_bytes=1024, acc_bytes=1024, segment_chunks=4)
    m, k, n = 4096, 576, 64
    plan = plan_pass(CFG, m, n, k, 8, 8, "fw", buffers=tiny)
    stationary = plan_pass(CFG, m, n, k, 8, 8, "fw")
    assert plan.dataflow == "streamed" and plan.fetch_bytes > stationary.fetch_bytes
    assert plan.wall_cycles > stationary.wall_cycles
    gc = plan_pass(CFG, 576, 64, 8192, 8, 8, "gc", buffers=tiny)  # accumulators do not fit
    assert gc.dataflow == "streamed"


def test_wall_is_the_slower_of_port_and_array_per_step():
    port = memory_port(CFG)
    plan = plan_pass(CFG, 8, 8, 16, 8, 8, "fw")  # one step: nothing overlaps
    t = pass_traffic(8, 8, 16, 8, 8)
    want = (port.latency_cycles + port.cycles_for(t["B"]) + port.cycles_for(t["A"])
            + plan.execute_cycles + port.cycles_for(t["C"] + t["MASK"]) + 4)
    assert plan.steps == 1 and plan.wall_cycles == round(want)
