"""The memory port and the roofs of a pass (fpga_model.wall)."""

from __future__ import annotations

import pytest

from fpga_model import ArrayConfig
from fpga_model.memory import MemoryImage, buffer_spans
from fpga_model.wall import (compute_roof_cycles, memory_port, memory_roof_cycles,
                             pass_traffic)

CFG = ArrayConfig()  # zc706, 8x8 tiles of 16 bricks, 200 MHz


def test_zc706_port_is_hp0_at_its_sustained_rate():
    port = memory_port(CFG)
    assert (port.name, port.bus_bytes, port.clock_hz) == ("S_AXI_HP0", 8, 200e6)
    assert port.bytes_per_cycle == pytest.approx(1.2e9 / 200e6)  # 6 B/cycle, below the bus's 8
    assert port.cycles_for(600) == pytest.approx(100)
    slow = ArrayConfig(clock_mhz=100.0)
    assert memory_port(slow).bytes_per_cycle == 8.0  # the bus width caps it


def test_traffic_equals_the_buffer_spans():
    import numpy as np

    img = MemoryImage(max_descriptors=1)
    d = img.add_pass(np.ones((33, 70), dtype=np.int8), np.ones((70, 9), dtype=np.int8), 6, 12)
    spans = buffer_spans(d)
    t = pass_traffic(33, 9, 70, 6, 12)
    assert {k: t[k] for k in spans} == {k: v[1] for k, v in spans.items()}


def test_roofs():
    m, n, k = 131072, 16, 144
    assert compute_roof_cycles(CFG, m, n, k, 8, 8) == m * n * k * 16 / (64 * 16)
    assert compute_roof_cycles(CFG, m, n, k, 4, 4) * 4 == compute_roof_cycles(CFG, m, n, k, 8, 8)
    t = pass_traffic(m, n, k, 8, 8)
    assert memory_roof_cycles(CFG, m, n, k, 8, 8) == pytest.approx(
        (t["A"] + t["B"] + t["C"] + t["MASK"]) / 6.0)
    # FW of a ResNet-38 CIFAR layer on HP0: about balanced at (8, 8), memory-bound at (4, 4)
    assert memory_roof_cycles(CFG, m, n, k, 8, 8) < compute_roof_cycles(CFG, m, n, k, 8, 8)
    assert memory_roof_cycles(CFG, m, n, k, 4, 4) > compute_roof_cycles(CFG, m, n, k, 4, 4)


def test_k_outer_rule():
    """GC of ResNet-38 runs K outer (slices of SEG_CHUNKS >> s words, ceil(N/TN) <= 2^s, s >= 1);
    not with early stop, not where K fits a segment, not where the sums do not fit on chip."""
    from fpga_model.wall import k_outer_chunks, seg_chunks

    seg = seg_chunks(CFG)
    assert seg == 512 and CFG.acc_outputs == 1 << 16
    assert k_outer_chunks(CFG, 144, 16, 131072) == 256  # two column blocks: half a segment
    assert k_outer_chunks(CFG, 576, 64, 131072) == 64  # eight: an eighth
    assert k_outer_chunks(CFG, 144, 8, 131072) == 256  # one: still two banks of A
    assert k_outer_chunks(CFG, 144, 16, 131072, early=True) == 0
    assert k_outer_chunks(CFG, 131072, 16, 144) == 0  # FW: K in one segment
    assert k_outer_chunks(CFG, 1024, 128, 131072) == 0  # 131072 sums > 65536
    assert k_outer_chunks(CFG, 8, 8 * 1024, 131072) == 0  # 1024 column blocks: no slice left
    assert k_outer_chunks(CFG, 8, 8 * 512, 131072) == 1  # 512 column blocks: one word


def test_k_outer_reads_each_line_once():
    """K outer: every operand line crosses the bus once (whole beats per slice row); the
    output-stationary order it replaces read A ceil(N/TN) times and B ceil(M/TM) times."""
    from fpga_model.wall import bus_read_bytes

    m, n, k = 144, 16, 131072
    once = pass_traffic(m, n, k, 8, 8)
    assert bus_read_bytes(CFG, m, n, k, 8, 8) == once["A"] + once["B"]
    blocks = bus_read_bytes(CFG, m, n, k, 8, 8, early=True)  # no K outer with early stop
    assert blocks == 2 * once["A"] + 18 * once["B"]
