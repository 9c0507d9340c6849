"""The training loop: controllers decide, the driver runs every GEMM on a target, the ledger counts.

Per mini-batch every controller may drop it (SMD); the model's forward lets block gates decide
(DFQ's precision, SLU's skip); controllers add loss terms (DFQ, SLU), act after the optimizer
step (PFQ's stage, PSG's statistics) and set layer plans when they attach (PFQ's widths, PSG's
early stop). The loop names none of them: it builds the ones the method switches on from
``host.controllers.CONTROLLERS``. The ledger charges every executed descriptor and, beside it,
the full FW8/BW8 program of the batch.

The schedule comes from a recipe (``host.recipes``: the official FracTrain or E2-Train CIFAR
schedule, or the quick digits one). In a data-parallel run (``host.dist``) every rank trains
its slice of each global mini-batch under DistributedDataParallel, the controllers' decisions
are taken once and broadcast, rank 0 evaluates, and the ledgers are summed at the end.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Callable

import torch
import torch.nn.functional as F

from fpga_model import ArrayConfig, Pass

from .accel.registry import choose_target, open_for_training
from .controllers import (CONTROLLERS, Controller, DFQConfig, PFQConfig, PSGConfig, SLUConfig,
                          SMDConfig, TrainingRun, build_controllers, controller_class,
                          parse_method)
from .data import SHAPES, Dataset, batches
from .dist import SINGLE, Dist
from .distledger import DistLedger
from .driver import Driver
from .errors import ChoiceError
from .layers import FLOAT, ArrayEngine, Runtime
from .ledger import Cost, Ledger
from .models import QuantModel, build_model
from .names import check_model
from .recipes import recipe as recipe_of

__all__ = ["TrainConfig", "TrainResult", "train", "check_config"]

DEVICES = ("cpu", "cuda")


@dataclass
class TrainConfig:
    """Everything a training run depends on (the defaults train digits in about a minute).

    ``method`` switches controllers on; each has one nested config (``pfq``, ``dfq``, ...):
    None gives its defaults, which the run fills in for the controllers it switches on.
    ``backend`` is an accelerator target (``host.accel.target_names()``) or ``auto``.
    ``model`` is a built-in name or ``package.module:factory``. The optimizer, schedule,
    batch and length default to the ``quick`` recipe (``from_recipe`` takes another one);
    ``iterations`` (when set) is the run's length instead of ``epochs``; ``batch_size`` is the
    global batch of a data-parallel run. ``act_momentum`` is the activations' running-range
    momentum (FracTrain's train_frac.py: 0.1).
    """

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
    recipe: str = "quick"
    schedule: str = "cosine"  # or "piecewise" (x gamma at each milestone)
    milestones: tuple[float, ...] = ()  # fractions of the run
    gamma: float = 0.1
    iterations: int | None = None
    act_momentum: float = 0.1
    static_bits: tuple[int, int] = (8, 8)  # (FW, BW) of static layers
    pfq: PFQConfig | None = None
    dfq: DFQConfig | None = None
    psg: PSGConfig | None = None
    smd: SMDConfig | None = None
    slu: SLUConfig | None = None

    def __post_init__(self) -> None:
        for f in fields(self):  # nested configs from to_dict() come back as dicts
            value = getattr(self, f.name)
            if isinstance(value, dict) and f.name in CONTROLLERS:
                setattr(self, f.name, controller_class(f.name).config_type(**value))
        try:
            enabled = parse_method(self.method)
        except ChoiceError:  # check_config says so
            return
        for name in enabled:
            if hasattr(self, name) and getattr(self, name) is None:
                setattr(self, name, controller_class(name).config_type())

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_recipe(cls, name: str, **overrides: Any) -> "TrainConfig":
        """A config with recipe ``name``'s settings (``host.recipes``), then ``overrides``."""
        r = recipe_of(name).as_dict()
        return cls(**{**r, "recipe": name, **overrides})


@dataclass
class TrainResult:
    """What a run produced: accuracies, the ledger and per-epoch/per-step histories.

    ``series`` holds the controllers' per-step report values by key (``dfq_cp``, ``slu_cp``,
    ``psg_stopped``, ...).
    """

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
    series: dict[str, list[float]] = field(default_factory=dict)
    eval_steps: list[int] = field(default_factory=list)  # the step after which each test ran
    world: int = 1
    float_layers: tuple[str, ...] = ()

    @property
    def best_step(self) -> int:
        """The step of the best-accuracy checkpoint (the first evaluation reaching the best)."""
        if not self.test_acc:
            return self.steps
        return self.eval_steps[self.test_acc.index(max(self.test_acc))]

    def costs_at(self, step: int) -> tuple[Cost, Cost]:
        """(method, baseline) cumulative costs after ``step`` steps (eff MACs, latency, energy)."""
        if step <= 0 or not self.cumulative:
            return Cost(), Cost()
        row = self.cumulative[min(step, len(self.cumulative)) - 1]
        return (Cost(eff_macs=row[1], energy_j=row[3], latency_s=row[5]),
                Cost(eff_macs=row[2], energy_j=row[4], latency_s=row[6]))

    @property
    def final_acc(self) -> float:
        return self.test_acc[-1] if self.test_acc else float("nan")

    @property
    def best_acc(self) -> float:
        return max(self.test_acc) if self.test_acc else float("nan")


def check_config(cfg: TrainConfig) -> tuple[frozenset[str], ArrayConfig]:
    """Validate choices and widths before any data is read; returns (controllers, array).

    The backend is probed, never opened: a board's overlay is loaded once, by ``train``.
    """
    check_model(cfg.model)
    enabled = parse_method(cfg.method)
    if cfg.schedule not in ("cosine", "piecewise"):
        raise ChoiceError(f"unknown learning-rate schedule {cfg.schedule!r}; use cosine or "
                          f"piecewise")
    if cfg.iterations is not None and cfg.iterations < 1:
        raise ChoiceError(f"--iterations {cfg.iterations} must be at least 1")
    controllers = build_controllers(enabled, cfg)
    if cfg.device not in DEVICES:
        raise ChoiceError(f"unknown device {cfg.device!r}; use cpu or cuda")
    if cfg.device == "cuda" and not torch.cuda.is_available():
        raise ChoiceError("--device cuda but torch sees no CUDA device; use --device cpu")
    for name, value in (("--epochs", cfg.epochs), ("--batch-size", cfg.batch_size),
                        ("--width", cfg.width)):
        if value < 1:
            raise ChoiceError(f"{name} {value} must be at least 1")
    for c in controllers:
        c.check(enabled)
    array = ArrayConfig(bits=cfg.bits, board=cfg.board)
    used = set(cfg.static_bits).union(*(c.widths(enabled) for c in controllers))
    for b in sorted(used):
        array.check_pair(b, b)
    choose_target(cfg.backend, array, "train")  # unknown or unavailable backends fail here
    return enabled, array


def check_model_fits(cfg: TrainConfig, kind: str) -> QuantModel:
    """Build ``cfg.model`` for data ``kind`` on the float engine and let every enabled
    controller refuse it (one line) before any data is read; returns the model."""
    chans, size, classes = SHAPES[kind]
    model = build_model(cfg.model, chans, classes, cfg.width, Runtime(engine=FLOAT), size)
    for c in build_controllers(parse_method(cfg.method), cfg):
        c.check_model(model, cfg.model)
    return model


def learning_rate(cfg: TrainConfig, step: int, total: int) -> float:
    """The learning rate of iteration ``step`` (0-based) of ``total``: cosine or piecewise."""
    if cfg.schedule == "cosine":
        return 0.5 * cfg.lr * (1 + math.cos(math.pi * step / total))
    drops = sum(step >= round(f * total) for f in cfg.milestones)
    return cfg.lr * cfg.gamma ** drops


def _merge(dicts: list[dict]) -> dict:
    out: dict = {}
    for d in dicts:
        for key, cost in d.items():
            out.setdefault(key, Cost()).add(cost)
    return out


def _reduce(result: "TrainResult", dist: Dist) -> None:
    """Every rank's ledger and cumulative costs, summed (rank 0 alone charges the baseline
    and, through ``DistLedger``, the merged passes; the others add only zeros)."""
    ledger = result.ledger
    ledger.method = _merge(dist.gather(ledger.method))
    ledger.baseline = _merge(dist.gather(ledger.baseline))
    rows = dist.gather(result.cumulative)
    result.cumulative = [(r0[0], *(sum(r[i] for r in group) for i in range(1, len(r0))))
                         for group in zip(*rows) for r0 in (group[0],)]


def _layer_names(model: QuantModel) -> dict[int, str]:
    names = {}
    for name, mod in model.named_modules():
        if mod in model.layers():
            names[mod.index] = name
    return names


def _evaluate(model: QuantModel, data: Dataset, driver: Driver, batch: int, device) -> float:
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


def _param_groups(params: list, controllers: list[Controller], lr: float) -> list[dict]:
    """One group of the parameters no controller claims, then one per claiming controller."""
    claimed = []
    for c in controllers:
        group = c.param_group()
        if group is not None:
            claimed.append(({id(p) for p in group[0]}, group[1]))
    taken = set().union(*(ids for ids, _ in claimed))
    groups = [{"params": [p for p in params if id(p) not in taken]}]
    for ids, scale in claimed:
        if ids:
            groups.append({"params": [p for p in params if id(p) in ids], "lr": lr * scale,
                           "lr_scale": scale})
    return groups


def train(cfg: TrainConfig, data: Dataset,
          on_step: Callable[[int, int, dict], None] | None = None,
          target: Any = None, dist: Dist = SINGLE) -> TrainResult:
    """Train ``cfg.model`` on ``data`` with the method's controllers through the backend.

    Args:
        cfg: the run's configuration (see ``TrainConfig``).
        data: the data set (``host.data.load_data``).
        on_step: called after every mini-batch with (step, total steps, info dict).
        target: what the passes run on (``host.accel.open_for_training``); default: opened
            here for ``cfg.backend``. Several runs may share one (a board loads once).
        dist: this process's place in a data-parallel run (``host.dist.from_env``).
    """
    enabled, array = check_config(cfg)
    controllers = build_controllers(enabled, cfg)
    if cfg.batch_size % dist.world:
        raise ChoiceError(f"--batch-size {cfg.batch_size} does not split evenly over "
                          f"{dist.world} processes; use a multiple of {dist.world}")
    device = torch.device(cfg.device)
    if device.type == "cuda" and dist.active:
        device = torch.device("cuda", dist.local_rank)
    torch.manual_seed(cfg.seed)
    gen = torch.Generator(device=device).manual_seed(cfg.seed + 1 + 7919 * dist.rank)
    data_gen = torch.Generator().manual_seed(cfg.seed + 2)  # shuffling, augmentation
    ctrl_gen = torch.Generator().manual_seed(cfg.seed + 3)  # SMD and SLU draws
    ledger = DistLedger(array, cfg.static_bits, dist=dist) if dist.active else \
        Ledger(array, cfg.static_bits)
    if target is None:
        target, _ = open_for_training(cfg.backend, array)
    driver = Driver(array, target, ledger)
    rt = Runtime(engine=ArrayEngine(driver), generator=gen)
    model = build_model(cfg.model, data.in_channels, data.num_classes, cfg.width, rt,
                        data.image_size)
    for c in controllers:
        c.check_model(model, cfg.model)
    for layer in model.layers():
        layer.act_range.momentum = cfg.act_momentum
    steps_per_epoch = data.x_train.shape[0] // cfg.batch_size
    if steps_per_epoch < 1:
        raise ChoiceError(f"--batch-size {cfg.batch_size} exceeds the {data.x_train.shape[0]} "
                          f"training samples; use a smaller batch")
    if cfg.iterations is not None:
        total_steps = cfg.iterations
        epochs = -(-total_steps // steps_per_epoch)
    else:
        total_steps, epochs = steps_per_epoch * cfg.epochs, cfg.epochs
    result = TrainResult(cfg, array, ledger, world=dist.world, float_layers=model.float_layers)
    run = TrainingRun(
        model=model, block_channels=[b.in_channels for b in model.blocks],
        block_macs=[sum(m * n * k for layer in b.gated_convs
                        for p, m, n, k in layer.gemm_shapes(1, False) if p == Pass.FW)
                    for b in model.blocks],
        static_bits=cfg.static_bits, steps_per_epoch=steps_per_epoch, total_steps=total_steps,
        generator=ctrl_gen, runtime=rt, enabled=enabled,
        controllers={c.name: c for c in controllers}, series=result.series, dist=dist)
    run.set_widths(*cfg.static_bits)
    for c in controllers:
        c.attach(run)
    model.to(device)
    net: torch.nn.Module = model
    if dist.active:
        import warnings

        from torch.nn.parallel import DistributedDataParallel

        with warnings.catch_warnings():  # rank-local buffers: each rank's BN and ranges
            warnings.simplefilter("ignore", FutureWarning)
            net = DistributedDataParallel(
                model, device_ids=[dist.local_rank] if device.type == "cuda" else None,
                find_unused_parameters="slu" in enabled,  # skipped blocks leave some unused
                broadcast_buffers=False)
    params = list(model.parameters())
    opt = torch.optim.SGD(_param_groups(params, controllers, cfg.lr), lr=cfg.lr,
                          momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    run.optimizer, run.params = opt, params
    result.layer_names = _layer_names(model)
    shapes = model.gemm_shapes(cfg.batch_size)  # the global batch's static program
    t_start = time.perf_counter()
    step = 0
    for epoch in range(epochs):
        loss_sum, loss_n = 0.0, 0
        prec: dict[int, list[float]] = {}
        for xb, yb in batches(data.x_train, data.y_train, cfg.batch_size, generator=data_gen,
                              shuffle=True, drop_last=True, augment=data.augment):
            if step >= total_steps:
                break
            lr = learning_rate(cfg, step, total_steps)
            for g in opt.param_groups:
                g["lr"] = lr * g.get("lr_scale", 1.0)
            if dist.main:  # the baseline of the global batch, charged once
                ledger.record_baseline(shapes)
            step += 1
            info = {"epoch": epoch + 1}
            if not all([c.begin_batch(step) for c in controllers]):
                result.dropped += 1
                m, b = ledger.totals()
                result.cumulative.append((step, m.eff_macs, b.eff_macs, m.energy_j, b.energy_j,
                                          m.latency_s, b.latency_s))
                if on_step:
                    on_step(step, total_steps, {**info, "dropped": True})
                continue
            driver.begin_batch()
            xb, yb = dist.shard(xb).to(device), dist.shard(yb).to(device)
            out = net(xb)
            ce = F.cross_entropy(out, yb)
            loss = ce
            for c in controllers:
                term = c.loss()
                if term is not None:
                    loss = loss + term
                info.update(c.info())
            opt.zero_grad()
            loss.backward()
            opt.step()
            if dist.active:
                ledger.flush()  # every rank's passes, charged as one process would
            ce_val = dist.mean(float(ce.detach()))  # the global batch's loss
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
            for c in controllers:
                result.events.extend(c.after_step(step, ce_val))
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
        acc = _evaluate(model, data, driver, cfg.batch_size, device) if dist.main else 0.0
        result.test_acc.append(dist.agree(acc))
        result.eval_steps.append(step)
    result.seconds = time.perf_counter() - t_start
    result.steps = step
    if dist.active:
        _reduce(result, dist)
    return result
