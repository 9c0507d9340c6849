"""FracTrain's min/max affine quantizer, producing the integer codes the array consumes.

A tensor ``x`` quantized at ``b`` bits becomes ``codes``, ``scale`` and an integer ``zero`` with
``x ~= scale * (codes - zero)``. The range is the tensor's min/max widened to include 0, so that
0.0 (conv padding, ReLU zeros) has an exact code and the zero point is an integer; the array then
sees plain integer codes and the host adds the zero-point terms exactly (see ``zero_point_terms``).

Two code forms:

- affine (FracTrain): unsigned codes ``u`` in [0, 2^b-1] shifted to two's complement,
  ``q = u - 2^(b-1)``, with the zero point shifted the same way (signed operands on the array);
  a tensor whose zero point is 0 (non-negative, e.g. after ReLU) keeps its unsigned codes.
- anchored (E2-Train, used by PSG): zero point 0; unsigned codes for a non-negative tensor, else
  symmetric signed codes in [-(2^(b-1)-1), 2^(b-1)-1]. Codes are then proportional to values, so
  an MSB prefix of the GEMM predicts the sign of the result.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["QTensor", "code_dtype", "dither", "tensor_range", "quantize_tensor", "quantize_rows",
           "RunningRange"]

_MIN_SCALE = 1e-8


def code_dtype(bits: int, signed: bool) -> torch.dtype:
    """The most compact torch dtype that holds ``bits``-wide codes."""
    if signed:
        return torch.int8 if bits <= 8 else torch.int16
    return torch.uint8 if bits <= 8 else torch.int16


@dataclass
class QTensor:
    """Integer codes plus their scale and integer zero point: ``x ~= scale * (codes - zero)``.

    ``scale`` and ``zero`` are Python numbers for a per-tensor quantizer, and 1-D tensors (one
    entry per row of ``codes``) for the per-output-channel weight quantizer.
    """

    codes: torch.Tensor
    scale: float | torch.Tensor
    zero: int | torch.Tensor
    bits: int
    signed: bool

    @property
    def per_row(self) -> bool:
        return isinstance(self.scale, torch.Tensor)

    def dequantize(self) -> torch.Tensor:
        """The float values the codes stand for (the fake-quantization view)."""
        if self.per_row:
            shape = (-1,) + (1,) * (self.codes.dim() - 1)
            return (self.codes.float() - self.zero.view(shape).float()) * self.scale.view(shape)
        return (self.codes.float() - self.zero) * self.scale


def _memory_order(x: torch.Tensor) -> torch.Tensor:
    """A 1-D view of a dense tensor in its memory order (``x`` itself if it has none).

    Full reductions over a permuted tensor (e.g. channels-last memory seen as NCHW) walk it
    with large strides; the same elements in memory order reduce several times faster.
    """
    if x.is_contiguous():
        return x.reshape(-1)
    dims = sorted(range(x.dim()), key=lambda d: (x.stride(d), x.shape[d]), reverse=True)
    p = x.permute(dims)
    return p.view(-1) if p.is_contiguous() else x


def tensor_range(x: torch.Tensor) -> tuple[float, float]:
    """(min, max) of a tensor as Python floats (the per-tensor "extreme" reduction)."""
    lo, hi = torch.aminmax(_memory_order(x.detach()))
    return float(lo), float(hi)


def dither(shape: tuple[int, ...], generator: torch.Generator | None = None,
           device: torch.device | str | None = None) -> torch.Tensor:
    """Uniform noise in (0, 1) at 15-bit resolution, four draws per 63-bit random word.

    Stochastic rounding needs only a few random bits per element; splitting each random word
    into four 15-bit fractions is several times cheaper than ``torch.rand`` per element.
    """
    return _dither_steps(shape, generator, device).mul_(1.0 / 32768.0)


def _dither_steps(shape: tuple[int, ...], generator: torch.Generator | None = None,
                  device: torch.device | str | None = None) -> torch.Tensor:
    """``dither`` in units of 2^-15: ``r + 0.5`` for 15-bit random ``r`` (float32, exact)."""
    numel = 1
    for d in shape:
        numel *= d
    words = torch.empty((numel + 3) // 4, dtype=torch.int64, device=device)
    words.random_(generator=generator)  # uniform in [0, 2^63): 15 random bits per 16-bit chunk
    r = words.view(torch.int16)[:numel].view(shape).bitwise_and(0x7FFF)
    return torch.add(r, 0.5)  # int16 + float: float32 in one pass, exact below 2^24


def quantize_tensor(x: torch.Tensor, bits: int, lo: float, hi: float, *,
                    stochastic: bool = False, generator: torch.Generator | None = None,
                    anchored: bool = False, offset: int = 0) -> QTensor:
    """Quantize ``x`` per tensor over the range [lo, hi] (widened to include 0).

    Args:
        x: float tensor (any shape and memory layout; the codes keep the layout).
        bits: code width.
        lo, hi: the range, e.g. from ``tensor_range`` or running statistics.
        stochastic: round with uniform noise (FracTrain's error quantizer), drawn from
            ``generator`` so that runs are reproducible.
        anchored: zero point 0 (see the module docstring) instead of the affine form.
        offset: anchored only: codes are stored ``offset`` higher (the zero point becomes
            ``offset``), the top of the code range giving up that much headroom. PSG uses half
            the weight of the lowest digit its prefix keeps, so that the array's truncation
            (toward -inf) of an offset code is round-to-nearest of the code.

    An affine tensor whose zero point is 0 (a non-negative tensor such as a ReLU output) keeps
    unsigned codes with zero point 0; other affine tensors get two's-complement codes.
    """
    x = x.detach()
    if anchored:
        if lo >= 0.0:
            qmax, signed = (1 << bits) - 1 - offset, False
        else:
            qmax, signed = (1 << (bits - 1)) - 1 - offset, True
        scale = max(max(abs(lo), abs(hi)) / qmax, _MIN_SCALE)
        v = x * (1.0 / scale)
        qmin, zero, shift = (-qmax if signed else 0), 0, -offset
    else:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
        qmax = (1 << bits) - 1
        scale = max((hi - lo) / qmax, _MIN_SCALE)
        zero = min(max(round(-lo / scale), 0), qmax)
        v = x * (1.0 / scale)
        if zero:
            v.add_(float(zero))
        qmin, signed = 0, zero != 0
        shift = (1 << (bits - 1)) if signed else 0
    if stochastic:  # floor(v + U(0,1)): round up with probability frac(v)
        # adding steps * 2^-15 adds exactly ``dither`` (a power-of-two scale of an exact value)
        v.add_(_dither_steps(tuple(v.shape), generator, v.device), alpha=1.0 / 32768.0).floor_()
    else:
        v.round_()
    v.clamp_(qmin, qmax)
    if shift:
        v.sub_(shift)
    return QTensor(v.to(code_dtype(bits, signed)), scale, zero - shift, bits, signed)


def quantize_rows(w: torch.Tensor, bits: int, *, anchored: bool = False) -> QTensor:
    """Quantize a 2-D weight matrix per row (per output channel), deterministic rounding."""
    w = w.detach()
    if anchored:
        qmax = (1 << (bits - 1)) - 1
        scale = (w.abs().amax(dim=1) / qmax).clamp_min_(_MIN_SCALE)
        v = (w / scale[:, None]).round_().clamp_(-qmax, qmax)
        zero = torch.zeros_like(scale, dtype=torch.int64)
    else:
        lo, hi = torch.aminmax(w, dim=1)
        lo, hi = lo.clamp(max=0.0), hi.clamp(min=0.0)
        qmax = (1 << bits) - 1
        scale = ((hi - lo) / qmax).clamp_min_(_MIN_SCALE)
        zf = (-lo / scale).round_().clamp_(0, qmax)
        shift = 1 << (bits - 1)
        v = (w / scale[:, None] + zf[:, None]).round_().clamp_(0, qmax).sub_(shift)
        zero = zf.to(torch.int64) - shift
    return QTensor(v.to(code_dtype(bits, True)), scale, zero, bits, True)


class RunningRange(torch.nn.Module):
    """Activation range for evaluation: running <- m * running + (1 - m) * batch (FracTrain)."""

    def __init__(self, momentum: float = 0.9) -> None:
        super().__init__()
        self.momentum = momentum
        self.register_buffer("lo", torch.zeros(()))
        self.register_buffer("hi", torch.zeros(()))
        self.register_buffer("seen", torch.zeros((), dtype=torch.bool))

    def observe(self, x: torch.Tensor) -> tuple[float, float]:
        """Range of ``x`` for quantizing it; in training also folds it into the running range."""
        if not self.training:
            if not bool(self.seen):
                return tensor_range(x)
            return float(self.lo), float(self.hi)
        lo, hi = tensor_range(x)
        if bool(self.seen):
            m = self.momentum
            self.lo.mul_(m).add_((1 - m) * lo)
            self.hi.mul_(m).add_((1 - m) * hi)
        else:
            self.lo.fill_(lo)
            self.hi.fill_(hi)
            self.seen.fill_(True)
        return lo, hi
