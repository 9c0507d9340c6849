"""``fracfpga train``: dynamic-precision training whose every GEMM runs on an accelerator backend."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import ChoiceError
from . import checks

DATA_KINDS = ("digits", "cifar10", "cifar100")


def _seeds(text: str | None, seed: int) -> list[int]:
    if not text:
        return [seed]
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise ChoiceError(f"--seeds {text!r} is not a comma-separated list of integers; "
                          f"pass e.g. --seeds 0,1,2") from None
    if not seeds or len(set(seeds)) != len(seeds):
        raise ChoiceError(f"--seeds {text!r} must list distinct integers, e.g. 0,1,2")
    return seeds


def _pct(agg: dict, key: str, scale: float = 100.0) -> str:
    v = agg[key]
    if agg["runs"] > 1:
        return f"{v['mean'] * scale:.2f} ± {v['std'] * scale:.2f}"
    return f"{v['mean'] * scale:.2f}"


def train(
    model: str = typer.Option("resnet8", help="resnet8, resnet20, resnet38, resnet74, resnet110, "
                              "resnet164, mobilenetv2, or package.module:factory (any "
                              "torch.nn.Module; called with num_classes and in_channels)"),
    data: str = typer.Option("digits", help="digits, cifar10:PATH or cifar100:PATH"),
    method: str = typer.Option("fractrain", help="static, pfq, dfq, fractrain, psg, smd, slu, "
                               "e2train, or controllers joined with '+' (pfq+psg)"),
    recipe: str = typer.Option(None, help="training schedule: fractrain or e2train (the official "
                               "CIFAR ones: SGD 0.1, wd 1e-4, batch 128, 64k iterations, "
                               "piecewise lr) or quick (cosine, wd 5e-4, batch 64, 40 epochs); "
                               "default: quick on digits, the method's paper on CIFAR"),
    settings: list[str] = typer.Option(None, "--set", help="a controller setting, "
                                       "CONTROLLER.FIELD=VALUE (repeatable), e.g. --set "
                                       "pfq.eps=0.05 --set dfq.target=3; --show-settings "
                                       "lists them"),
    show_settings: bool = typer.Option(False, "--show-settings",
                                       help="print every controller setting with its default "
                                            "and exit"),
    backend: str = typer.Option("emulator", help="accelerator backend: emulator, rtl, pynq or "
                                "auto (the fastest exact one here: the emulator)"),
    board: str = typer.Option("zc706", help="board whose clock, DDR and energy profile apply"),
    bits: str = typer.Option("3,4,6,8,12", help="bit-width set of the array"),
    epochs: int = typer.Option(None, help="training epochs (default: the recipe's)"),
    iterations: int = typer.Option(None, help="training iterations instead of epochs "
                                   "(default: the recipe's)"),
    seed: int = typer.Option(0, help="random seed (0..2^32-1)"),
    seeds: str = typer.Option(None, help="several seeds, e.g. 0,1,2 (mean ± std in the report)"),
    device: str = typer.Option("cpu", help="cpu or cuda (where the layers and GEMMs run)"),
    batch_size: int = typer.Option(None, "--batch-size", help="mini-batch size (the global one "
                                   "with --nproc; default: the recipe's)"),
    width: int = typer.Option(None, help="channels of the first stage (default 8 on digits, "
                              "16 on CIFAR: the papers' width)"),
    lr: float = typer.Option(None, help="initial learning rate, above 0 (default: the "
                             "recipe's)"),
    weight_decay: float = typer.Option(None, "--weight-decay", help="SGD weight decay "
                                       "(default: the recipe's)"),
    act_momentum: float = typer.Option(0.1, "--act-momentum", help="momentum m of the "
                                       "activations' running range (running <- m running + "
                                       "(1-m) batch; FracTrain's train_frac.py: 0.1)"),
    static_bits: str = typer.Option("8,8", "--static-bits",
                                    help="FW,BW widths of static layers and of --method static"),
    dfq_per_sample: bool = typer.Option(False, "--dfq-per-sample",
                                        help="DFQ decides per sample (one descriptor per "
                                             "option group) instead of per mini-batch"),
    smd_step_dropped: bool = typer.Option(True, "--smd-step-dropped/--smd-skip-dropped",
                                          help="a dropped batch makes a momentum + weight-decay "
                                               "step (E2-Train under PyTorch 1.0) or none"),
    nproc: int = typer.Option(1, help="data-parallel processes on this machine (torch."
                              "distributed: gloo on CPU, NCCL on CUDA); the same as running "
                              "this command under torchrun --nproc-per-node N"),
    threads: int = typer.Option(1, help="CPU threads for torch and BLAS (the small ops of the "
                                "emulated step run best on one; raise it for CIFAR models on "
                                "an idle machine)"),
    out: Path = typer.Option(None, help="report folder (default reports/<method>-<data>-seed<s>);"
                             " an earlier report there is replaced as a whole"),
    plots: bool = typer.Option(True, "--plots/--no-plots", help="write PNG plots"),
    baseline: bool = typer.Option(False, "--baseline", help="also train the static "
                                  "--static-bits baseline on the same seeds and draw its "
                                  "accuracy beside the method's"),
) -> None:
    """Train with FracTrain/E2-Train controllers, every GEMM on the backend; report the savings."""
    # everything a user can get wrong is checked here, before torch loads or data is read
    from ..names import check_model, check_recipe, default_recipe, parse_method
    from ..settings import parse_sets

    check_model(model)
    enabled = parse_method(method)
    if show_settings:
        _show_settings()
        return
    seed_list = _seeds(seeds, seed)
    for s in seed_list:
        checks.seed(s, "--seeds" if seeds else "--seed")
    for name, v in (("--epochs", epochs), ("--iterations", iterations),
                    ("--batch-size", batch_size), ("--width", width), ("--threads", threads),
                    ("--nproc", nproc)):
        checks.at_least(name, v, 1)
    checks.positive_float("--lr", lr, high=10.0)
    checks.in_range("--weight-decay", weight_decay, 0.0, 1.0)
    checks.in_range("--act-momentum", act_momentum, 0.0, 1.0)
    if device not in ("cpu", "cuda"):
        raise ChoiceError(f"unknown device {device!r}; use cpu or cuda")
    kind = data.split(":", 1)[0].strip().lower()
    if kind not in DATA_KINDS:
        raise ChoiceError(f"unknown data set {data!r}; use digits, cifar10:PATH or "
                          f"cifar100:PATH")
    recipe = recipe or default_recipe(data, method)
    check_recipe(recipe)
    sets = parse_sets(settings, enabled)
    try:
        fw, bw = (int(v) for v in static_bits.split(","))
    except ValueError:
        raise ChoiceError(f"--static-bits {static_bits!r} is not FW,BW; pass e.g. 8,8") from None
    from ..dist import launch, strip_nproc, under_launcher
    from ..report import default_report_dir  # light: the report's heavy imports are lazy

    folder = out if out is not None else default_report_dir(method, data, seed_list)
    checks.out_folder(folder, marker="report.json", what="training report")

    from fpga_model import parse_bits

    from ..controllers import controller_class
    from ..dist import close, from_env
    from ..settings import apply_sets
    from ..trainer import TrainConfig, check_config, check_model_fits

    if width is None:
        width = 8 if kind == "digits" else 16
    configs = {}
    if dfq_per_sample:
        sets.setdefault("dfq", {}).setdefault("per_sample", "true")
    if not smd_step_dropped:
        sets.setdefault("smd", {}).setdefault("step_dropped", "false")
    for ctrl, values in sets.items():
        if ctrl in enabled:
            configs[ctrl] = apply_sets(controller_class(ctrl).config_type, None, values, ctrl)
    explicit = {k: v for k, v in (("epochs", epochs), ("batch_size", batch_size), ("lr", lr),
                                  ("weight_decay", weight_decay)) if v is not None}
    if epochs is not None and iterations is None:
        explicit["iterations"] = None  # --epochs replaces the recipe's iteration count
    if iterations is not None:
        explicit["iterations"] = iterations
    base = TrainConfig.from_recipe(recipe, model=model, data=data, method=method,
                                   backend=backend, board=board, bits=parse_bits(bits),
                                   device=device, width=width, static_bits=(fw, bw),
                                   act_momentum=act_momentum, **configs, **explicit)
    _, array = check_config(base)  # bad choices fail before the data is read
    check_model_fits(base, kind)  # a model no controller can drive fails here, in one line
    if nproc > 1 and base.batch_size % nproc:
        raise ChoiceError(f"--batch-size {base.batch_size} does not split evenly over {nproc} "
                          f"processes; use a multiple of {nproc}")
    if nproc > 1 and not under_launcher():
        code = launch(strip_nproc(_argv()), nproc)
        if code:
            raise SystemExit(code)
        return
    dist = from_env(device)
    try:
        _run(base, dist, array, threads, seed_list, baseline, plots, folder)
        dist.barrier()  # every rank reaches the end before the group goes
    finally:
        close(dist)


def _argv() -> list[str]:
    """This command's arguments (``train ...``) as the process got them."""
    import sys

    args = sys.argv[1:]
    return args[args.index("train"):] if "train" in args else ["train", *args]


