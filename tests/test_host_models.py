"""Built-in models (CIFAR ResNets, ResNet-164, MobileNetV2) and imported ones; the static program
of a step is exactly what the driver runs."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from fpga_model import ArrayConfig, Pass
from host.accel.emulator import EmulatorTarget
from host.driver import Driver
from host.errors import ChoiceError
from host.layers import FLOAT, ArrayEngine, QuantLinear, Runtime
from host.models import Bottleneck, build_model


@pytest.mark.parametrize("name, layers, blocks", [
    ("resnet8", 10, 3), ("resnet20", 22, 9), ("resnet38", 40, 18), ("resnet74", 76, 36),
    ("resnet110", 112, 54), ("resnet164", 167, 54),
])
def test_resnet_depths(name, layers, blocks):
    model = build_model(name, 1, 10, 4, Runtime(engine=FLOAT), 8)
    assert len(model.layers()) == layers and len(model.blocks) == blocks
    assert [m.index for m in model.layers()] == list(range(layers))
    assert model.head == layers - 1


@pytest.mark.parametrize("name, millions", [  # the published sizes of the CIFAR-10 models
    ("resnet20", 0.27), ("resnet110", 1.73), ("resnet164", 1.70), ("mobilenetv2", 2.30),
])
def test_official_widths_on_cifar(name, millions):
    model = build_model(name, 3, 10, 16, Runtime(engine=FLOAT), 32)
    assert round(sum(p.numel() for p in model.parameters()) / 1e6, 2) == millions
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)
    if name == "resnet164":
        assert all(isinstance(b, Bottleneck) for b in model.blocks)
        assert model.fc.in_channels == 256  # 16 * 4 * 4
    if name == "mobilenetv2":
        assert len(model.float_layers) == 17 and len(model.blocks) == 14  # 17 - 3 strided


@pytest.mark.parametrize("name", ["resnet8", "resnet164", "mobilenetv2",
                                  "byo_models:tiny_resnet"])
def test_gemm_shapes_are_the_program_the_driver_runs(name):
    cfg = ArrayConfig()
    drv = Driver(cfg, EmulatorTarget(cfg))
    model = build_model(name, 1, 10, 4, Runtime(engine=ArrayEngine(drv)), 8)
    drv.begin_batch()
    F.cross_entropy(model(torch.randn(6, 1, 8, 8)), torch.arange(6)).backward()
    ran = sorted((d.layer, int(d.pass_), d.m, d.n, d.k) for d in drv.program)
    planned = sorted((l, int(p), m, n, k) for l, p, m, n, k in model.gemm_shapes(6))
    assert ran == planned
    first = min(d.layer for d in drv.program)
    assert not any(d.layer == first and d.pass_ == Pass.EB for d in drv.program)


def test_imported_model_keeps_weights_and_recognizes_residual_blocks():
    import byo_models

    torch.manual_seed(0)
    ref = byo_models.tiny_resnet(num_classes=10, in_channels=1)
    torch.manual_seed(0)
    model = build_model("byo_models:tiny_resnet", 1, 10, 4, Runtime(engine=FLOAT), 8)
    assert len(model.blocks) == 2 and model.float_layers == ("net.dw",)
    assert len(model.layers()) == 7  # stem, 2 + 2 + downsample convs, head
    assert isinstance(model.layers()[-1], QuantLinear) and model.head == 6
    assert torch.equal(model.net.stem.layer.weight, ref.stem.weight)
    assert torch.equal(model.net.stem.bias, ref.stem.bias)
    assert [b.in_channels for b in model.blocks] == [8, 8]
    assert len(model.blocks[1].gated_convs) == 3  # conv1, conv2 and the projection
    ref.eval()
    model.eval()
    x = torch.randn(3, 1, 8, 8)
    with torch.no_grad():  # close to the float model it came from (8-bit fake quantization)
        assert torch.allclose(model(x), ref(x), atol=0.15 * float(ref(x).abs().max()))


def test_a_block_of_another_form_is_not_taken_for_a_resnet_block():
    model = build_model("byo_models:preact", 1, 10, 4, Runtime(engine=FLOAT), 8)
    assert model.blocks == [] and len(model.layers()) == 4  # quantized, but not gateable
    assert model(torch.randn(2, 1, 8, 8)).shape == (2, 10)


@pytest.mark.parametrize("name, message", [
    ("resnet18", r"^unknown model 'resnet18'; known models: resnet8, resnet20, resnet38, "
                 r"resnet74, resnet110, resnet164, mobilenetv2 \(or package.module:factory\)$"),
    ("no_such_pkg.mod:f", r"^model 'no_such_pkg.mod:f': cannot import 'no_such_pkg.mod'"),
    ("byo_models:nothing", r"^model 'byo_models:nothing': 'byo_models' has no callable "
                           r"'nothing'"),
    ("byo_models:broken", r"^model 'byo_models:broken': factory\(num_classes=10, "
                          r"in_channels=1\) raised TypeError"),
    ("byo_models:no_layers", r"^model 'byo_models:no_layers' has no Conv2d or Linear layer"),
    ("a b:c", r"^model 'a b:c' is not an import path"),
    ("byo_models:for_224", r"^model 'byo_models:for_224' fails on a 1x8x8 input "
                           r"\(RuntimeError: .*\); choose a model for this data$"),
])
def test_bad_models_are_one_line_errors(name, message):
    with pytest.raises(ChoiceError, match=message):
        build_model(name, 1, 10, 8, Runtime(), 8)


def test_bad_width():
    with pytest.raises(ChoiceError, match=r"^width 0 must be at least 1"):
        build_model("resnet8", 1, 10, 0, Runtime(), 8)
