"""A model the user brings: ``--model package.module:factory`` with its layers made quantized.

The factory is called as ``factory(num_classes=..., in_channels=...)`` and must return a
``torch.nn.Module``. Every ``nn.Conv2d`` the array can run (groups 1, dilation 1, square
kernel, stride and padding, zero padding) and every ``nn.Linear`` becomes a quantized layer
with the same weights (a bias is added after the GEMM, on the host); the others stay float on
the host and are listed in ``float_layers``. Residual blocks written the common way (attributes
``conv1``/``bn1``/``conv2``/``bn2`` [``conv3``/``bn3``] and a ``downsample`` or ``shortcut``
module, as torchvision's BasicBlock and Bottleneck) are recognized, after a probe shows that
their forward computes ReLU(residual + shortcut), and become gateable blocks, so DFQ and SLU
apply to them.
"""

from __future__ import annotations

import importlib

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ChoiceError
from ..layers import QuantConv2d, QuantLinear, Runtime
from .base import QuantModel, ResidualBlock

__all__ = ["ImportedModel", "load_factory", "convert"]


def load_factory(path: str):
    """The callable at ``package.module:factory`` (one-line errors for what can go wrong)."""
    module, _, name = path.partition(":")
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        raise ChoiceError(f"model {path!r}: cannot import {module!r} ({exc}); put its package "
                          f"on PYTHONPATH or install it") from None
    except Exception as exc:  # noqa: BLE001 - the user's module failed to import
        raise ChoiceError(f"model {path!r}: importing {module!r} raised "
                          f"{type(exc).__name__}: {exc}; fix the module") from None
    factory = getattr(mod, name, None)
    if not callable(factory):
        raise ChoiceError(f"model {path!r}: {module!r} has no callable {name!r}; pass "
                          f"package.module:factory")
    return factory


class _Biased(nn.Module):
    """A quantized conv or linear layer whose bias is added after the GEMM (on the host)."""

    def __init__(self, layer: QuantConv2d, bias: torch.Tensor | None, linear: bool) -> None:
        super().__init__()
        self.layer = layer
        self.linear = linear
        self.bias = nn.Parameter(bias.detach().clone()) if bias is not None else None

    def forward(self, x: torch.Tensor, mix: torch.Tensor | None = None) -> torch.Tensor:
        if self.linear:
            lead = x.shape[:-1]
            y = self.layer(x.reshape(-1, x.shape[-1]), mix).reshape(*lead, -1)
            return y + self.bias if self.bias is not None else y
        y = self.layer(x, mix)
        return y + self.bias.view(1, -1, 1, 1) if self.bias is not None else y


def _square(v) -> int | None:
    v = tuple(v) if isinstance(v, (tuple, list)) else (v, v)
    return v[0] if len(set(v)) == 1 and isinstance(v[0], int) else None


def _convert_conv(m: nn.Conv2d, runtime: Runtime) -> nn.Module | None:
    k, s, p = _square(m.kernel_size), _square(m.stride), _square(m.padding)
    if (m.groups != 1 or _square(m.dilation) != 1 or None in (k, s, p)
            or m.padding_mode != "zeros"):
        return None
    q = QuantConv2d(m.in_channels, m.out_channels, k, s, p, runtime=runtime)
    with torch.no_grad():
        q.weight.copy_(m.weight)
    return _Biased(q, m.bias, linear=False)


def _convert_linear(m: nn.Linear, runtime: Runtime) -> nn.Module:
    q = QuantLinear(m.in_features, m.out_features, runtime=runtime)
    with torch.no_grad():
        q.weight.copy_(m.weight.view(m.out_features, m.in_features, 1, 1))
    return _Biased(q, m.bias, linear=True)


class AdaptedBlock(ResidualBlock):
    """A recognized residual block of an imported model: ReLU(residual + shortcut)."""

    def __init__(self, block: nn.Module, convs: list[str], down: str | None) -> None:
        super().__init__()
        self.names = convs
        for i, name in enumerate(convs, 1):
            self.add_module(f"conv{i}", getattr(block, f"conv{i}"))
            self.add_module(f"bn{i}", getattr(block, f"bn{i}"))
        self.down = getattr(block, down) if down else None
        first = getattr(block, "conv1")
        self.in_channels = first.in_channels if hasattr(first, "in_channels") else \
            first.layer.in_channels

    @property
    def gated_convs(self) -> tuple[QuantConv2d, ...]:
        return tuple(m for m in self.modules() if isinstance(m, QuantConv2d))

    def residual(self, x: torch.Tensor, mix: torch.Tensor | None = None) -> torch.Tensor:
        out = x
        n = len(self.names)
        for i in range(1, n + 1):
            conv, bn = getattr(self, f"conv{i}"), getattr(self, f"bn{i}")
            out = bn(conv(out, mix) if isinstance(conv, _Biased) else conv(out))
            if i < n:
                out = F.relu(out)
        return out

    def shortcut(self, x: torch.Tensor, mix: torch.Tensor | None = None) -> torch.Tensor:
        if self.down is None:
            return x
        out = x
        for m in (self.down if isinstance(self.down, nn.Sequential) else [self.down]):
            out = m(out, mix) if isinstance(m, _Biased) else m(out)
        return out