def _show_settings() -> None:
    from rich.markup import escape
    from rich.table import Table

    from host.cli import console

    from ..controllers import CONTROLLERS, controller_class
    from ..settings import describe

    t = Table(title="controller settings (--set CONTROLLER.FIELD=VALUE)")
    for col in ("setting", "type", "default"):
        t.add_column(col)
    for name in CONTROLLERS:
        for field, tp, default in describe(controller_class(name).config_type):
            t.add_row(f"{name}.{field}", escape(tp), escape(default))
    console.print(t)


def _run(base, dist, array, threads: int, seed_list: list[int], baseline: bool, plots: bool,
         folder: Path) -> None:
    """Train every seed (and the static baseline when asked); rank 0 reports."""
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)
    from rich.table import Table

    from host.cli import console

    from ..accel.registry import open_for_training
    from ..data import load_data
    from ..report import aggregate, paper_savings, write_report
    from ..threads import set_threads
    from ..trainer import TrainConfig
    from ..trainer import train as run_training

    method, model, backend, board = base.method, base.model, base.backend, base.board
    fw, bw = base.static_bits
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[status]}"), TimeElapsedColumn(), TimeRemainingColumn())
    dataset = load_data(base.data)
    target, _ = open_for_training(backend, array)  # once for every seed (a board loads once)
    set_threads(threads)
    results = []
    runs = [(method, base, results)]
    static_runs: list = []
    if baseline and method != "static":
        runs.append(("static", TrainConfig(**{**base.to_dict(), "method": "static"}),
                     static_runs))
    show = dist.main
    with Progress(*columns, console=console, transient=False, disable=not show) as progress:
        for label, run_base, into in runs:
            for s in seed_list:
                cfg = TrainConfig(**{**run_base.to_dict(), "seed": s})
                task = progress.add_task(f"{label} seed {s}", total=None, status="")

                def on_step(step: int, total: int, info: dict, task=task) -> None:
                    status = f"epoch {info['epoch']}"
                    if "loss" in info:
                        status += f" loss {info['loss']:.3f}"
                    if "cp" in info:
                        status += f" cp {info['cp']:.2f}%"
                    progress.update(task, completed=step, total=total, status=status)
                into.append(run_training(cfg, dataset, on_step, target=target, dist=dist))
                progress.update(task, status=f"acc {into[-1].final_acc:.2f}%")
    if not show:
        return
    path = write_report(results, folder, plots=plots, baseline=static_runs or None)
    agg = aggregate(results)
    world = f", {dist.world} processes" if dist.active else ""
    t = Table(title=f"{method}, {model} on {dataset.name}, {backend} on {board}{world}\n"
                    f"recipe {base.recipe}; savings vs static FW{fw}/BW{bw} on the same array")
    t.add_column("quantity")
    t.add_column("mean ± std" if len(results) > 1 else "value", justify="right")
    t.add_row("seeds", ",".join(map(str, seed_list)))
    if dist.active:
        t.add_row("world size (processes)", str(dist.world))
    t.add_row("final test accuracy (%)", _pct(agg, "final_acc", 1.0))
    t.add_row("best test accuracy (%)", _pct(agg, "best_acc", 1.0))
    if static_runs:
        t.add_row(f"static FW{fw}/BW{bw} final accuracy (%)",
                  _pct(aggregate(static_runs), "final_acc", 1.0))
    t.add_row("effective-MAC saving, to best checkpoint (%)", _pct(agg, "eff_mac_saving_to_best"))
    t.add_row("modeled latency saving, to best checkpoint (%)",
              _pct(agg, "latency_saving_to_best"))
    t.add_row("modeled energy saving, to best checkpoint (%)", _pct(agg, "energy_saving_to_best"))
    t.add_row("effective-MAC saving, whole run (%)", _pct(agg, "eff_mac_saving"))
    t.add_row("modeled latency saving, whole run (%)", _pct(agg, "latency_saving"))
    t.add_row("modeled energy saving, whole run (%)", _pct(agg, "energy_saving"))
    if static_runs:
        ps = paper_savings(results, static_runs)
        for key, label in (("eff_mac_saving", "effective-MAC"), ("latency_saving", "latency"),
                           ("energy_saving", "energy")):
            t.add_row(f"{label} saving vs the static run, each to its best (%)",
                      _pct({**ps, "runs": ps["runs"]}, key))
    console.print(t)
    console.print(f"report: {path}")
