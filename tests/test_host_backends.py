"""The backend registry and the emulator backend."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from fpga_model import ArrayConfig, ConfigError, Descriptor, Pass
from host.backends import (BACKENDS, Availability, Backend, Job, backend_names, get_backend)
from host.backends.emulator import EmulatorBackend
from host.errors import BackendUnavailable, ChoiceError

CFG = ArrayConfig()


def test_unknown_backend_lists_the_valid_names():
    names = re.escape(", ".join(backend_names()))
    with pytest.raises(ChoiceError, match=rf"^unknown backend 'fpga'; known backends: {names}$"):
        get_backend("fpga", CFG)


def test_emulator_is_registered_available_and_a_backend():
    assert "emulator" in backend_names() and set(BACKENDS) == set(backend_names())
    assert EmulatorBackend.probe() == Availability(True, "bit-accurate Python model")
    be = get_backend("emulator", CFG)
    assert isinstance(be, Backend) and be.name == "emulator"


def test_unavailable_backend_says_why(monkeypatch):
    class Offline(EmulatorBackend):
        name = "offline"

        @classmethod
        def probe(cls):
            return Availability(False, "no board found")

    monkeypatch.setitem(BACKENDS, "offline", f"{__name__}:Offline")
    globals()["Offline"] = Offline
    with pytest.raises(BackendUnavailable,
                       match=r"^backend 'offline' is not available: no board found$"):
        get_backend("offline", CFG)


@pytest.mark.parametrize("kind", ["numpy", "torch"])
def test_run_returns_exact_values_and_counters_in_kind(kind):
    rng = np.random.default_rng(0)
    a = rng.integers(-8, 8, (9, 20)).astype(np.int8)
    b = rng.integers(0, 64, (20, 5)).astype(np.int8)
    if kind == "torch":
        a, b = torch.from_numpy(a), torch.from_numpy(b)
    d = Descriptor(m=9, n=5, k=20, a_bits=4, b_bits=6, b_signed=False, pass_=Pass.GC, layer=3)
    out = get_backend("emulator", CFG).run([Job(d, a, b)])[0]
    want = np.asarray(a).astype(np.int64) @ np.asarray(b).astype(np.int64)
    assert (torch.is_tensor(out.values)) == (kind == "torch")
    assert np.array_equal(np.asarray(out.values), want)
    assert out.descriptor is d and out.counters["macs"] == 9 * 5 * 20 and out.counters["cycles"] > 0


def test_descriptor_that_does_not_match_its_operands_is_refused():
    d = Descriptor(m=3, n=3, k=3, a_bits=4, b_bits=4)
    a = np.zeros((3, 4), np.int8)
    with pytest.raises(ConfigError, match=r"does not match its operands 3x4 and 4x3"):
        get_backend("emulator", CFG).run([Job(d, a, np.zeros((4, 3), np.int8))])
