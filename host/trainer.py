"""The training loop: controllers decide, the driver runs every GEMM on a backend, the ledger counts.

Per mini-batch: SMD may drop it; PFQ's stage sets every layer's widths (or DFQ's target under
FracTrain); the model's forward lets the DFQ/SLU gates decide per block; PSG switches on the
array's early stop for the convolutions' GC passes. The ledger charges every executed
descriptor and, beside it, the full FW8/BW8 program of the batch.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

import torch
import torch.nn.functional as F

from fpga_model import ArrayConfig, Pass

from .backends import get_backend
from .controllers import DFQ, PFQ, PSG, SLU, SMD, parse_method
from .data import Dataset, batches
from .driver import Driver
from .errors import ChoiceError
from .layers import Runtime
from .ledger import Ledger
from .models import MODELS, ResNet, build_model

__all__ = ["TrainConfig", "TrainResult", "train", "check_config"]

DEVICES = ("cpu", "cuda")


@dataclass
class TrainConfig:
    """Everything a training run depends on (the defaults train digits in about a minute)."""

    model: str = "resnet8"
    data: str = "digits"
    method: str = "fractrain"
    backend: str = "emulator"
    board: str = "zc706"
    bits: tuple[int, ...] = (3, 4, 6, 8, 12)
    epochs: int = 40
    seed: int = 0
    device: str = "cpu"
    batch_size: int = 64
    width: int = 8
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 5e-4
    static_bits: tuple[int, int] = (8, 8)  # (FW, BW) of static layers
    # PFQ: FW/BW schedule, indicator eps/alpha, period (iterations; 0 = one epoch), and the
    # fixed-iteration fallback: "both" (indicator, with deadlines), "indicator" or "fixed";
    # the deadlines are pfq_fixed iterations, or pfq_fixed_frac of the run
    pfq_fw: tuple[int, ...] = (3, 4, 6, 8)
    pfq_bw: tuple[int, ...] = (6, 6, 8, 8)
    pfq_eps: float = 0.05
    pfq_alpha: float = 0.3
    pfq_period: int = 0
    pfq_mode: str = "both"
    pfq_fixed: tuple[int, ...] | None = None
    pfq_fixed_frac: tuple[float, ...] = (0.128, 0.256, 0.378)  # 8190/16380/24180 of 64000
    # DFQ: options, weight bits, target cp (%), cost coefficient, per-sample software option
    dfq_options: tuple[tuple[int, int], ...] = ((3, 6), (4, 6), (4, 8), (6, 8), (6, 12))
    dfq_w_bits: int = 4  # FracTrain README: 4 on CIFAR (6 on ImageNet)
    dfq_target: float = 3.0
    dfq_beta: float = 0.05
    dfq_per_sample: bool = False
    fractrain_targets: tuple[float, ...] = (1.5, 2.0, 2.5, 3.0)
    # PSG
    psg_ring: int = 1
    psg_tau: float = 0.05
    psg_relative: bool = True
    psg_lr_scale: float = 0.01
    # SMD
    smd_p: float = 0.5
    smd_step_dropped: bool = True
    # SLU
    slu_target: float = 70.0
    slu_beta: float = 1e-3

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TrainResult:
    """What a run produced: accuracies, the ledger and per-epoch/per-step histories."""

    config: TrainConfig
    array: ArrayConfig
    ledger: Ledger
    test_acc: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    precision: list[dict[int, tuple[float, float]]] = field(default_factory=list)
    # (step, eff MACs, baseline eff MACs, energy J, baseline J, latency s, baseline latency s)
    cumulative: list[tuple[float, ...]] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    layer_names: dict[int, str] = field(default_factory=dict)
    seconds: float = 0.0
    steps: int = 0
    dropped: int = 0
    dfq_cp: list[float] = field(default_factory=list)
    slu_cp: list[float] = field(default_factory=list)
    psg_stopped: list[float] = field(default_factory=list)

    @property
    def final_acc(self) -> float:
        return self.test_acc[-1] if self.test_acc else float("nan")

    @property
    def best_acc(self) -> float:
        return max(self.test_acc) if self.test_acc else float("nan")


def _bits_used(cfg: TrainConfig, controllers: frozenset[str]) -> set[int]:
    used = set(cfg.static_bits)
    if "pfq" in controllers and "dfq" not in controllers:
        used |= set(cfg.pfq_fw) | set(cfg.pfq_bw)
    if "dfq" in controllers:
        used |= {b for o in cfg.dfq_options for b in o} | {cfg.dfq_w_bits}
    return used


def check_config(cfg: TrainConfig) -> tuple[frozenset[str], ArrayConfig]:
    """Validate choices and widths before any data is read; returns (controllers, array)."""
    if cfg.model not in MODELS:
        raise ChoiceError(f"unknown model {cfg.model!r}; known models: {', '.join(MODELS)}")
    controllers = parse_method(cfg.method)
    if cfg.device not in DEVICES:
        raise ChoiceError(f"unknown device {cfg.device!r}; use cpu or cuda")
    if cfg.device == "cuda" and not torch.cuda.is_available():
        raise ChoiceError("--device cuda but torch sees no CUDA device; use --device cpu")
    for name, value in (("--epochs", cfg.epochs), ("--batch-size", cfg.batch_size),
                        ("--width", cfg.width)):
        if value < 1:
            raise ChoiceError(f"{name} {value} must be at least 1")
    if cfg.pfq_mode not in ("both", "indicator", "fixed"):
        raise ChoiceError(f"unknown PFQ mode {cfg.pfq_mode!r}; use both, indicator or fixed")
    if len(cfg.pfq_fw) != len(cfg.pfq_bw):
        raise ChoiceError(f"the PFQ schedule has {len(cfg.pfq_fw)} FW and {len(cfg.pfq_bw)} BW "
                          f"widths; give one BW width per FW width")
    array = ArrayConfig(bits=cfg.bits, board=cfg.board)
    for b in sorted(_bits_used(cfg, controllers)):
        array.check_pair(b, b)
    get_backend(cfg.backend, array)  # unknown or unavailable backends fail here
    return controllers, array


def _layer_names(model: ResNet) -> dict[int, str]:
    names = {}
    for name, mod in model.named_modules():
        if mod in model.layers():
            names[mod.index] = name
    return names


def _set_static(model: ResNet, fw: int, bw: int) -> None:
    for layer in model.layers():
        p = layer.plan
        p.a_bits, p.w_bits, p.g_bits = fw, fw, bw
        p.groups = None


def _evaluate(model: ResNet, data: Dataset, driver: Driver, batch: int, device) -> float:
    model.eval()
    driver.recording = False
    correct = 0
    with torch.no_grad():
        for xb, yb in batches(data.x_test, data.y_test, batch):
            out = model(xb.to(device))
            correct += int((out.argmax(1).cpu() == yb).sum())
    driver.recording = True
    model.train()
    return 100.0 * correct / data.x_test.shape[0]


def train(cfg: TrainConfig, data: Dataset,
          on_step: Callable[[int, int, dict], None] | None = None) -> TrainResult:
    """Train ``cfg.model`` on ``data`` with the method's controllers through the backend.

    Args:
        cfg: the run's configuration (see ``TrainConfig``).
        data: the data set (``host.data.load_data``).
        on_step: called after every mini-batch with (step, total steps, info dict).
    """
    controllers, array = check_config(cfg)
    device = torch.device(cfg.device)
    torch.manual_seed(cfg.seed)
    gen = torch.Generator(device=device).manual_seed(cfg.seed + 1)  # stochastic rounding
    data_gen = torch.Generator().manual_seed(cfg.seed + 2)  # shuffling, augmentation
    ctrl_gen = torch.Generator().manual_seed(cfg.seed + 3)  # SMD and SLU draws
    ledger = Ledger(array, cfg.static_bits)
    driver = Driver(array, get_backend(cfg.backend, array), ledger)
    rt = Runtime(engine="array", driver=driver, generator=gen)
    model = build_model(cfg.model, data.in_channels, data.num_classes, cfg.width, rt,
                        data.image_size)
    block_channels = [b.in_channels for b in model.blocks]
    block_macs = [sum(m * n * k for layer in b.gated_convs
                      for p, m, n, k in layer.gemm_shapes(1, False) if p == Pass.FW)
                  for b in model.blocks]
    steps_per_epoch = data.x_train.shape[0] // cfg.batch_size
    if steps_per_epoch < 1:
        raise ChoiceError(f"--batch-size {cfg.batch_size} exceeds the {data.x_train.shape[0]} "
                          f"training samples; use a smaller batch")
    total_steps = steps_per_epoch * cfg.epochs

    pfq = dfq = slu = smd = psg = None
    fw, bw = cfg.static_bits
    if "pfq" in controllers:
        stages = len(cfg.fractrain_targets) if "dfq" in controllers else len(cfg.pfq_fw)
        fixed = cfg.pfq_fixed
        if fixed is None:
            fixed = tuple(max(1, round(f * total_steps)) for f in cfg.pfq_fixed_frac)
        pfq = PFQ(stages=stages, eps=cfg.pfq_eps, alpha=cfg.pfq_alpha,
                  period=cfg.pfq_period or steps_per_epoch,
                  fixed=None if cfg.pfq_mode == "indicator" else fixed,
                  indicator=cfg.pfq_mode != "fixed")
    if "dfq" in controllers:
        target = cfg.fractrain_targets[0] if pfq is not None else cfg.dfq_target
        dfq = DFQ(block_channels, block_macs, cfg.dfq_options, cfg.dfq_w_bits, target,
                  cfg.dfq_beta, cfg.dfq_per_sample)
        model.dfq = dfq
        model.add_module("dfq_gate", dfq.gate)
    if "slu" in controllers:
        slu = SLU(block_channels, block_macs, cfg.slu_target, cfg.slu_beta, ctrl_gen)
        model.slu = slu
        model.add_module("slu_gate", slu.gate)
    if "smd" in controllers:
        smd = SMD(cfg.smd_p, cfg.smd_step_dropped, ctrl_gen)
    model.to(device)
    _set_static(model, fw, bw)
    if pfq is not None and dfq is None:
        _set_static(model, cfg.pfq_fw[0], cfg.pfq_bw[0])
    sign_params: set[int] = set()
    if "psg" in controllers:
        psg = PSG(cfg.psg_ring, cfg.psg_tau, cfg.psg_relative, cfg.psg_lr_scale)
        sign_params = {id(layer.weight) for layer in psg.apply(model.layers())}
    params = list(model.parameters())
    groups = [{"params": [p for p in params if id(p) not in sign_params]}]
    if sign_params:
        groups.append({"params": [p for p in params if id(p) in sign_params],
                       "lr": cfg.lr * cfg.psg_lr_scale, "lr_scale": cfg.psg_lr_scale})
    opt = torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum,
                          weight_decay=cfg.weight_decay)
    result = TrainResult(cfg, array, ledger, layer_names=_layer_names(model))
    shapes = model.gemm_shapes(cfg.batch_size)
    t_start = time.perf_counter()
    step = 0
    for epoch in range(cfg.epochs):
        loss_sum, loss_n = 0.0, 0
        prec: dict[int, list[float]] = {}
        for xb, yb in batches(data.x_train, data.y_train, cfg.batch_size, generator=data_gen,
                              shuffle=True, drop_last=True, augment=data.augment):
            lr = 0.5 * cfg.lr * (1 + math.cos(math.pi * step / total_steps))
            for g in opt.param_groups:
                g["lr"] = lr * g.get("lr_scale", 1.0)
            ledger.record_baseline(shapes)
            step += 1
            info = {"epoch": epoch + 1}
            if smd is not None and smd.drop():
                if smd.step_dropped:  # momentum-only + weight-decay step, no GEMM
                    for p in params:
                        p.grad = torch.zeros_like(p)
                    opt.step()
                result.dropped += 1
                m, b = ledger.totals()
                result.cumulative.append((step, m.eff_macs, b.eff_macs, m.energy_j, b.energy_j,
                                          m.latency_s, b.latency_s))
                if on_step:
                    on_step(step, total_steps, {**info, "dropped": True})
                continue
            driver.begin_batch()
            xb, yb = xb.to(device), yb.to(device)
            out = model(xb)
            ce = F.cross_entropy(out, yb)
            loss = ce
            if dfq is not None:
                loss = loss + dfq.loss()
                result.dfq_cp.append(dfq.last_cp)
                info["cp"] = dfq.last_cp
            if slu is not None:
                loss = loss + slu.loss()
                result.slu_cp.append(slu.last_cp)
            opt.zero_grad()
            loss.backward()
            opt.step()
            stopped = rt.stats.pop("psg_stopped", None)
            if stopped:
                result.psg_stopped.append(sum(stopped) / len(stopped))
            ce_val = float(ce.detach())
            loss_sum += ce_val
            loss_n += 1
            for d in driver.program:  # precision per layer: FW activation bits, GC error bits
                acc = prec.setdefault(d.layer, [0.0, 0.0, 0.0, 0.0])
                if d.pass_ == Pass.FW:
                    acc[0] += d.a_bits * d.m
                    acc[1] += d.m
                elif d.pass_ == Pass.GC:
                    acc[2] += d.b_bits * d.k
                    acc[3] += d.k
            if pfq is not None and pfq.observe(ce_val):
                result.events.append(f"step {step}: PFQ stage {pfq.stage}")
                if dfq is not None:
                    dfq.target = cfg.fractrain_targets[pfq.stage]
                else:
                    _set_static(model, cfg.pfq_fw[pfq.stage], cfg.pfq_bw[pfq.stage])
                    if psg is not None:
                        psg.apply(model.layers())
            m, b = ledger.totals()
            result.cumulative.append((step, m.eff_macs, b.eff_macs, m.energy_j, b.energy_j,
                                      m.latency_s, b.latency_s))
            info["loss"] = ce_val
            if on_step:
                on_step(step, total_steps, info)
        result.train_loss.append(loss_sum / max(loss_n, 1))
        result.precision.append({layer: (v[0] / v[1] if v[1] else 0.0,
                                         v[2] / v[3] if v[3] else 0.0)
                                 for layer, v in sorted(prec.items())})
        result.test_acc.append(_evaluate(model, data, driver, cfg.batch_size, device))
    result.seconds = time.perf_counter() - t_start
    result.steps = step
    return result
