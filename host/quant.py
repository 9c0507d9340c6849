"""FracTrain's min/max affine quantizer, producing the integer codes the array consumes.

A tensor ``x`` quantized at ``b`` bits becomes ``codes``, ``scale`` and an integer ``zero`` with
``x ~= scale * (codes - zero)``. The range is the tensor's min/max widened to include 0, so that
0.0 (conv padding, ReLU zeros) has an exact code and the zero point is an integer; the array then
sees plain integer codes and the host adds the zero-point terms exactly (see ``zero_point_terms``).

Two code forms:

- affine (FracTrain): unsigned codes ``u`` in [0, 2^b-1] shifted to two's complement,
  ``q = u - 2^(b-1)``, with the zero point shifted the same way (signed operands on the array,
  so that 1-byte codes feed an int8 GEMM as they are; a ReLU output's zero point is -2^(b-1)).
- anchored (E2-Train, used by PSG): zero point 0; unsigned codes for a non-negative tensor, else
  symmetric signed codes in [-(2^(b-1)-1), 2^(b-1)-1]. Codes are then proportional to values, so
  an MSB prefix of the GEMM predicts the sign of the result. Training takes their range from
  ``channel_range`` (the channels' mean max, outliers saturating), the affine codes' from the
  min/max (``tensor_range``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from fpga_model.scratch import scratch_flat, scratch_like

__all__ = ["QTensor", "code_dtype", "dither", "tensor_range", "channel_range", "quantize_tensor",
           "quantize_rows", "RunningRange"]

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


def channel_range(x: torch.Tensor, bits: int = 8, dim: int = 1) -> tuple[float, float]:
    """Range of anchored codes: the mean over channels (``dim``) of each channel's max |x|.

    The range rule of the official quantizers (Banner et al.'s ``calculate_qparams``, "mean"
    reduction) taken over channels: a few outliers (heavy-tailed errors, a large activation)
    saturate at the top code instead of setting the step of the whole tensor. Codes wider
    than 8 bits widen the range by 2^(bits-8), up to the max |x| (their step stays at most the
    8-bit one, and fewer outliers saturate). ``lo`` is ``-hi`` when ``x`` has negative entries
    (symmetric signed codes), else 0; all-zero channels (dead ReLUs) are left out of the mean.
    """
    x = x.detach()
    dims = [d for d in range(x.dim()) if d != dim % max(x.dim(), 1)]
    lo_c, hi_c = (x.amin(dims), x.amax(dims)) if dims else (x, x)
    peak = torch.maximum(lo_c.neg(), hi_c)
    live = peak > 0
    hi = 0.0
    if bool(live.any()):
        hi = min(float(peak[live].mean()) * 2.0 ** max(bits - 8, 0), float(peak.max()))
    return (-hi if float(lo_c.min()) < 0 else 0.0), hi


def dither(shape: tuple[int, ...], generator: torch.Generator | None = None,
           device: torch.device | str | None = None) -> torch.Tensor:
    """Uniform noise in (0, 1) at 16-bit resolution: ``(r + 32768.5) / 65536``.

    ``r`` are the signed 16-bit chunks of 64-bit random words (four per word), the same stream
    ``quantize_tensor`` draws; splitting words is several times cheaper than ``torch.rand``.
    """
    return _dither_words(shape, generator, device).mul(_NOISE_STEP).add_(_HALF_STEP)


def _dither_words(shape: tuple[int, ...], generator: torch.Generator | None = None,
                  device: torch.device | str | None = None) -> torch.Tensor:
    """Uniform random int16 in [-32768, 32767], four per 64-bit random word."""
    numel = 1
    for d in shape:
        numel *= d
    count = (numel + 3) // 4
    cpu = device is None or torch.device(device).type == "cpu"
    words = (scratch_flat("quant.noise", count, torch.int64) if cpu and numel >= _SCRATCH_MIN
             else torch.empty(count, dtype=torch.int64, device=device))
    words.random_(-(1 << 63), None, generator=generator)  # all 64 bits uniform
    return words.view(torch.int16)[:numel].view(shape)


_NOISE_STEP = 1.0 / 65536.0  # the dither's resolution: u = _HALF_STEP + r * _NOISE_STEP
_HALF_STEP = 32768.5 * _NOISE_STEP
_SCRATCH_MIN = 1 << 18  # elements: below this a fresh temporary is cheaper than the lookup


def _grid(x: torch.Tensor, inv_scale: float | torch.Tensor, base: float | torch.Tensor,
          top: int, delta: int, bits: int, signed: bool,
          noise: torch.Tensor | None) -> torch.Tensor:
    """Codes ``floor(clamp(x * inv_scale + base [+ r / 65536], 0, top)) + delta``.

    Every form of the quantizer is this one expression (see ``quantize_tensor``): the value is
    moved onto the non-negative grid [0, top] where float-to-integer truncation is the floor,
    and ``delta`` then moves the integer codes to their stored form. Four passes over ``x``
    (scale and offset, noise, clamp, convert) and one over the bytes. ``inv_scale`` and
    ``base`` are numbers, or (rows, 1) tensors for a per-row quantizer.
    """
    if isinstance(inv_scale, torch.Tensor):
        v = torch.addcmul(base, x, inv_scale)
    else:
        base_t = torch.scalar_tensor(base, dtype=x.dtype, device=x.device)
        # a large temporary reuses one buffer in x's layout (a fresh one costs its page faults)
        tmp = scratch_like("quant.values", x) if x.numel() >= _SCRATCH_MIN else None
        v = torch.add(base_t, x, alpha=inv_scale, out=tmp) if tmp is not None else \
            torch.add(base_t, x, alpha=inv_scale)
    if noise is not None:
        # r / 2^16 is exact; one rounding, as for any add (out= avoids add_'s cast copy)
        v = torch.add(v, noise, alpha=_NOISE_STEP, out=v)
    v.clamp_(0, top)
    dtype = code_dtype(bits, signed)
    if bits <= 8:  # uint8 holds [0, top]; a wrapping byte add gives the two's-complement codes
        u = v.to(torch.uint8)
        if delta:
            u = u.add_(delta % 256)
        return u.view(dtype)
    u = v.to(torch.int32)
    if delta:
        u = u.add_(delta)
    return u.to(dtype)


def quantize_tensor(x: torch.Tensor, bits: int, lo: float, hi: float, *,
                    stochastic: bool = False, generator: torch.Generator | None = None,
                    anchored: bool = False, offset: int = 0) -> QTensor:
    """Quantize ``x`` per tensor over the range [lo, hi] (widened to include 0).

    Args:
        x: float tensor (any shape and memory layout; the codes keep the layout).
        bits: code width.
        lo, hi: the range, e.g. from ``tensor_range`` or running statistics.
        stochastic: round with uniform noise (FracTrain's error quantizer), drawn from
            ``generator`` so that runs are reproducible: ``floor(v + dither)``.
        anchored: zero point 0 (see the module docstring) instead of the affine form.
        offset: anchored only: codes are stored ``offset`` higher (the zero point becomes
            ``offset``), the top of the code range giving up that much headroom. PSG uses half
            the weight of the lowest digit its prefix keeps, so that the array's truncation
            (toward -inf) of an offset code is round-to-nearest of the code.

    Deterministic rounding is to nearest, halves up (``floor(v + 1/2)``). Affine codes are
    always two's complement (see the module docstring).
    """
    x = x.detach()
    if anchored:
        if lo >= 0.0:
            qmax, signed = (1 << bits) - 1 - offset, False
        else:
            qmax, signed = (1 << (bits - 1)) - 1 - offset, True
        scale = max(max(abs(lo), abs(hi)) / qmax, _MIN_SCALE)
        # signed codes sit on [0, 2 qmax] shifted by qmax while they are rounded
        base, top = (qmax, 2 * qmax) if signed else (0, qmax)
        zero, delta = offset, offset - base
    else:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
        qmax = (1 << bits) - 1
        scale = max((hi - lo) / qmax, _MIN_SCALE)
        zero = min(max(round(-lo / scale), 0), qmax)
        shift, signed = 1 << (bits - 1), True
        base, top, delta = zero, qmax, -shift
        zero -= shift
    if stochastic:
        noise = _dither_words(tuple(x.shape), generator, x.device)
        base += _HALF_STEP
    else:
        noise, base = None, base + 0.5
    codes = _grid(x, 1.0 / scale, float(base), top, delta, bits, signed, noise)
    return QTensor(codes, scale, zero, bits, signed)


def quantize_rows(w: torch.Tensor, bits: int, *, anchored: bool = False) -> QTensor:
    """Quantize a 2-D weight matrix per row (per output channel), rounding to nearest (halves up).

    Affine rows: each row's min/max range widened to include 0, codes in two's complement as
    ``quantize_tensor``'s. Anchored rows: symmetric codes in [-(2^(b-1)-1), 2^(b-1)-1], zero
    point 0. The codes come from the same ``_grid`` expression with one scale per row.
    """
    w = w.detach()
    lo, hi = w.amin(1), w.amax(1)  # two plain reductions beat aminmax along rows here
    if anchored:
        qmax = (1 << (bits - 1)) - 1
        scale = torch.maximum(lo.neg_(), hi).div_(qmax).clamp_min_(_MIN_SCALE)
        base = torch.full_like(scale, qmax + 0.5)  # symmetric codes sit on [0, 2 qmax]
        top, delta = 2 * qmax, -qmax
        zero = torch.zeros_like(scale, dtype=torch.int64)
    else:
        qmax = (1 << bits) - 1
        lo.clamp_(max=0.0)
        scale = hi.clamp_(min=0.0).sub_(lo).div_(qmax).clamp_min_(_MIN_SCALE)
        zf = lo.div_(scale).neg_().round_()  # in [0, qmax]: -lo <= hi - lo = qmax * scale
        top, delta = qmax, -(1 << (bits - 1))
        zero = zf.to(torch.int64).add_(delta)
        base = zf.add_(0.5)
    codes = _grid(w, scale.reciprocal().view(-1, 1), base.view(-1, 1), top, delta, bits, True,
                  None)
    return QTensor(codes, scale, zero, bits, True)


class RunningRange(torch.nn.Module):
    """Activation range for evaluation: running <- m * running + (1 - m) * batch (FracTrain)."""

    def __init__(self, momentum: float = 0.9) -> None:
        super().__init__()
        self.momentum = momentum
        self.register_buffer("lo", torch.zeros(()))
        self.register_buffer("hi", torch.zeros(()))
        self.register_buffer("seen", torch.zeros((), dtype=torch.bool))

    def observe(self, x: torch.Tensor, channels: bool = False) -> tuple[float, float]:
        """Range of ``x`` for quantizing it; in training also folds it into the running range.

        ``channels``: the anchored codes' range (``channel_range`` over dim 1) instead of min/max.
        """
        measure = channel_range if channels else tensor_range
        if not self.training:
            if not bool(self.seen):
                return measure(x)
            return float(self.lo), float(self.hi)
        lo, hi = measure(x)
        if bool(self.seen):
            m = self.momentum
            self.lo.mul_(m).add_((1 - m) * lo)
            self.hi.mul_(m).add_((1 - m) * hi)
        else:
            self.lo.fill_(lo)
            self.hi.fill_(hi)
            self.seen.fill_(True)
        return lo, hi
