"""PSG's sign predictor as a function: the weight gradient of one layer through the array model.

``predict_weight_gradient_sign`` runs exactly what training runs for a PSG layer (a 1x1
``QuantConv2d`` with ``controllers.psg.PSG`` switched on, its GC pass through the emulated
array): anchored activation and error codes (per-tensor scales from the channels' mean max,
``host.quant.channel_range``), the asymmetric prefix (top 4 activation bits x the whole
error), tau = beta * max|prefix| of this step, and the stopped outputs' prefix in place of
their exact value. ``e2train_predictor`` is the reference it is
measured against: E2-Train's ``PredictiveConv2d`` predictor written out on the same tensors.
"""

from __future__ import annotations

import torch

from fpga_model import ArrayConfig

__all__ = ["predict_weight_gradient_sign", "predict_weight_gradient", "e2train_predictor"]


def predict_weight_gradient(x: torch.Tensor, dy: torch.Tensor, *, a_bits: int = 8,
                            e_bits: int = 16, beta: float = 0.05, msb_bits: tuple[int, int] = (4, 16),
                            cfg: ArrayConfig | None = None,
                            generator: torch.Generator | None = None
                            ) -> tuple[torch.Tensor, torch.Tensor]:
    """The weight gradient PSG's update takes the sign of, and its prefix-decided mask.

    Returns ``(dw, msb_only)``, both C_out x C_in: ``dw`` in gradient units (the prefix where
    it decided, the full-precision GEMM elsewhere), ``msb_only`` True where the prefix decided.
    ``generator`` seeds the error dither and the tie offsets (None: torch's global RNG).
    """
    from .accel.emulator import EmulatorTarget
    from .controllers.psg import PSG
    from .driver import Driver
    from .layers import ArrayEngine, QuantConv2d, Runtime

    x, dy = _check(x, dy)
    if cfg is None:
        cfg = ArrayConfig(bits=tuple(sorted({a_bits, e_bits})))
    k, cin = x.shape
    cout = dy.shape[1]
    rt = Runtime(engine=ArrayEngine(Driver(cfg, EmulatorTarget(cfg))), generator=generator)
    layer = QuantConv2d(cin, cout, 1, runtime=rt)
    plan = layer.plan
    plan.a_bits, plan.w_bits, plan.g_bits = a_bits, a_bits, e_bits
    PSG(stop_ring=None, tau=beta, relative=True, msb_bits=msb_bits,
        tau_step="current").apply([layer])
    plan.sign_grad = False  # keep the value; its sign is what the update uses
    y = layer(x.detach().float().reshape(k, cin, 1, 1))
    y.backward(dy.detach().float().reshape(k, cout, 1, 1))
    dw = layer.weight.grad.reshape(cout, cin)
    return dw, layer.psg_stopped.t().reshape(cout, cin).clone()


def predict_weight_gradient_sign(x: torch.Tensor, dy: torch.Tensor, *, a_bits: int = 8,
                                 e_bits: int = 16, beta: float = 0.05,
                                 cfg: ArrayConfig | None = None
                                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """Sign of the weight gradient dW = dy^T x that a PSG update uses, and where MSBs decided.

    Args:
        x: K x C_in float activations (non-negative after ReLU).
        dy: K x C_out float output gradients.
        a_bits, e_bits: activation and error code widths (the array's set must hold both).
        beta: tau = beta * max|predicted gradient| of this step (E2-Train's relative tau).
        cfg: the array; None builds an ``ArrayConfig`` whose set holds both widths.

    Returns:
        ``(sign, msb_only)``, C_out x C_in: sign in {-1, 0, 1} (int8) and the bool mask of the
        entries the prefix alone decided.
    """
    dw, msb_only = predict_weight_gradient(x, dy, a_bits=a_bits, e_bits=e_bits, beta=beta,
                                           cfg=cfg)
    return torch.sign(dw).to(torch.int8), msb_only


def e2train_predictor(x: torch.Tensor, dy: torch.Tensor, *, a_bits: int = 8, a_msb: int = 4,
                      e_msb: int = 16, beta: float = 0.05, q_bits: int | None = None
                      ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """E2-Train's predictor (``PredictiveConv2d``) on the same tensors: (sign, msb_only, dw).

    x is quantized to ``a_bits`` (unsigned, per-tensor max, round to nearest) and its code
    re-rounded to its top ``a_msb`` bits; g_y to ``e_msb`` bits (symmetric, per-tensor max,
    round to nearest, as its ``quantize_grad``); the prediction is their GEMM, tau = beta *
    its max |.|, and entries below tau take the gradient of the a_bits activation and g_y
    (E2-Train's Q-branch: fp32 g_y, or ``q_bits``-bit g_y as with its ``--num_bits_grad``).
    E2-Train's activation range is the batch mean of each sample's max: on a convolution a
    sample holds a whole image (C*H*W values) and that is about the tensor's max, which is
    what this K x C_in form takes (its rows are pixels, not samples).
    """
    x, dy = _check(x, dy)
    x, dy = x.double(), dy.double()
    sx = max(float(x.max()), 1e-30) / ((1 << a_bits) - 1)
    xc = torch.round(x / sx).clamp(0, (1 << a_bits) - 1)
    step = 1 << max(a_bits - a_msb, 0)
    x_msb = torch.round(xc / step) * step
    gq = (1 << (e_msb - 1)) - 1
    sg = max(float(dy.abs().max()), 1e-30) / gq
    g_msb = torch.round(dy / sg).clamp(-gq, gq)
    pred = g_msb.t() @ x_msb * (sg * sx)
    gf = dy
    if q_bits is not None:
        qq = (1 << (q_bits - 1)) - 1
        sq = max(float(dy.abs().max()), 1e-30) / qq
        gf = torch.round(dy / sq).clamp(-qq, qq) * sq
    full = gf.t() @ (xc * sx)
    large = pred.abs() >= beta * float(pred.abs().max())
    dw = torch.where(large, pred, full)
    return torch.sign(dw).to(torch.int8), large, dw.float()


def _check(x: torch.Tensor, dy: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    if x.dim() != 2 or dy.dim() != 2 or x.shape[0] != dy.shape[0]:
        raise ValueError(f"x must be K x C_in and dy K x C_out with the same K; got "
                         f"{tuple(x.shape)} and {tuple(dy.shape)}")
    if float(x.min()) < 0:
        raise ValueError("x holds negative activations; PSG's activations are ReLU outputs "
                         "(pass x.clamp(min=0))")
    return x, dy
