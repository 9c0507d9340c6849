"""Quantized Conv2d and Linear whose three GEMMs run as integer GEMMs on the array.

Per layer and mini-batch:

- FW  (activation x weight): im2col codes of the input (per tensor, running range in eval)
  times the weight codes (per output channel);
- EB  (error x weight): the output gradient times the weights, giving the input gradient
  (straight-through the activation quantizer);
- GC  (activation x error): the saved activation codes times the output gradient, giving the
  weight gradient (its sign under PSG, with the array's early stop).

The output gradient is quantized once per layer and group (per tensor, seeded stochastic
rounding, the layer's error width) and the same codes feed GC and EB, as in FracTrain.
Anchored (PSG) codes take their per-tensor range from the mean over channels of each
channel's max |value| (``quant.channel_range``) instead of the min/max. EB's
reduction runs over output channels, where FW's per-output-channel weight scales cannot be
applied after an integer GEMM, so EB takes the weights quantized per input channel (the axis
its output keeps) at the same width.

Engines are objects that run a layer's three GEMMs: ``ArrayEngine(driver)`` runs them through
the driver on an accelerator target (bit-exact integers, then dequantized); ``FLOAT`` runs
``F.conv2d`` and its gradients on the dequantized codes (the fake-quantization path), which
gives the same numbers up to float rounding; ``PLAIN`` is an unquantized float layer (the
reference a training step is timed against).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

from fpga_model import Pass, num_digits, pad_bits, truncate
from fpga_model.digits import prefix_keep
from fpga_model.operands import TAU_REL_ONE, relative_tau

from .patches import ConvGeometry
from .qgemm import affine_gemm, float32_holds, int32_holds
from .quant import (QTensor, RunningRange, channel_range, quantize_rows, quantize_tensor,
                    tensor_range)

if TYPE_CHECKING:
    from .driver import Driver

__all__ = ["Group", "LayerPlan", "Runtime", "Engine", "ArrayEngine", "FloatEngine",
           "PlainEngine", "FLOAT", "PLAIN", "QuantConv2d", "QuantLinear", "quant_layers"]


@dataclass(frozen=True)
class Group:
    """Samples that share a precision option (per-sample DFQ); ``index`` None = whole batch."""

    index: torch.Tensor | None
    a_bits: int
    g_bits: int


@dataclass
class LayerPlan:
    """The controllers' decisions for one layer and the current mini-batch."""

    a_bits: int = 8
    w_bits: int = 8
    g_bits: int = 8
    groups: tuple[Group, ...] | None = None
    stop_ring: int | None = None  # PSG: ring after which outputs with |partial| >= tau stop
    tau: float = 0.05  # PSG threshold: fraction of the layer's max |g_W| or absolute
    tau_relative: bool = True
    sign_grad: bool = False  # PSG: the weight gradient is sign(g_W)
    anchored: bool = False  # zero-point-free codes (needed by the PSG prefix)
    # PSG's asymmetric prefix: MSB widths (activation, error) that decide, used when stop_ring
    # is None (E2-Train: 4-bit activations x 16-bit errors); None with stop_ring None: no PSG
    msb_bits: tuple[int, int] | None = None
    tau_current: bool = True  # relative tau: this step's prefix max (else the previous step's)
    error_dither: bool = True  # stochastic rounding of the errors (FracTrain); PSG: nearest

    @property
    def psg(self) -> bool:
        """Whether the GC pass stops early (PSG)."""
        return self.stop_ring is not None or self.msb_bits is not None

    def keeps(self, a_bits: int, e_bits: int) -> tuple[int, int]:
        """(p, q): digits of the activation and error codes that PSG's prefix keeps."""
        da, de = num_digits(a_bits), num_digits(e_bits)
        if self.stop_ring is not None or self.msb_bits is None:
            return prefix_keep(da, de, self.stop_ring)
        return min(da, num_digits(self.msb_bits[0])), min(de, num_digits(self.msb_bits[1]))

    def group_list(self) -> tuple[Group, ...]:
        return self.groups if self.groups else (Group(None, self.a_bits, self.g_bits),)


