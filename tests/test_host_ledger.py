"""The ledger: FracTrain's effective MACs, modeled costs and the FW8/BW8 baseline."""

from __future__ import annotations

import pytest

import numpy as np

from fpga_model import (ArrayConfig, Descriptor, Pass, energy_joules, gemm, latency_seconds,
                        pass_counters)
from fpga_model.memory import MemoryImage
from fpga_model.pipeline import PortTiming, board_port_timing, rtl_wall
from fpga_model.wall import memory_port
from host import ledger as ledger_mod
from host.ledger import Ledger, effective_macs, pass_wall

CFG = ArrayConfig()
SMALL = ArrayConfig(bits=(4, 8), tiles=(2, 2))


def test_effective_macs_scale_with_both_widths():
    d = Descriptor(m=10, n=20, k=30, a_bits=4, b_bits=6)
    assert effective_macs(CFG, d) == pytest.approx(6000 * 4 / 32 * 6 / 32)


def test_stopped_outputs_are_charged_at_their_prefix_widths():
    d = Descriptor(m=2, n=5, k=7, a_bits=8, b_bits=6, stop_ring=1, tau=1)
    # ring 1 keeps 2 digits: 4 bits of each operand
    want = 7 * (4 * 4 * 4 + 6 * 8 * 6) / 1024
    assert effective_macs(CFG, d, stopped=4) == pytest.approx(want)
    # E2-Train's prefix: 4 of 8 activation bits x every bit of a 12-bit error
    # with a relative tau the prefix sweep computed all 10 prefixes once more
    d = Descriptor(m=2, n=5, k=7, a_bits=8, b_bits=12, prefix=(2, 6), tau_rel=3277)
    want = 7 * (4 * 4 * 12 + 6 * 8 * 12 + 10 * 4 * 12) / 1024
    assert effective_macs(CFG, d, stopped=4) == pytest.approx(want)


def _image_wall(cfg, passes, masks, port=None):
    """rtl_wall of passes laid out by MemoryImage (random codes; (a_bits, b_bits, m, k, n, kw))."""
    rng = np.random.default_rng(0)
    img = MemoryImage(max_descriptors=len(passes))
    for a_bits, b_bits, m, k, n, kw in passes:
        img.add_pass(rng.integers(0, 1 << (a_bits - 1), (m, k)),
                     rng.integers(0, 1 << (b_bits - 1), (k, n)), a_bits, b_bits, **kw)
    return rtl_wall(cfg, img.descriptors, masks, port=port or board_port_timing(cfg))


def test_the_board_port_adds_its_duty_and_read_latency():
    port = memory_port(CFG)  # HP0: 6 of the bus's 8 bytes per cycle, 40 cycles to a first beat
    duty = PortTiming.duty(3, 4)
    t = board_port_timing(CFG)
    assert t.read_latency == duty.read_latency + port.latency_cycles == duty.read_latency + 40
    assert t.write_response == duty.write_response + 40
    assert t.read_cycles_per_beat == duty.read_cycles_per_beat == 4 / 3
    assert t.write_wait_per_beat == duty.write_wait_per_beat
    assert board_port_timing(CFG, latency=False) == duty
    assert board_port_timing(ArrayConfig(clock_mhz=100.0), latency=False) == PortTiming()


def test_latency_is_the_rtl_wall_clock_of_the_recorded_descriptor():
    """The driver's descriptor (no addresses, C said 64-bit) is charged as MemoryImage lays it
    out (int32 C here), walked on the board's port, over the array clock."""
    led = Ledger(CFG)
    d = Descriptor(m=100, n=24, k=72, a_bits=4, b_bits=8, pass_=Pass.FW, layer=3)
    c = pass_counters(CFG, 100, 24, 72, 4, 8, None, None)
    cost = led.record(d, c)
    want = _image_wall(CFG, [(4, 8, 100, 72, 24, {})], [None])
    assert cost.wall_cycles == want.wall_cycles
    assert cost.latency_s == want.wall_cycles / CFG.clock_hz
    assert cost.cycles == c["cycles"]  # engine cycles stay the counters'
    # the hardware as built is no faster than the roofline the ledger charged before
    assert cost.latency_s >= latency_seconds(CFG, c)
    # and the board's port latency is in it
    bare = _image_wall(CFG, [(4, 8, 100, 72, 24, {})], [None],
                       port=board_port_timing(CFG, latency=False))
    assert want.wall_cycles > bare.wall_cycles + 40 * 3