def _residual_form(m: nn.Module) -> tuple[list[str], str | None] | None:
    """(conv names, shortcut attribute) when ``m`` is a ResNet block computing
    ReLU(bnN(convN(...ReLU(bn1(conv1(x)))...)) + shortcut(x)), else None.

    The form is read from the attributes, then checked by running the block's own forward
    beside it on a probe input (float, evaluation mode): a block that computes something else
    (pre-activation, other activations) is left as it is.
    """
    if not all(hasattr(m, a) for a in ("conv1", "bn1", "conv2", "bn2")):
        return None
    convs = ["conv1", "conv2"] + (["conv3"] if hasattr(m, "conv3") and hasattr(m, "bn3") else [])
    down: str | None = None
    for attr in ("downsample", "shortcut"):
        if hasattr(m, attr):
            sub = getattr(m, attr)
            if sub is None or (isinstance(sub, nn.Sequential) and len(sub) == 0):
                break
            if isinstance(sub, nn.Module):
                down = attr
                break
    else:
        return None
    first = m.conv1
    if not isinstance(first, nn.Conv2d):
        return None
    was = m.training
    m.eval()
    try:
        with torch.no_grad():
            x = torch.randn(2, first.in_channels, 8, 8, generator=torch.Generator().manual_seed(0))
            out = x
            for i, name in enumerate(convs, 1):
                out = getattr(m, f"bn{i}")(getattr(m, name)(out))
                if i < len(convs):
                    out = F.relu(out)
            short = getattr(m, down)(x) if down else x
            same = torch.allclose(F.relu(out + short), m(x), rtol=1e-4, atol=1e-5)
    except Exception:  # noqa: BLE001 - shapes that do not fit the form
        same = False
    finally:
        m.train(was)
    return (convs, down) if same else None


def convert(net: nn.Module, runtime: Runtime) -> tuple[list[ResidualBlock], list[str]]:
    """Make ``net``'s layers quantized in place; returns (residual blocks, float layers)."""
    forms = {}  # recognized on the float modules, adapted once their layers are quantized
    for name, m in net.named_modules():
        form = _residual_form(m) if name else None
        if form is not None:
            forms[id(m)] = form
    floating: list[str] = []
    for name, m in list(net.named_modules()):
        for child_name, child in list(m.named_children()):
            full = f"{name}.{child_name}" if name else child_name
            if isinstance(child, nn.Conv2d):
                q = _convert_conv(child, runtime)
                if q is None:
                    floating.append(full)
                else:
                    setattr(m, child_name, q)
            elif isinstance(child, nn.Linear):
                setattr(m, child_name, _convert_linear(child, runtime))
    blocks: list[ResidualBlock] = []
    for m in list(net.modules()):
        for child_name, child in list(m.named_children()):
            if id(child) in forms and not isinstance(child, ResidualBlock):
                adapted = AdaptedBlock(child, *forms[id(child)])
                setattr(m, child_name, adapted)
                blocks.append(adapted)
    return blocks, floating


class ImportedModel(QuantModel):
    """Root of an imported model: ``net`` with quantized layers, its recognized blocks."""

    def __init__(self, path: str, in_channels: int, num_classes: int, runtime: Runtime) -> None:
        super().__init__()
        factory = load_factory(path)
        try:
            net = factory(num_classes=num_classes, in_channels=in_channels)
        except Exception as exc:  # noqa: BLE001 - the user's factory failed
            raise ChoiceError(f"model {path!r}: factory(num_classes={num_classes}, "
                              f"in_channels={in_channels}) raised {type(exc).__name__}: "
                              f"{exc}; it must take both keywords") from None
        if not isinstance(net, nn.Module):
            raise ChoiceError(f"model {path!r}: the factory returned "
                              f"{type(net).__name__}, not a torch.nn.Module")
        self.runtime = runtime
        self.path = path
        blocks, self.float_layers = convert(net, runtime)
        self.net = net
        self.float_layers = tuple(f"net.{n}" for n in self.float_layers)
        if not self.layers():
            raise ChoiceError(f"model {path!r} has no Conv2d or Linear layer the array can run; "
                              f"nothing would be quantized")
        self.setup_blocks(blocks)

    def body(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