class Engine:
    """How a quantized layer runs its FW, GC and EB GEMMs (see the module docstring).

    ``fw`` returns the group's output (NHWC) and what backward keeps of its input; ``gc`` the
    weight gradient of one group in the engine's layout, which ``weight_grad`` turns into the
    weight's shape; ``eb`` the input gradient (NHWC).
    """

    quantized = True

    def fw(self, layer: QuantConv2d, xq: QTensor, wq: QTensor, dtype: torch.dtype):
        raise NotImplementedError

    def gc(self, layer: QuantConv2d, a, xq: QTensor, eq: QTensor, scale,
           es: dict | None) -> torch.Tensor:
        """``es``: the GC pass's early-stop arguments (``prefix``, ``tau`` or ``tau_rel``)."""
        raise NotImplementedError

    def eb(self, layer: QuantConv2d, eq: QTensor, wb: QTensor, in_shape) -> torch.Tensor:
        raise NotImplementedError

    def weight_grad(self, layer: QuantConv2d, dw: torch.Tensor) -> torch.Tensor:
        return dw

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ArrayEngine(Engine):
    """Every GEMM an exact integer GEMM through ``driver`` (on its accelerator target)."""

    def __init__(self, driver: Driver) -> None:
        self.driver = driver

    def fw(self, layer, xq, wq, dtype):
        run = layer._runner(Pass.FW, xq.bits, wq.bits, xq.signed, True)
        a, vals = _conv_gemm(run, layer.geometry, xq.codes, xq.zero, wq.codes.t(), wq.zero)
        return _dequantize(vals, wq.scale.view(1, -1) * xq.scale, dtype), a

    def gc(self, layer, a, xq, eq, scale, es):
        res: list | None = [] if es is not None else None  # PSG keeps the raw prefixes
        run = layer._runner(Pass.GC, xq.bits, eq.bits, xq.signed, eq.signed, es, res)
        at = a.t()  # a view: the int8 GEMM takes the transposed layout as it is
        taps = layer.geometry.tap_sums(xq.codes, xq.zero) if eq.zero else None
        vals = affine_gemm(run, at, xq.zero, eq.codes, eq.zero, "tensor", a_rowsum=taps)
        if es is not None:  # stopped outputs keep the prefix: the zero-point terms
            stopped = torch.from_numpy(res[0].stopped).to(vals.device)  # are full-sum terms
            vals = torch.where(stopped, res[0].values, vals)
            layer.psg_stopped = stopped
            layer.runtime.stats.setdefault("psg_stopped", []).append(
                float(res[0].stopped.mean()))
        return _dequantize(vals, scale)

    def eb(self, layer, eq, wb, in_shape):
        n, h, w, c = in_shape
        geom = layer.geometry
        k, s = geom.kernel, geom.stride
        ho, wo = geom.out_size(h, w)
        cout = eq.codes.shape[1]
        w4 = wb.codes.view(c, cout, k, k)
        run = layer._runner(Pass.EB, eq.bits, wb.bits, eq.signed, wb.signed)
        if s == 1:
            full = ConvGeometry(k, 1, k - 1 - geom.padding)
            b = w4.flip(2, 3).permute(2, 3, 1, 0).reshape(k * k * cout, c)
            e_nhwc = eq.codes.view(n, ho, wo, cout)
            vals = _conv_gemm(run, full, e_nhwc, eq.zero, b, wb.zero)[1]
            return _dequantize(vals, wb.scale * eq.scale).view(n, h, w, c)
        b = w4.permute(1, 2, 3, 0).reshape(cout, k * k * c)
        vals = affine_gemm(run, eq.codes, eq.zero, b, wb.zero.repeat(k * k), "col")
        # a pixel sums at most ceil(k/s)^2 patch gradients: float32 sums them exactly below
        # 2^24 (and faster), int32 below 2^31, else int64
        terms = (-(-k // s)) ** 2
        if float32_holds(cout, eq.codes, b, terms):
            vals = vals.to(torch.float32)
        elif not int32_holds(cout, eq.codes, b, terms):
            vals = vals.to(torch.int64)
        return _dequantize(geom.col2im(vals, n, h, w, c), wb.scale * eq.scale)

    def weight_grad(self, layer, dw):
        return layer.weight_from_matrix(dw.t())

    def __repr__(self) -> str:
        return f"ArrayEngine({self.driver!r})"


class FloatEngine(Engine):
    """Fake quantization: float convolutions of the dequantized codes."""

    def fw(self, layer, xq, wq, dtype):
        geom = layer.geometry
        xd = xq.dequantize().permute(0, 3, 1, 2)
        yg = F.conv2d(xd, layer.conv_weight(wq.dequantize()), None, geom.stride, geom.padding)
        return yg.permute(0, 2, 3, 1), xd

    def gc(self, layer, a, xq, eq, scale, es):
        xd = a
        geom = layer.geometry
        ed = eq.dequantize().reshape(xd.shape[0], *layer._out_hw(xd), -1).permute(0, 3, 1, 2)
        gw = torch.nn.grad.conv2d_weight(xd, layer.weight.shape, ed, geom.stride, geom.padding)
        if es is not None:
            gw = layer._float_prefix(xq, eq, gw, es, scale)
        return gw

    def eb(self, layer, eq, wb, in_shape):
        n, h, w, c = in_shape
        geom = layer.geometry
        k = geom.kernel
        ho, wo = geom.out_size(h, w)
        cout = eq.codes.shape[1]
        ed = eq.dequantize().reshape(n, ho, wo, -1).permute(0, 3, 1, 2)
        wd = wb.dequantize().view(c, cout, k, k).transpose(0, 1)
        dx = torch.nn.grad.conv2d_input((n, c, h, w), wd, ed, geom.stride, geom.padding)
        return dx.permute(0, 2, 3, 1)


class PlainEngine(Engine):
    """No quantization at all: ``F.conv2d`` on the float weights (reference timings)."""

    quantized = False


FLOAT = FloatEngine()
PLAIN = PlainEngine()


@dataclass
class Runtime:
    """What all quantized layers of a model share: the engine and the rounding generator."""

    engine: Engine = FLOAT
    generator: torch.Generator | None = None
    stats: dict = field(default_factory=dict)

    @property
    def driver(self) -> Driver | None:
        """The array engine's driver (None for the float engines)."""
        return getattr(self.engine, "driver", None)


def _select(x: torch.Tensor, index: torch.Tensor | None) -> torch.Tensor:
    return x if index is None else x.index_select(0, index)


def _dequantize(vals: torch.Tensor, scale, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``vals.to(dtype) * scale``: one cast, then one multiply.

    Two plain passes are faster than one mixed-dtype multiply on large tensors.
    """
    return vals.to(dtype).mul_(scale) if vals.dtype != dtype else vals.mul(scale)


def _conv_gemm(run, geom: ConvGeometry, codes: torch.Tensor, zero: int, b_codes: torch.Tensor,
               b_zero: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Patch matrix of NHWC ``codes`` and its exact GEMM with ``b_codes`` (K x N).

    ``b_zero`` holds one zero point per column of ``b_codes``. FW, and EB of a stride-1 conv
    in full-convolution form, are this one computation.
    """
    a = geom.im2col(codes, zero)
    return a, affine_gemm(run, a, zero, b_codes, b_zero, "col")


class _QuantConvFn(torch.autograd.Function):
    """FW in forward, GC and EB in backward; ``mix`` carries DFQ's one-hot gate output."""

    @staticmethod
    def forward(ctx, x, weight, mix, layer):
        plan = layer.plan
        engine = layer.runtime.engine
        geom = layer.geometry
        n, c, h, w = x.shape
        ho, wo = geom.out_size(h, w)
        cout = weight.shape[0]
        wq = quantize_rows(layer.weight_matrix(weight), plan.w_bits, anchored=plan.anchored)
        lo, hi = layer.act_range.observe(x, channels=plan.anchored)
        x_nhwc = x.detach().permute(0, 2, 3, 1)
        groups = plan.group_list()
        # per-sample groups fill a shared output; one whole-batch group is the output itself
        y = x.new_empty((n, ho, wo, cout)) if any(g.index is not None for g in groups) else None
        saved = []
        for g in groups:
            xg = _select(x_nhwc, g.index)
            xq = quantize_tensor(xg, g.a_bits, lo, hi, anchored=plan.anchored,
                                 offset=layer.prefix_offset(g.a_bits, g.g_bits, "a"))
            yg, a = engine.fw(layer, xq, wq, x.dtype)
            saved.append((g, a, xq))
            if g.index is None:
                y = yg.reshape(n, ho, wo, cout)
            else:
                y[g.index] = yg.reshape(-1, ho, wo, cout)
        ctx.layer = layer
        ctx.saved = saved
        ctx.x_fp32 = x.detach() if plan.psg else None  # PSG's sign agreement with fp32
        ctx.wq = wq
        ctx.weight = weight.detach()
        ctx.shape = (n, c, h, w)
        ctx.range = (lo, hi)
        ctx.mix_shape = None if mix is None else mix.shape
        return y.permute(0, 3, 1, 2)

    @staticmethod
    def backward(ctx, dy):
        layer = ctx.layer
        plan = layer.plan
        rt = layer.runtime
        wq = ctx.wq
        n, c, h, w = ctx.shape
        cout = wq.codes.shape[0]
        need_x = ctx.needs_input_grad[0]
        dy_nhwc = dy.permute(0, 2, 3, 1)
        # anchored (PSG) errors: per-tensor scale from the channels' mean max, so that a
        # heavy tail's few outliers saturate instead of rounding the rest to 0 (one scale
        # still factors out of GC, EB and the array's tau)
        widths = {g.g_bits for g, _, _ in ctx.saved}  # one reduction per width, not per group
        if plan.anchored:
            ranges = {b: channel_range(dy, b) for b in widths}
        else:
            whole = tensor_range(dy)
            ranges = dict.fromkeys(widths, whole)
        if need_x:  # EB's weights per input channel (see the module docstring)
            wb = quantize_rows(layer.eb_weight_matrix(ctx.weight), plan.w_bits,
                               anchored=plan.anchored)
            dx = dy.new_zeros((n, h, w, c)) if len(ctx.saved) > 1 else None
        ctx.weight = None
        dw = None
        for g, a, xq in ctx.saved:
            eg = _select(dy_nhwc, g.index).reshape(-1, cout)
            glo, ghi = ranges[g.g_bits]
            eq = quantize_tensor(eg, g.g_bits, glo, ghi, stochastic=plan.error_dither,
                                 generator=rt.generator,
                                 anchored=plan.anchored,
                                 offset=layer.prefix_offset(g.a_bits, g.g_bits, "e"))
            part = layer._gc(a, xq, eq, g)
            dw = part if dw is None else dw + part
            if need_x:
                dxg = layer._eb(eq, wb, (xq.codes.shape[0], h, w, c))
                if dx is None:
                    dx = dxg
                else:
                    dx[g.index] = dxg
        if ctx.x_fp32 is not None:  # how often the used sign is the fp32 gradient's
            ref = torch.nn.grad.conv2d_weight(ctx.x_fp32, layer.weight.shape, dy,
                                              layer.geometry.stride, layer.geometry.padding)
            used = torch.sign(rt.engine.weight_grad(layer, dw))
            rt.stats.setdefault("psg_agree", []).append(
                float((used == torch.sign(ref)).float().mean()))
            ctx.x_fp32 = None
        if plan.sign_grad:
            dw = torch.sign(dw)
        grad_w = rt.engine.weight_grad(layer, dw)
        grad_x = dx.permute(0, 3, 1, 2) if need_x else None
        grad_mix = None
        if ctx.mix_shape is not None and need_x:
            grad_mix = layer._mix_grad(grad_x, ctx.range, ctx.mix_shape)
        ctx.saved = None
        return grad_x, grad_w.to(dy.dtype), grad_mix, None


class QuantConv2d(nn.Module):
    """A bias-free Conv2d whose FW/EB/GC GEMMs run quantized (see the module docstring).

    Args:
        in_channels, out_channels, kernel_size, stride, padding: as ``nn.Conv2d``.
        runtime: the model's shared ``Runtime``; ``index``: the layer id in descriptors.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 padding: int = 0, *, runtime: Runtime | None = None, index: int = 0) -> None:
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.geometry = ConvGeometry(kernel_size, stride, padding)
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, kernel_size,
                                               kernel_size))
        n = kernel_size * kernel_size * out_channels
        nn.init.normal_(self.weight, 0.0, math.sqrt(2.0 / n))
        self.runtime = runtime if runtime is not None else Runtime(engine=FLOAT)
        self.index = index
        self.plan = LayerPlan()
        self.act_range = RunningRange()
        self.mix_bits: tuple[int, ...] = ()  # DFQ option activation widths (for the gate grad)
        self.psg_max = 0.0  # PSG: max |g_W| of the previous step (for a relative tau)
        self.psg_stopped: torch.Tensor | None = None  # PSG: the last GC pass's stop mask
        self.in_hw: tuple[int, int] | None = None  # recorded input size (for GEMM shapes)

    # ------------------------------------------------------------------ layout helpers
    def weight_matrix(self, weight: torch.Tensor) -> torch.Tensor:
        """(C_out, k*k*C_in) in the patch-matrix column order."""
        return weight.detach().permute(0, 2, 3, 1).reshape(weight.shape[0], -1)

    def eb_weight_matrix(self, weight: torch.Tensor) -> torch.Tensor:
        """(C_in, C_out*k*k): one row per input channel, for EB's per-input-channel codes."""
        return weight.detach().transpose(0, 1).reshape(self.in_channels, -1)

    def weight_from_matrix(self, m: torch.Tensor) -> torch.Tensor:
        k = self.geometry.kernel
        return m.reshape(self.out_channels, k, k, self.in_channels).permute(0, 3, 1, 2)

    def conv_weight(self, m: torch.Tensor) -> torch.Tensor:
        return self.weight_from_matrix(m)

    def _runner(self, pass_: Pass, a_bits: int, b_bits: int, a_signed: bool, b_signed: bool,
                es: dict | None = None, out: list | None = None):
        driver = self.runtime.driver
        kw = es or {}

        def run(a, b):
            res = driver.run_pass(self.index, pass_, a, b, a_bits, b_bits, a_signed=a_signed,
                                  b_signed=b_signed, **kw)
            if out is not None:
                out.append(res)
                return res.values.clone()  # the caller keeps the raw (prefix) values
            return res.values
        return run

    # ------------------------------------------------------------------ backward passes
    def _psg_args(self, a_bits: int, e_bits: int, scale: float) -> dict | None:
        """Early-stop arguments of this step's GC pass (None: no early stop).

        The prefix is the symmetric ``stop_ring`` or the asymmetric (p, q) of ``msb_bits``;
        tau is absolute, relative to this step's prefix maximum (``tau_rel``: the array sweeps
        the prefix of every block first, see ``fpga_model.cycles``), or relative to the
        previous step's max |g_W| (the first step then runs without early stop).
        """
        p = self.plan
        if not p.psg:
            return None
        es: dict = ({"stop_ring": p.stop_ring} if p.stop_ring is not None
                    else {"prefix": p.keeps(a_bits, e_bits)})
        if p.tau_relative and p.tau_current:
            es["tau_rel"] = min(max(round(p.tau * TAU_REL_ONE), 0), TAU_REL_ONE)
            return es
        if p.tau_relative:
            if self.psg_max <= 0.0:  # first step: no previous max to be relative to
                return None
            tau_real = p.tau * self.psg_max
        else:
            tau_real = p.tau
        es["tau"] = min(math.ceil(tau_real / scale), (1 << 62))
        return es

    def prefix_offset(self, a_bits: int, e_bits: int, role: str) -> int:
        """PSG: code offset that turns the prefix's truncation into rounding (0 without PSG).

        The prefix keeps the top digits of a code and truncates toward -inf. Codes stored half
        a kept step (h) higher truncate to the nearest kept value; the zero point removes the
        offset exactly from the full result. With integer codes the residue h is a tie, which
        an offset of h always rounds up (+0.5 LSB per code, E[trunc] = c + 1/2): the offset is
        h or h-1 with equal probability per quantized tensor (seeded), so ties go either way
        and the prefix is unbiased. ``role``: "a" (activation) or "e" (error) operand of GC.
        """
        p = self.plan
        if not p.psg or not p.anchored:
            return 0
        bits = a_bits if role == "a" else e_bits
        keep = p.keeps(a_bits, e_bits)[0 if role == "a" else 1]
        drop = 2 * (num_digits(bits) - keep) - pad_bits(bits)
        if drop <= 0:
            return 0
        half = 1 << (drop - 1)
        g = self.runtime.generator  # on the training device (a CUDA generator draws there)
        tie = torch.randint(0, 2, (1,), generator=g, device=g.device if g is not None else None)
        return half - int(tie)

    def _gc(self, a, xq: QTensor, eq: QTensor, g: Group) -> torch.Tensor:
        """Weight gradient of one group as a (k*k*C_in, C_out) matrix (float engine: conv shape)."""
        scale = xq.scale * eq.scale
        es = self._psg_args(xq.bits, eq.bits, scale)
        gw = self.runtime.engine.gc(self, a, xq, eq, scale, es)
        if self.plan.psg:
            self.psg_max = float(gw.abs().max())
        return gw

    def _out_hw(self, xd: torch.Tensor) -> tuple[int, int]:
        return self.geometry.out_size(xd.shape[2], xd.shape[3])

    def _float_prefix(self, xq, eq, gw, es, scale):
        """Float-engine early stop: the GEMM of MSB-truncated codes replaces stopped outputs."""
        geom = self.geometry
        if "prefix" in es:
            ka, ke = es["prefix"]
        else:
            ka, ke = prefix_keep(num_digits(xq.bits), num_digits(eq.bits), es["stop_ring"])
        xt = truncate(xq.codes.to(torch.int32), xq.bits, ka).float()
        et = truncate(eq.codes.to(torch.int32), eq.bits, ke).float()
        n = xt.shape[0]
        ho, wo = geom.out_size(xt.shape[1], xt.shape[2])
        et = et.reshape(n, ho, wo, -1).permute(0, 3, 1, 2)
        prefix = torch.nn.grad.conv2d_weight(xt.permute(0, 3, 1, 2), self.weight.shape, et,
                                             geom.stride, geom.padding)
        tau = es.get("tau")
        if tau is None:
            tau = relative_tau(int(prefix.abs().max()), es["tau_rel"])
        stopped = prefix.abs() >= tau
        self.psg_stopped = stopped
        self.runtime.stats.setdefault("psg_stopped", []).append(float(stopped.float().mean()))
        return torch.where(stopped, prefix * scale, gw)

    def _eb(self, eq: QTensor, wb: QTensor, in_shape) -> torch.Tensor:
        """Input gradient (NHWC) of one group from its error codes ``eq`` (M x C_out).

        ``wb``: the weights per input channel, codes (C_in, C_out*k*k). Stride 1: EB is the
        convolution of the (padded) error with the flipped kernel, one GEMM (N*H*W, C_in,
        k*k*C_out) shaped as FW. Other strides: the error times the weights gives integer patch
        gradients (N*Ho*Wo, k*k*C_in), which col2im sums onto the input exactly before the one
        dequantizing multiply.
        """
        return self.runtime.engine.eb(self, eq, wb, in_shape)

    def _mix_grad(self, grad_x: torch.Tensor, rng: tuple[float, float], shape) -> torch.Tensor:
        """d loss / d mix_k = <grad of the layer input, Q_{a_k}(x)> (DFQ, ImageNet-code style)."""
        x = self._last_input
        per_sample = shape[0] > 1
        cols = []
        cache: dict[int, torch.Tensor] = {}
        for bits in self.mix_bits:
            if bits not in cache:
                xd = quantize_tensor(x, bits, *rng, anchored=self.plan.anchored,
                                     offset=self.prefix_offset(bits, bits, "a")).dequantize()
                prod = (grad_x * xd).flatten(1).sum(1)
                cache[bits] = prod if per_sample else prod.sum().view(1)
            cols.append(cache[bits])
        return torch.stack(cols, dim=1)

    # ------------------------------------------------------------------ forward
    def forward(self, x: torch.Tensor, mix: torch.Tensor | None = None) -> torch.Tensor:
        self.in_hw = (x.shape[2], x.shape[3])
        if not self.runtime.engine.quantized:  # unquantized float layer (reference timings)
            g = self.geometry
            return F.conv2d(x, self.weight, None, g.stride, g.padding)
        if mix is not None and self.training:
            self._last_input = x.detach()
        else:
            mix = None
        return _QuantConvFn.apply(x, self.weight, mix, self)

    def gemm_shapes(self, batch: int, input_grad: bool = True) -> list[tuple[Pass, int, int, int]]:
        """(pass, M, N, K) of this layer's GEMMs at a batch size (needs one forward first)."""
        if self.in_hw is None:
            raise RuntimeError("gemm_shapes needs one forward pass to know the input size")
        ho, wo = self.geometry.out_size(*self.in_hw)
        m = batch * ho * wo
        k = self.geometry.kernel ** 2 * self.in_channels
        shapes = [(Pass.FW, m, self.out_channels, k)]
        if input_grad:
            if self.geometry.stride == 1:  # full-convolution form (see ``_eb``)
                h, w = self.in_hw
                shapes.append((Pass.EB, batch * h * w, self.in_channels,
                               self.geometry.kernel ** 2 * self.out_channels))
            else:
                shapes.append((Pass.EB, m, k, self.out_channels))
        shapes.append((Pass.GC, k, self.out_channels, m))
        return shapes

    def extra_repr(self) -> str:
        g = self.geometry
        return (f"{self.in_channels}, {self.out_channels}, kernel={g.kernel}, stride={g.stride}, "
                f"padding={g.padding}, layer={self.index}")


class QuantLinear(QuantConv2d):
    """A bias-free Linear as a 1x1 convolution on an (N, C, 1, 1) view."""

    def __init__(self, in_features: int, out_features: int, *, runtime: Runtime | None = None,
                 index: int = 0) -> None:
        super().__init__(in_features, out_features, 1, runtime=runtime, index=index)
        nn.init.normal_(self.weight, 0.0, math.sqrt(2.0 / (in_features * out_features)))

    def forward(self, x: torch.Tensor, mix: torch.Tensor | None = None) -> torch.Tensor:
        y = super().forward(x.reshape(x.shape[0], -1, 1, 1), mix)
        return y.reshape(x.shape[0], -1)


def quant_layers(model: nn.Module) -> list[QuantConv2d]:
    """The model's quantized layers in layer-id order."""
    return sorted((m for m in model.modules() if isinstance(m, QuantConv2d)),
                  key=lambda m: m.index)