def test_energy_takes_the_bus_bytes_and_the_wall_seconds():
    led = Ledger(CFG)
    d = Descriptor(m=64, n=16, k=144, a_bits=8, b_bits=8, pass_=Pass.EB)
    c = pass_counters(CFG, 64, 16, 144, 8, 8, None, None)
    w = _image_wall(CFG, [(8, 8, 64, 144, 16, {"pass_": Pass.EB})], [None])
    assert 8 * (w.read_bytes + w.write_bytes) == c["dram_bits"]  # the model's bytes are the bus's
    lat = w.wall_cycles / CFG.clock_hz
    want = energy_joules(CFG, {**c, "dram_bits": 8 * (w.read_bytes + w.write_bytes)}, lat)
    assert led.record(d, c).energy_j == pytest.approx(want["total"], rel=1e-12)
    # a backend's DRAM counter does not enter: the ledger charges what the RTL moves
    off = led.record(d, {**c, "dram_bits": 3 * c["dram_bits"]})
    assert off.energy_j == pytest.approx(want["total"], rel=1e-12)


def test_record_and_baseline_use_the_models_counters():
    led = Ledger(CFG)
    d = Descriptor(m=64, n=16, k=72, a_bits=4, b_bits=4, pass_=Pass.FW, layer=2)
    c = pass_counters(CFG, 64, 16, 72, 4, 4, None, None)
    led.record(d, c)
    led.record_baseline([(2, Pass.FW, 64, 16, 72)] * 2)
    m, b = led.totals()
    c8 = pass_counters(CFG, 64, 16, 72, 8, 8, None, None)
    w8 = pass_wall(CFG, Descriptor(m=64, n=16, k=72, a_bits=8, b_bits=8))
    lat8 = w8.cycles / CFG.clock_hz
    assert m.cycles == c["cycles"] and b.cycles == 2 * c8["cycles"]
    assert b.wall_cycles == 2 * w8.cycles and b.latency_s == pytest.approx(2 * lat8)
    assert b.energy_j == pytest.approx(
        2 * energy_joules(CFG, {**c8, "dram_bits": 8 * w8.bus_bytes}, lat8)["total"])
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
    # a relative tau: the prefix sweep's digit products count too
    r = gemm(cfg, a, b, 8, 16, a_signed=False, prefix=(2, 8), tau_rel=1 << 14)
    assert 0 < r.counters["stopped"] < 63
    d = Descriptor(m=9, n=7, k=50, a_bits=8, b_bits=16, a_signed=False, prefix=(2, 8),
                   tau_rel=1 << 14)
    assert effective_macs(cfg, d, r.counters["stopped"]) == \
        pytest.approx(r.counters["digit_products"] * 4 / 1024)


def _psg_runs(cfg, m=12, k=40, n=10):
    """Early-stopped passes with blocks skipped or not: (descriptor, counters, stop mask)."""
    rng = np.random.default_rng(1)
    a = rng.integers(-8, 8, (m, k)).astype(np.int32)
    b = rng.integers(-128, 128, (k, n)).astype(np.int32)
    runs = []
    for kw in (dict(stop_ring=0), dict(prefix=(1, 2)), dict(prefix=(2, 1), tau_rel=True)):
        for q in (0.0, 0.5, 0.9, 1.0):
            es = {key: v for key, v in kw.items() if key != "tau_rel"}
            pref = gemm(cfg, a, b, 4, 8, tau=0, **es).values
            tau = int(np.quantile(np.abs(pref), q)) + (q == 1.0)
            if kw.get("tau_rel"):
                beta = tau * 65536 // max(int(np.abs(pref).max()), 1)
                r = gemm(cfg, a, b, 4, 8, tau_rel=min(beta, 65536), **es)
                d = Descriptor(m=m, n=n, k=k, a_bits=4, b_bits=8, pass_=Pass.GC,
                               tau_rel=min(beta, 65536), **es)
            else:
                r = gemm(cfg, a, b, 4, 8, tau=tau, **es)
                d = Descriptor(m=m, n=n, k=k, a_bits=4, b_bits=8, pass_=Pass.GC, tau=tau, **es)
            runs.append((d, r.counters, r.stopped))
    return runs


