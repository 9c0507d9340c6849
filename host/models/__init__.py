"""The models ``fracfpga train`` trains: CIFAR ResNets, MobileNetV2, and any imported module.

``build_model`` builds one by name (``host.names.MODELS``) or import path
(``package.module:factory``) and traces it once, so that every quantized layer knows its input
size and whether it needs an input gradient, and the classifier (``head``) is known.
"""

from __future__ import annotations

from ..errors import ChoiceError
from ..layers import Runtime
from ..names import MODELS, check_model, is_import_path
from .base import BlockGate, QuantModel, ResidualBlock, trace
from .imported import ImportedModel
from .mobilenet import InvertedResidual, MobileNetV2
from .resnet import BasicBlock, Bottleneck, ResNet

__all__ = ["MODELS", "build_model", "QuantModel", "ResidualBlock", "BlockGate", "ResNet",
           "BasicBlock", "Bottleneck", "MobileNetV2", "InvertedResidual", "ImportedModel"]


def build_model(name: str, in_channels: int, num_classes: int, width: int,
                runtime: Runtime, image_size: int) -> QuantModel:
    """Build a built-in model or ``package.module:factory``, and trace it once."""
    check_model(name)
    if width < 1:
        raise ChoiceError(f"width {width} must be at least 1; pass e.g. --width 8")
    if is_import_path(name):
        model: QuantModel = ImportedModel(name, in_channels, num_classes, runtime)
    elif MODELS[name][0] == "mobilenetv2":
        model = MobileNetV2(in_channels, num_classes, width, runtime)
    else:
        model = ResNet(MODELS[name][1], in_channels, num_classes, width, runtime)
    if not is_import_path(name):
        trace(model, in_channels, image_size, reindex=False)
        return model
    try:
        trace(model, in_channels, image_size, reindex=True)
    except Exception as exc:  # noqa: BLE001 - e.g. a model made for other input sizes
        raise ChoiceError(f"model {name!r} fails on a {in_channels}x{image_size}x{image_size} "
                          f"input ({type(exc).__name__}: {exc}); choose a model for this "
                          f"data") from None
    return model
