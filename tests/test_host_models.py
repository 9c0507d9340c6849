"""ResNets on 8x8x1 and 32x32x3; the static program of a step is exactly what the driver runs."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from fpga_model import ArrayConfig, Pass
from host.accel.emulator import EmulatorTarget
from host.driver import Driver
from host.errors import ChoiceError
from host.layers import FLOAT, ArrayEngine, Runtime
from host.models import build_model


@pytest.mark.parametrize("name, layers, chans, size", [
    ("resnet8", 10, 1, 8), ("resnet20", 22, 1, 8), ("resnet38", 40, 1, 8),
    ("resnet8", 10, 3, 32), ("resnet20", 22, 3, 32),
])
def test_depth_and_input_shapes(name, layers, chans, size):
    model = build_model(name, chans, 10, 4, Runtime(engine=FLOAT), size)
    assert len(model.layers()) == layers
    assert [m.index for m in model.layers()] == list(range(layers))
    out = model(torch.randn(2, chans, size, size))
    assert out.shape == (2, 10)
    assert model.blocks[-1].conv2.in_hw == (size // 4, size // 4)


def test_gemm_shapes_are_the_program_the_driver_runs():
    cfg = ArrayConfig()
    drv = Driver(cfg, EmulatorTarget(cfg))
    model = build_model("resnet8", 1, 10, 4, Runtime(engine=ArrayEngine(drv)), 8)
    drv.begin_batch()
    F.cross_entropy(model(torch.randn(6, 1, 8, 8)), torch.arange(6)).backward()
    ran = sorted((d.layer, int(d.pass_), d.m, d.n, d.k) for d in drv.program)
    planned = sorted((l, int(p), m, n, k) for l, p, m, n, k in model.gemm_shapes(6))
    assert ran == planned
    assert not any(d.layer == 0 and d.pass_ == Pass.EB for d in drv.program)


def test_unknown_model_and_bad_width():
    with pytest.raises(ChoiceError, match=r"^unknown model 'resnet18'; known models: resnet8, "
                                          r"resnet20, resnet38$"):
        build_model("resnet18", 1, 10, 8, Runtime(), 8)
    with pytest.raises(ChoiceError, match=r"^width 0 must be at least 1"):
        build_model("resnet8", 1, 10, 0, Runtime(), 8)