def test_the_wall_cache_returns_the_uncached_cost_under_early_stop(monkeypatch):
    runs = _psg_runs(SMALL)
    skipped = [c["blocks_skipped"] for _, c, _ in runs]
    assert min(skipped) == 0 and max(skipped) > 0  # both kinds of pass are in the test
    walks = []
    monkeypatch.setattr(ledger_mod, "pass_wall",
                        lambda *args: walks.append(args) or pass_wall(*args))
    led = Ledger(SMALL)
    for _ in range(2):  # the second round comes from the cache
        for d, counters, stopped in runs:
            got = led.record(d, counters, stopped)
            want = ledger_mod._cost(SMALL, d, counters, pass_wall(SMALL, d, stopped))
            assert got == want
    assert len(walks) == len(led._walls) <= len(runs)
    # a mask that differs inside its running blocks but skips the same blocks walks the same
    d, counters, stopped = next(r for r in runs if 0 < r[1]["blocks_skipped"] < r[1]["blocks"]
                                and r[0].tau_rel is None)
    other = np.ones_like(stopped)
    for i, j in zip(*np.nonzero(~stopped)):  # keep one running output per running block
        if other[i - i % 2:i - i % 2 + 2, j - j % 2:j - j % 2 + 2].all():
            other[i, j] = False
    grid = ledger_mod.block_skip_grid
    assert (other != stopped).any() and (grid(SMALL, other) == grid(SMALL, stopped)).all()
    n = len(walks)
    assert led.record(d, counters, other) == led.record(d, counters, stopped)
    assert len(walks) == n
    assert led.wall(d, other) == pass_wall(SMALL, d, other) == pass_wall(SMALL, d, stopped)


def test_a_relative_tau_is_charged_as_the_rtls_two_sweeps():
    d, counters, stopped = next(r for r in _psg_runs(SMALL) if r[0].tau_rel is not None
                                and 0 < r[1]["blocks_skipped"] < r[1]["blocks"])
    kw = dict(pass_=Pass.GC, prefix=d.prefix)
    cost = Ledger(SMALL).record(d, counters, stopped)
    rel = _image_wall(SMALL, [(4, 8, 12, 40, 10, {**kw, "tau_rel": d.tau_rel})], [stopped])
    assert cost.wall_cycles == rel.wall_cycles
    # the prefix sweep costs more than nothing and less than a pass of its own (it writes no
    # C, mask or STAT and reads no descriptor)
    one = _image_wall(SMALL, [(4, 8, 12, 40, 10, {**kw, "tau": 5})], [stopped])
    two = _image_wall(SMALL, [(4, 8, 12, 40, 10, {**kw, "tau": 0}),
                              (4, 8, 12, 40, 10, {**kw, "tau": 5})],
                      [np.ones((12, 10), dtype=bool), stopped])
    assert one.wall_cycles < cost.wall_cycles < two.wall_cycles
    assert rel.write_bytes == one.write_bytes < two.write_bytes


def test_a_skipped_block_needs_its_stop_mask():
    d, counters, _ = next(r for r in _psg_runs(SMALL) if r[1]["blocks_skipped"])
    with pytest.raises(ValueError, match="record it with its stop mask"):
        Ledger(SMALL).record(d, counters)


def test_a_port_slower_than_the_bus_is_shared_by_reads_and_writes():
    """``PortTiming.duty``: below the bus rate the serving cycles are shared (``share`` beats
    a cycle for both directions); at the bus rate each direction has its own."""
    assert PortTiming.duty(3, 4).share == 0.75
    assert PortTiming.duty(1, 1).share is None and PortTiming().share is None
