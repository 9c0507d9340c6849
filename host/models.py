"""CIFAR-style ResNets (8/20/38) built from quantized layers, with hooks for block gates (DFQ, SLU).

The stem is a 3x3 conv at the input resolution, followed by three stages of BasicBlocks with
widths w, 2w, 4w (strides 1, 2, 2), global average pooling and a linear classifier. A block that
changes shape has a 1x1 conv + BN projection shortcut (E2-Train's "ds"). The same network takes
8x8 single-channel digits and 32x32x3 CIFAR images.
"""

from __future__ import annotations

from typing import Protocol

import torch
import torch.nn.functional as F
from torch import nn

from fpga_model import Pass

from .errors import ChoiceError
from .layers import FLOAT, QuantConv2d, QuantLinear, Runtime, quant_layers

__all__ = ["MODELS", "BasicBlock", "ResNet", "build_model", "BlockGate"]

MODELS = {"resnet8": 8, "resnet20": 20, "resnet38": 38}


class BasicBlock(nn.Module):
    """conv3x3-BN-ReLU-conv3x3-BN plus shortcut, then ReLU."""

    def __init__(self, cin: int, cout: int, stride: int, runtime: Runtime, first_index: int):
        super().__init__()
        self.conv1 = QuantConv2d(cin, cout, 3, stride, 1, runtime=runtime, index=first_index)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = QuantConv2d(cout, cout, 3, 1, 1, runtime=runtime, index=first_index + 1)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down: QuantConv2d | None = None
        if stride != 1 or cin != cout:
            self.down = QuantConv2d(cin, cout, 1, stride, 0, runtime=runtime,
                                    index=first_index + 2)
            self.down_bn = nn.BatchNorm2d(cout)
        self.in_channels = cin

    @property
    def gated_convs(self) -> tuple[QuantConv2d, QuantConv2d]:
        """The convs whose precision a DFQ gate chooses (the shortcut stays static)."""
        return self.conv1, self.conv2

    def num_layers(self) -> int:
        return 2 if self.down is None else 3

    def shortcut(self, x: torch.Tensor) -> torch.Tensor:
        return x if self.down is None else self.down_bn(self.down(x))

    def residual(self, x: torch.Tensor, mix: torch.Tensor | None = None) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x, mix)))
        return self.bn2(self.conv2(out, mix))

    def forward(self, x: torch.Tensor, mix: torch.Tensor | None = None) -> torch.Tensor:
        return F.relu(self.residual(x, mix) + self.shortcut(x))


class BlockGate(Protocol):
    """A controller's hook into every residual block, called in ``add_gate`` order."""

    def begin(self, batch: int) -> None:
        """A new forward pass of ``batch`` samples starts."""

    def block_mix(self, i: int, x: torch.Tensor, block: BasicBlock,
                  mix: torch.Tensor | None) -> torch.Tensor | None:
        """Decide block ``i``'s precision from its input; returns the mix the block gets."""

    def block_forward(self, i: int, x: torch.Tensor, block: BasicBlock,
                      mix: torch.Tensor | None) -> torch.Tensor | None:
        """Run (or skip) block ``i`` itself; None leaves it to the block."""


class ResNet(nn.Module):
    """CIFAR ResNet-(6n+2) of quantized layers.

    ``gates`` are controllers' hooks into the residual blocks (``BlockGate``: DFQ's precision
    gate, SLU's skip gate; see ``add_gate``); with none, this is a plain quantized ResNet.
    """

    def __init__(self, depth: int, in_channels: int, num_classes: int, width: int,
                 runtime: Runtime) -> None:
        super().__init__()
        if (depth - 2) % 6:
            raise ChoiceError(f"ResNet depth {depth} is not 6n+2; use 8, 20 or 38")
        n = (depth - 2) // 6
        self.runtime = runtime
        self.depth = depth
        self.stem = QuantConv2d(in_channels, width, 3, 1, 1, runtime=runtime, index=0)
        self.stem_bn = nn.BatchNorm2d(width)
        blocks = []
        index, cin = 1, width
        for stage, cout in enumerate((width, 2 * width, 4 * width)):
            for j in range(n):
                stride = 2 if (stage > 0 and j == 0) else 1
                b = BasicBlock(cin, cout, stride, runtime, index)
                index += b.num_layers()
                blocks.append(b)
                cin = cout
        self.blocks = nn.ModuleList(blocks)
        self.fc = QuantLinear(cin, num_classes, runtime=runtime, index=index)
        self.gates: list[BlockGate] = []

    def add_gate(self, name: str, module: nn.Module, hook: BlockGate) -> None:
        """Register a controller's block hook; its trainable ``module`` becomes ``<name>_gate``."""
        self.add_module(f"{name}_gate", module)
        self.gates.append(hook)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.stem_bn(self.stem(x)))
        gates = self.gates
        for gate in gates:
            gate.begin(x.shape[0])
        for i, block in enumerate(self.blocks):
            mix = None
            for gate in gates:
                mix = gate.block_mix(i, out, block, mix)
            y = None
            for gate in gates:
                y = gate.block_forward(i, out, block, mix)
                if y is not None:
                    break
            out = y if y is not None else block(out, mix)
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)
        return self.fc(out)

    def layers(self) -> list[QuantConv2d]:
        return quant_layers(self)

    def gemm_shapes(self, batch: int) -> list[tuple[int, Pass, int, int, int]]:
        """(layer, pass, M, N, K) of the full static program of one mini-batch.

        The stem has no EB pass: nothing upstream needs the input gradient.
        """
        out = []
        for layer in self.layers():
            for p, m, n, k in layer.gemm_shapes(batch, input_grad=layer is not self.stem):
                out.append((layer.index, p, m, n, k))
        return out


def build_model(name: str, in_channels: int, num_classes: int, width: int,
                runtime: Runtime, image_size: int) -> ResNet:
    """Build ``resnet8|resnet20|resnet38`` and trace it once to record every layer's input size."""
    if name not in MODELS:
        raise ChoiceError(f"unknown model {name!r}; known models: {', '.join(MODELS)}")
    if width < 1:
        raise ChoiceError(f"width {width} must be at least 1; pass e.g. --width 8")
    model = ResNet(MODELS[name], in_channels, num_classes, width, runtime)
    engine = runtime.engine
    runtime.engine = FLOAT
    was = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros(2, in_channels, image_size, image_size))
    model.train(was)
    runtime.engine = engine
    for layer in model.layers():  # the trace must not seed the running ranges
        layer.act_range.seen.fill_(False)
    return model
