"""MobileNetV2 for CIFAR (32x32 inputs: stride 1 in the stem and the first two stages).

Inverted residual blocks: 1x1 expand (t x) - BN - ReLU, 3x3 depthwise (stride s) - BN - ReLU,
1x1 project - BN (ReLU rather than ReLU6, as the CIFAR versions); a stride-1 block
adds a shortcut (identity, or 1x1 conv + BN when the width changes). Stages (t, c, n, s):
(1,16,1,1) (6,24,2,1) (6,32,3,2) (6,64,4,2) (6,96,3,1) (6,160,3,2) (6,320,1,1), a 3x3 stem of
32, a 1x1 conv to 1280, average pooling and the classifier. ``width`` scales every stage by
width/16 (16: the paper's 1.0x).

Depthwise convolutions are grouped GEMMs of one input channel each, which the array's
descriptor does not express: they stay float on the host (``float_layers``), as FracTrain keeps
them at a fixed precision outside the DFQ choice.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..layers import QuantConv2d, QuantLinear, Runtime
from .base import QuantModel, ResidualBlock

__all__ = ["MobileNetV2", "InvertedResidual", "MBV2_STAGES"]

MBV2_STAGES = ((1, 16, 1, 1), (6, 24, 2, 1), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
               (6, 160, 3, 2), (6, 320, 1, 1))


class InvertedResidual(ResidualBlock):
    """Expand 1x1, depthwise 3x3, project 1x1; ``residual`` of a stride-1 block."""

    def __init__(self, cin: int, cout: int, expansion: int, stride: int, runtime: Runtime,
                 first_index: int) -> None:
        super().__init__()
        mid = cin * expansion
        self.stride = stride
        self.expand = QuantConv2d(cin, mid, 1, 1, 0, runtime=runtime, index=first_index)
        self.bn1 = nn.BatchNorm2d(mid)
        self.depthwise = nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.project = QuantConv2d(mid, cout, 1, 1, 0, runtime=runtime, index=first_index + 1)
        self.bn3 = nn.BatchNorm2d(cout)
        self.down: QuantConv2d | None = None
        self.layer_count = 2
        if stride == 1 and cin != cout:
            self.down = QuantConv2d(cin, cout, 1, 1, 0, runtime=runtime, index=first_index + 2)
            self.down_bn = nn.BatchNorm2d(cout)
            self.layer_count = 3
        self.in_channels = cin

    @property
    def has_shortcut(self) -> bool:
        return self.stride == 1

    @property
    def gated_convs(self) -> tuple[QuantConv2d, ...]:
        return (self.expand, self.project) + ((self.down,) if self.down is not None else ())

    def residual(self, x: torch.Tensor, mix: torch.Tensor | None = None) -> torch.Tensor:
        out = F.relu(self.bn1(self.expand(x, mix)))
        out = F.relu(self.bn2(self.depthwise(out)))
        return self.bn3(self.project(out, mix))

    def shortcut(self, x: torch.Tensor, mix: torch.Tensor | None = None) -> torch.Tensor:
        return x if self.down is None else self.down_bn(self.down(x, mix))

    def combine(self, res: torch.Tensor, short: torch.Tensor) -> torch.Tensor:
        return res + short

    def forward(self, x: torch.Tensor, mix: torch.Tensor | None = None) -> torch.Tensor:
        if not self.has_shortcut:
            return self.residual(x)
        return super().forward(x, mix)


class MobileNetV2(QuantModel):
    """MobileNetV2 for CIFAR of quantized layers; the stride-1 blocks are the residual blocks."""

    def __init__(self, in_channels: int, num_classes: int, width: int, runtime: Runtime) -> None:
        super().__init__()
        scale = width / 16.0

        def ch(c: int) -> int:
            return max(1, int(round(c * scale)))

        self.runtime = runtime
        self.stem = QuantConv2d(in_channels, ch(32), 3, 1, 1, runtime=runtime, index=0)
        self.stem_bn = nn.BatchNorm2d(ch(32))
        index, cin = 1, ch(32)
        blocks = []
        for t, c, n, s in MBV2_STAGES:
            for j in range(n):
                b = InvertedResidual(cin, ch(c), t, s if j == 0 else 1, runtime, index)
                index += b.layer_count
                blocks.append(b)
                cin = ch(c)
        self.stages = nn.ModuleList(blocks)
        self.last = QuantConv2d(cin, ch(1280), 1, 1, 0, runtime=runtime, index=index)
        self.last_bn = nn.BatchNorm2d(ch(1280))
        self.fc = QuantLinear(ch(1280), num_classes, runtime=runtime, index=index + 1)
        self.float_layers = tuple(f"stages.{i}.depthwise" for i in range(len(blocks)))
        self.setup_blocks([b for b in blocks if b.has_shortcut])

    def body(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.stem_bn(self.stem(x)))
        for block in self.stages:
            out = block(out)
        out = F.relu(self.last_bn(self.last(out)))
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)
        return self.fc(out)
