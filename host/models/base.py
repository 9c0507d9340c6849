"""What every trainable model here is: quantized layers, residual blocks gates can decide, and a
trace that records each layer's input size, whether it needs an input gradient, and the order.

``QuantModel`` is the root (``layers()``, ``blocks``, ``add_gate``, ``gemm_shapes``);
``ResidualBlock`` is a block of the form ``combine(residual(x), shortcut(x))`` whose forward
hands itself to the controllers' gates (DFQ chooses its precision, SLU runs or skips it).
"""

from __future__ import annotations

from typing import Protocol

import torch
import torch.nn.functional as F
from torch import nn

from fpga_model import Pass

from ..layers import FLOAT, QuantConv2d, QuantLinear, Runtime, quant_layers

__all__ = ["BlockGate", "GateHost", "ResidualBlock", "QuantModel", "trace"]


class BlockGate(Protocol):
    """A controller's hook into every residual block, called in ``add_gate`` order."""

    def begin(self, batch: int) -> None:
        """A new forward pass of ``batch`` samples starts."""

    def block_mix(self, i: int, x: torch.Tensor, block: ResidualBlock,
                  mix: torch.Tensor | None) -> torch.Tensor | None:
        """Decide block ``i``'s precision from its input; returns the mix the block gets."""

    def block_forward(self, i: int, x: torch.Tensor, block: ResidualBlock,
                      mix: torch.Tensor | None) -> torch.Tensor | None:
        """Run (or skip) block ``i`` itself; None leaves it to the block."""


class GateHost:
    """The gates of one model and the index of each of its residual blocks."""

    def __init__(self) -> None:
        self.gates: list[BlockGate] = []

    def run_block(self, block: ResidualBlock, x: torch.Tensor) -> torch.Tensor:
        i = block.gate_index
        mix = None
        for gate in self.gates:
            mix = gate.block_mix(i, x, block, mix)
        for gate in self.gates:
            y = gate.block_forward(i, x, block, mix)
            if y is not None:
                return y
        return block.compute(x, mix)


class ResidualBlock(nn.Module):
    """``combine(residual(x, mix), shortcut(x))``; with gates attached, they decide it.

    Subclasses define ``residual``, ``shortcut``, ``gated_convs`` (the quantized convs whose
    precision a DFQ gate chooses: the residual path and the projection shortcut) and
    ``in_channels``; ``combine`` is ReLU of the sum unless overridden.
    """

    in_channels: int
    gate_index: int = -1

    def residual(self, x: torch.Tensor, mix: torch.Tensor | None = None) -> torch.Tensor:
        raise NotImplementedError

    def shortcut(self, x: torch.Tensor, mix: torch.Tensor | None = None) -> torch.Tensor:
        raise NotImplementedError

    @property
    def gated_convs(self) -> tuple[QuantConv2d, ...]:
        raise NotImplementedError

    def combine(self, res: torch.Tensor, short: torch.Tensor) -> torch.Tensor:
        return F.relu(res + short)

    def compute(self, x: torch.Tensor, mix: torch.Tensor | None = None) -> torch.Tensor:
        return self.combine(self.residual(x, mix), self.shortcut(x, mix))

    def forward(self, x: torch.Tensor, mix: torch.Tensor | None = None) -> torch.Tensor:
        host = self.__dict__.get("_gate_host")
        if host is not None and host.gates:
            return host.run_block(self, x)
        return self.compute(x, mix)


class QuantModel(nn.Module):
    """Root of a model of quantized layers (built-in or imported); subclasses define ``body``.

    Attributes set by ``trace`` (``build_model`` calls it): every layer's ``in_hw`` and
    ``input_grad`` (False for a layer fed by the input, which has no EB pass), the layer ids in
    execution order, and ``head``, the id of the classifier (the last layer, when it is a
    Linear), which the FracTrain code keeps in fp32.
    """

    head: int | None = None
    float_layers: tuple[str, ...] = ()  # modules left in float on the host (e.g. depthwise)

    def setup_blocks(self, blocks: list[ResidualBlock]) -> None:
        """Make ``blocks`` the residual blocks gates decide, in forward order."""
        self._gate_host = GateHost()
        self.blocks = list(blocks)  # a plain list: the blocks are registered where they live
        for i, b in enumerate(self.blocks):
            b.gate_index = i
            b.__dict__["_gate_host"] = self._gate_host  # not a submodule

    @property
    def gates(self) -> list[BlockGate]:
        return self._gate_host.gates

    def add_gate(self, name: str, module: nn.Module, hook: BlockGate) -> None:
        """Register a controller's block hook; its trainable ``module`` becomes ``<name>_gate``."""
        self.add_module(f"{name}_gate", module)
        self._gate_host.gates.append(hook)

    def body(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for gate in self._gate_host.gates:
            gate.begin(x.shape[0])
        return self.body(x)

    def layers(self) -> list[QuantConv2d]:
        return quant_layers(self)

    def gemm_shapes(self, batch: int) -> list[tuple[int, Pass, int, int, int]]:
        """(layer, pass, M, N, K) of the full static program of one mini-batch.

        A layer fed by the input has no EB pass: nothing upstream needs its input gradient.
        """
        out = []
        for layer in self.layers():
            if layer.in_hw is None:  # not reached by the forward pass
                continue
            for p, m, n, k in layer.gemm_shapes(batch, getattr(layer, "input_grad", True)):
                out.append((layer.index, p, m, n, k))
        return out


def trace(model: QuantModel, in_channels: int, image_size: int, *, reindex: bool) -> None:
    """One float forward pass that records each layer's input size and input-gradient need.

    ``reindex`` renumbers the layers in execution order (imported models: module order need
    not be the order they run in). The trace does not seed the activations' running ranges.
    """
    runtime: Runtime = model.layers()[0].runtime if model.layers() else Runtime()
    order: list[QuantConv2d] = []

    def pre(layer, args):
        layer.input_grad = bool(args[0].requires_grad)
        order.append(layer)

    hooks = [layer.register_forward_pre_hook(pre) for layer in model.layers()]
    engine, runtime.engine = runtime.engine, FLOAT
    was = model.training
    model.eval()
    try:
        with torch.enable_grad():
            model(torch.zeros(2, in_channels, image_size, image_size))
    finally:
        for h in hooks:
            h.remove()
        model.train(was)
        runtime.engine = engine
    seen = list(dict.fromkeys(order))
    if reindex:
        rest = [m for m in model.layers() if m not in seen]
        for i, layer in enumerate(seen + rest):
            layer.index = i
    last = seen[-1] if seen else None
    model.head = last.index if isinstance(last, QuantLinear) else None
    for layer in model.layers():
        layer.act_range.seen.fill_(False)
