"""CIFAR ResNets of quantized layers: ResNet-(6n+2) of BasicBlocks, ResNet-164 of Bottlenecks.

The stem is a 3x3 conv at the input resolution, followed by three stages with widths w, 2w, 4w
(strides 1, 2, 2; w = 16 in the papers), global average pooling and a linear classifier. A
block that changes shape has a 1x1 conv + BN projection shortcut (E2-Train's "ds"). ResNet-164
(9n+2, n = 18) uses bottleneck blocks (1x1, 3x3, 1x1 with expansion 4: outputs 4w, 8w, 16w), as
in He et al.'s CIFAR ResNet-164. The same networks take 8x8 single-channel digits and 32x32x3
CIFAR images.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ChoiceError
from ..layers import QuantConv2d, QuantLinear, Runtime
from .base import QuantModel, ResidualBlock

__all__ = ["BasicBlock", "Bottleneck", "ResNet"]


class _Projection:
    """The optional 1x1 conv + BN projection shortcut of a block that changes shape."""

    _MAIN_CONVS: tuple[str, ...] = ()  # the residual path's convs, in order

    def _make_down(self, cin: int, cout: int, stride: int, runtime: Runtime, index: int) -> int:
        self.down: QuantConv2d | None = None
        if stride != 1 or cin != cout:
            self.down = QuantConv2d(cin, cout, 1, stride, 0, runtime=runtime, index=index)
            self.down_bn = nn.BatchNorm2d(cout)
            return 1
        return 0

    def shortcut(self, x: torch.Tensor, mix: torch.Tensor | None = None) -> torch.Tensor:
        return x if self.down is None else self.down_bn(self.down(x, mix))

    @property
    def gated_convs(self) -> tuple[QuantConv2d, ...]:
        """The convs whose precision a DFQ gate chooses (the projection too, as FracTrain)."""
        main = tuple(getattr(self, name) for name in self._MAIN_CONVS)
        return main + ((self.down,) if self.down is not None else ())


class BasicBlock(_Projection, ResidualBlock):
    """conv3x3-BN-ReLU-conv3x3-BN plus shortcut, then ReLU."""

    expansion = 1
    _MAIN_CONVS = ("conv1", "conv2")

    def __init__(self, cin: int, planes: int, stride: int, runtime: Runtime, first_index: int):
        super().__init__()
        cout = planes
        self.conv1 = QuantConv2d(cin, cout, 3, stride, 1, runtime=runtime, index=first_index)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = QuantConv2d(cout, cout, 3, 1, 1, runtime=runtime, index=first_index + 1)
        self.bn2 = nn.BatchNorm2d(cout)
        self.layer_count = 2 + self._make_down(cin, cout, stride, runtime, first_index + 2)
        self.in_channels = cin

    def residual(self, x: torch.Tensor, mix: torch.Tensor | None = None) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x, mix)))
        return self.bn2(self.conv2(out, mix))


class Bottleneck(_Projection, ResidualBlock):
    """conv1x1-BN-ReLU-conv3x3(stride)-BN-ReLU-conv1x1(x4)-BN plus shortcut, then ReLU."""

    expansion = 4
    _MAIN_CONVS = ("conv1", "conv2", "conv3")

    def __init__(self, cin: int, planes: int, stride: int, runtime: Runtime, first_index: int):
        super().__init__()
        cout = planes * self.expansion
        self.conv1 = QuantConv2d(cin, planes, 1, 1, 0, runtime=runtime, index=first_index)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = QuantConv2d(planes, planes, 3, stride, 1, runtime=runtime,
                                 index=first_index + 1)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = QuantConv2d(planes, cout, 1, 1, 0, runtime=runtime, index=first_index + 2)
        self.bn3 = nn.BatchNorm2d(cout)
        self.layer_count = 3 + self._make_down(cin, cout, stride, runtime, first_index + 3)
        self.in_channels = cin

    def residual(self, x: torch.Tensor, mix: torch.Tensor | None = None) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x, mix)))
        out = F.relu(self.bn2(self.conv2(out, mix)))
        return self.bn3(self.conv3(out, mix))


def resnet_layout(depth: int) -> tuple[type[ResidualBlock], int]:
    """(block type, blocks per stage) of a CIFAR ResNet depth: 6n+2 basic, 164 bottleneck."""
    if depth == 164:
        return Bottleneck, 18
    if depth < 8 or (depth - 2) % 6:
        raise ChoiceError(f"ResNet depth {depth} is not 6n+2 (or 164); use 8, 20, 38, 74, 110 "
                          f"or 164")
    return BasicBlock, (depth - 2) // 6


class ResNet(QuantModel):
    """CIFAR ResNet of quantized layers (see the module docstring).

    Controllers' gates hook into the residual blocks (``add_gate``: DFQ's precision gate,
    SLU's skip gate); with none, this is a plain quantized ResNet.
    """

    def __init__(self, depth: int, in_channels: int, num_classes: int, width: int,
                 runtime: Runtime) -> None:
        super().__init__()
        block, n = resnet_layout(depth)
        self.runtime = runtime
        self.depth = depth
        self.stem = QuantConv2d(in_channels, width, 3, 1, 1, runtime=runtime, index=0)
        self.stem_bn = nn.BatchNorm2d(width)
        blocks = []
        index, cin = 1, width
        for stage, planes in enumerate((width, 2 * width, 4 * width)):
            for j in range(n):
                stride = 2 if (stage > 0 and j == 0) else 1
                b = block(cin, planes, stride, runtime, index)
                index += b.layer_count
                blocks.append(b)
                cin = planes * block.expansion
        self.stages = nn.ModuleList(blocks)
        self.fc = QuantLinear(cin, num_classes, runtime=runtime, index=index)
        self.setup_blocks(blocks)

    def body(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.stem_bn(self.stem(x)))
        for block in self.stages:
            out = block(out)
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)
        return self.fc(out)
