"""Training on the targets: the registry's training side and the emulator's fast path."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from fpga_model import ArrayConfig, ConfigError, Descriptor, Pass
from fpga_model.job import Job
from host.accel import (TARGETS, AcceleratorUnavailable, Availability, backend_choices,
                        open_for_training)
from host.accel.emulator import EmulatorTarget
from host.accel.passes import Offload, PassSelection

CFG = ArrayConfig()


def test_unknown_backend_lists_the_valid_names():
    names = re.escape(", ".join(backend_choices()))
    with pytest.raises(AcceleratorUnavailable, match=rf"^unknown backend 'fpga'; backends: {names}$"):
        open_for_training("fpga", CFG)


@pytest.mark.parametrize("name", ["emulator", "auto"])
def test_emulator_is_what_training_opens(name):
    assert EmulatorTarget.probe() == Availability(True, "the bit-accurate Python model is "
                                                        "always available")
    target, reason = open_for_training(name, CFG)
    assert isinstance(target, EmulatorTarget) and target.name == "emulator"
    assert reason.endswith("always available")


def test_unavailable_backend_says_why_and_is_never_built(monkeypatch):
    built = []

    class Offline(EmulatorTarget):
        name = "offline"

        def __init__(self, *a, **k):
            built.append(1)
            super().__init__(*a, **k)

        @classmethod
        def probe(cls, project=None):
            return Availability(False, "no board found")

    monkeypatch.setitem(TARGETS, "offline", f"{__name__}:Offline")
    globals()["Offline"] = Offline
    with pytest.raises(AcceleratorUnavailable,
                       match=r"^backend 'offline' is not available: no board found$"):
        open_for_training("offline", CFG)
    assert not built


@pytest.mark.parametrize("kind", ["numpy", "torch"])
def test_run_returns_exact_values_and_counters_in_kind(kind):
    rng = np.random.default_rng(0)
    a = rng.integers(-8, 8, (9, 20)).astype(np.int8)
    b = rng.integers(0, 64, (20, 5)).astype(np.int8)
    if kind == "torch":
        a, b = torch.from_numpy(a), torch.from_numpy(b)
    d = Descriptor(m=9, n=5, k=20, a_bits=4, b_bits=6, b_signed=False, pass_=Pass.GC, layer=3)
    out = EmulatorTarget(CFG).run([Job(d, a, b)])[0]
    want = np.asarray(a).astype(np.int64) @ np.asarray(b).astype(np.int64)
    assert (torch.is_tensor(out.values)) == (kind == "torch")
    assert np.array_equal(np.asarray(out.values), want)
    assert out.descriptor is d and out.counters["macs"] == 9 * 5 * 20 and out.counters["cycles"] > 0


def test_descriptor_that_does_not_match_its_operands_is_refused():
    d = Descriptor(m=3, n=3, k=3, a_bits=4, b_bits=4)
    a = np.zeros((3, 4), np.int8)
    with pytest.raises(ConfigError, match=r"does not match its operands 3x4 and 4x3"):
        EmulatorTarget(CFG).run([Job(d, a, np.zeros((4, 3), np.int8))])


def test_register_level_path_equals_the_fast_path():
    """The two ways into one target give the same values, masks and counters."""
    rng = np.random.default_rng(1)
    a = rng.integers(-8, 8, (5, 7)).astype(np.int16)
    b = rng.integers(-8, 8, (7, 3)).astype(np.int16)
    d = Descriptor(m=5, n=3, k=7, a_bits=4, b_bits=4, stop_ring=0, tau=3, pass_=Pass.GC)
    target = EmulatorTarget(CFG)
    fast = target.run([Job(d, a, b)])[0]
    slow = super(EmulatorTarget, target).run([Job(d, a, b)])[0]  # one program, registers
    assert np.array_equal(fast.values, slow.values)
    assert np.array_equal(fast.stopped, slow.stopped)
    assert {k: fast.counters[k] for k in slow.counters} == slow.counters


def test_offload_routes_selected_passes_to_the_device():
    seen = []

    class Device:
        def run(self, jobs):
            seen.extend(j.descriptor.layer for j in jobs)
            return EmulatorTarget(CFG).run(jobs)

    off = Offload(Device(), PassSelection.parse("2", "0"), EmulatorTarget(CFG))
    a = np.ones((2, 3), np.int16)
    b = np.ones((3, 2), np.int16)
    for layer in (1, 2, 3, 2):
        d = Descriptor(m=2, n=2, k=3, a_bits=4, b_bits=4, layer=layer)
        assert np.array_equal(off.run([Job(d, a, b)])[0].values, np.full((2, 2), 3))
    assert seen == [2, 2] and off.cfg is CFG
