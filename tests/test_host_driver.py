"""The driver: decisions become descriptors, run in program order and charged to the ledger."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fpga_model import ArrayConfig, ConfigError, Pass
from host.accel.emulator import EmulatorTarget
from host.driver import Driver
from host.ledger import Ledger


def _driver(cfg):
    return Driver(cfg, EmulatorTarget(cfg), Ledger(cfg))


def test_program_lists_each_pass_with_its_fields_and_the_ledger_charges_it():
    cfg = ArrayConfig()
    drv = _driver(cfg)
    a = torch.randint(0, 16, (12, 30), dtype=torch.uint8)
    b = torch.randint(-32, 32, (30, 7), dtype=torch.int8)
    drv.begin_batch()
    drv.run_pass(4, Pass.GC, a, b, 4, 6, a_signed=False, b_signed=True, stop_ring=1, tau=50)
    drv.run_pass(5, Pass.FW, a, b, 4, 6, a_signed=False, b_signed=True)
    d0, d1 = drv.program
    assert (d0.layer, d0.pass_, d0.m, d0.n, d0.k) == (4, Pass.GC, 12, 7, 30)
    assert (d0.a_bits, d0.b_bits, d0.a_signed, d0.b_signed, d0.stop_ring, d0.tau) == \
        (4, 6, False, True, 1, 50)
    assert d1.stop_ring is None and d1.layer == 5
    assert set(drv.ledger.method) == {(4, Pass.GC), (5, Pass.FW)}
    drv.begin_batch()
    assert drv.program == []


def test_widths_outside_the_set_are_refused():
    cfg = ArrayConfig(bits=(4, 8))
    a = torch.zeros((2, 2), dtype=torch.int8)
    with pytest.raises(ConfigError, match=r"^bit-width 6 is not in the supported set 4,8"):
        _driver(cfg).run_pass(0, Pass.FW, a, a, 6, 8, a_signed=True, b_signed=True)


def test_long_reduction_is_split_into_exact_descriptors():
    cfg = ArrayConfig(max_k=64)
    drv = _driver(cfg)
    rng = np.random.default_rng(1)
    a = torch.from_numpy(rng.integers(-128, 128, (5, 150)).astype(np.int8))
    b = torch.from_numpy(rng.integers(-128, 128, (150, 3)).astype(np.int8))
    out = drv.run_pass(0, Pass.GC, a, b, 8, 8, a_signed=True, b_signed=True)
    assert torch.equal(out.values, a.long() @ b.long())
    assert [d.k for d in drv.program] == [64, 64, 22]
    assert drv.ledger.method[(0, Pass.GC)].passes == 3
    with pytest.raises(ConfigError, match=r"^early termination needs K=150 in one pass"):
        drv.run_pass(0, Pass.GC, a, b, 8, 8, a_signed=True, b_signed=True, stop_ring=1, tau=9)


def test_recording_off_runs_without_charging():
    cfg = ArrayConfig()
    drv = _driver(cfg)
    drv.recording = False
    a = torch.ones((3, 3), dtype=torch.int8)
    drv.run_pass(0, Pass.FW, a, a, 4, 4, a_signed=True, b_signed=True)
    assert drv.ledger.method == {} and len(drv.program) == 1
