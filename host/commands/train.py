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
    model: str = typer.Option("resnet8", help="resnet8, resnet20 or resnet38"),
    data: str = typer.Option("digits", help="digits, cifar10:PATH or cifar100:PATH"),
    method: str = typer.Option("fractrain", help="static, pfq, dfq, fractrain, psg, smd, slu, "
                               "e2train, or controllers joined with '+' (pfq+psg)"),
    backend: str = typer.Option("emulator", help="accelerator backend: emulator, rtl, pynq or "
                                "auto (the fastest exact one here: the emulator)"),
    board: str = typer.Option("zc706", help="board whose clock, DDR and energy profile apply"),
    bits: str = typer.Option("3,4,6,8,12", help="bit-width set of the array"),
    epochs: int = typer.Option(40, help="training epochs"),
    seed: int = typer.Option(0, help="random seed (0..2^32-1)"),
    seeds: str = typer.Option(None, help="several seeds, e.g. 0,1,2 (mean ± std in the report)"),
    device: str = typer.Option("cpu", help="cpu or cuda (where the layers and GEMMs run)"),
    batch_size: int = typer.Option(64, "--batch-size", help="mini-batch size"),
    width: int = typer.Option(None, help="channels of the first stage (default 8 on digits, "
                              "16 on CIFAR)"),
    lr: float = typer.Option(0.1, help="initial learning rate (cosine decay), above 0"),
    static_bits: str = typer.Option("8,8", "--static-bits",
                                    help="FW,BW widths of static layers and of --method static"),
    dfq_per_sample: bool = typer.Option(False, "--dfq-per-sample",
                                        help="DFQ decides per sample (one descriptor per "
                                             "option group) instead of per mini-batch"),
    smd_step_dropped: bool = typer.Option(True, "--smd-step-dropped/--smd-skip-dropped",
                                          help="a dropped batch makes a momentum + weight-decay "
                                               "step (E2-Train under PyTorch 1.0) or none"),
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
    seed_list = _seeds(seeds, seed)
    for s in seed_list:
        checks.seed(s, "--seeds" if seeds else "--seed")
    for name, v in (("--epochs", epochs), ("--batch-size", batch_size), ("--width", width),
                    ("--threads", threads)):
        checks.at_least(name, v, 1)
    checks.positive_float("--lr", lr, high=10.0)
    if device not in ("cpu", "cuda"):
        raise ChoiceError(f"unknown device {device!r}; use cpu or cuda")
    kind = data.split(":", 1)[0].strip().lower()
    if kind not in DATA_KINDS:
        raise ChoiceError(f"unknown data set {data!r}; use digits, cifar10:PATH or "
                          f"cifar100:PATH")
    try:
        fw, bw = (int(v) for v in static_bits.split(","))
    except ValueError:
        raise ChoiceError(f"--static-bits {static_bits!r} is not FW,BW; pass e.g. 8,8") from None
    from ..report import default_report_dir  # light: the report's heavy imports are lazy

    folder = out if out is not None else default_report_dir(method, data, seed_list)
    checks.out_folder(folder, marker="report.json", what="training report")

    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)
    from rich.table import Table

    from fpga_model import parse_bits
    from host.cli import console

    from ..data import load_data
    from ..report import aggregate, write_report
    from ..threads import set_threads
    from ..accel.registry import open_for_training
    from ..controllers import DFQConfig, SMDConfig
    from ..trainer import TrainConfig, check_config
    from ..trainer import train as run_training

    if width is None:
        width = 8 if kind == "digits" else 16
    base = TrainConfig(model=model, data=data, method=method, backend=backend, board=board,
                       bits=parse_bits(bits), epochs=epochs, device=device,
                       batch_size=batch_size, width=width, lr=lr, static_bits=(fw, bw),
                       dfq=DFQConfig(per_sample=True) if dfq_per_sample else None,
                       smd=None if smd_step_dropped else SMDConfig(step_dropped=False))
    _, array = check_config(base)  # bad choices fail before the data is read
    dataset = load_data(data)
    target, _ = open_for_training(backend, array)  # once for every seed (a board loads once)
    set_threads(threads)
    results = []
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[status]}"), TimeElapsedColumn(), TimeRemainingColumn())
    runs = [(method, base, results)]
    static_runs: list = []
    if baseline and method != "static":
        runs.append(("static", TrainConfig(**{**base.to_dict(), "method": "static"}),
                     static_runs))
    with Progress(*columns, console=console, transient=False) as progress:
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
                into.append(run_training(cfg, dataset, on_step, target=target))
                progress.update(task, status=f"acc {into[-1].final_acc:.2f}%")
    path = write_report(results, folder, plots=plots, baseline=static_runs or None)
    agg = aggregate(results)
    t = Table(title=f"{method}, {model} on {dataset.name}, {backend} on {board}\n"
                    f"savings vs static FW{fw}/BW{bw} on the same array")
    t.add_column("quantity")
    t.add_column("mean ± std" if len(results) > 1 else "value", justify="right")
    t.add_row("seeds", ",".join(map(str, seed_list)))
    t.add_row("final test accuracy (%)", _pct(agg, "final_acc", 1.0))
    t.add_row("best test accuracy (%)", _pct(agg, "best_acc", 1.0))
    if static_runs:
        t.add_row(f"static FW{fw}/BW{bw} final accuracy (%)",
                  _pct(aggregate(static_runs), "final_acc", 1.0))
    t.add_row("effective-MAC saving (%)", _pct(agg, "eff_mac_saving"))
    t.add_row("modeled latency saving (%)", _pct(agg, "latency_saving"))
    t.add_row("modeled energy saving (%)", _pct(agg, "energy_saving"))
    console.print(t)
    console.print(f"report: {path}")
