"""Training reports: report.json, PNG plots, and the mean ± std summary over seeds.

Savings are ``1 - method / baseline`` where the baseline is static FW8/BW8 on the same array
over the same mini-batches. Effective MACs are cumulative over the whole run (the FracTrain
tables count them up to the best-accuracy iteration instead).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Sequence

from .trainer import TrainResult

__all__ = ["summary", "aggregate", "write_report", "default_report_dir", "SUMMARY_KEYS"]

SUMMARY_KEYS = ("final_acc", "best_acc", "eff_mac_saving", "latency_saving", "energy_saving")


def default_report_dir(method: str, data: str, seeds: Sequence[int]) -> Path:
    """reports/<method>-<data>-seed<s> (or -seeds<a>-<b>-... for several seeds)."""
    name = data.split(":", 1)[0]
    tag = f"seed{seeds[0]}" if len(seeds) == 1 else "seeds" + "-".join(map(str, seeds))
    return Path("reports") / f"{method.replace('+', '_')}-{name}-{tag}"


def summary(r: TrainResult) -> dict:
    """The headline numbers of one run."""
    m, b = r.ledger.totals()
    s = r.ledger.savings()
    return {
        "seed": r.config.seed,
        "final_acc": r.final_acc,
        "best_acc": r.best_acc,
        "eff_mac_saving": s["eff_macs"],
        "latency_saving": s["latency_s"],
        "energy_saving": s["energy_j"],
        "cycle_saving": s["cycles"],
        "eff_macs": m.eff_macs,
        "baseline_eff_macs": b.eff_macs,
        "latency_s": m.latency_s,
        "baseline_latency_s": b.latency_s,
        "energy_j": m.energy_j,
        "baseline_energy_j": b.energy_j,
        "steps": r.steps,
        "dropped_batches": r.dropped,
        "train_seconds": r.seconds,
    }


def _mean_std(values: Sequence[float]) -> tuple[float, float]:
    n = len(values)
    mean = sum(values) / n
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
    return mean, std


def aggregate(results: Sequence[TrainResult]) -> dict:
    """Mean and sample standard deviation of the summary numbers over seeds."""
    rows = [summary(r) for r in results]
    out = {"seeds": [r["seed"] for r in rows], "runs": len(rows)}
    for key in SUMMARY_KEYS:
        mean, std = _mean_std([r[key] for r in rows])
        out[key] = {"mean": mean, "std": std}
    return out


def _series_keys() -> list[str]:
    """Every registered controller's report series (each run reports all, None when unused)."""
    from .controllers import CONTROLLERS, controller_class

    return [key for name in CONTROLLERS for key in controller_class(name).series_keys]


def _run_json(r: TrainResult) -> dict:
    return {
        "summary": summary(r),
        "test_acc": r.test_acc,
        "train_loss": r.train_loss,
        "events": r.events,
        "precision_per_epoch": [{r.layer_names.get(k, str(k)): {"fw_act_bits": v[0],
                                                               "gc_error_bits": v[1]}
                                 for k, v in epoch.items()} for epoch in r.precision],
        **{f"{key}_mean": sum(v) / len(v) if (v := r.series.get(key)) else None
           for key in _series_keys()},
        "per_layer": [{**row, "name": r.layer_names.get(row["layer"], "")}
                      for row in r.ledger.per_layer()],
    }


def _plots(results: Sequence[TrainResult], out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    r0 = results[0]
    files = []
    # precision per layer over time (first seed)
    layers = sorted({k for epoch in r0.precision for k in epoch})
    if layers and r0.precision:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
        for ax, idx, title in ((axes[0], 0, "FW activation bits"), (axes[1], 1, "GC error bits")):
            grid = [[epoch.get(k, (0.0, 0.0))[idx] for epoch in r0.precision] for k in layers]
            im = ax.imshow(grid, aspect="auto", origin="lower", cmap="viridis",
                           extent=(0.5, len(r0.precision) + 0.5, -0.5, len(layers) - 0.5))
            ax.set_title(title)
            ax.set_xlabel("epoch")
            fig.colorbar(im, ax=ax)
        axes[0].set_yticks(range(len(layers)))
        axes[0].set_yticklabels([r0.layer_names.get(k, str(k)) for k in layers], fontsize=7)
        fig.suptitle(f"precision per layer ({r0.config.method}, seed {r0.config.seed})")
        fig.tight_layout()
        fig.savefig(out / "precision.png", dpi=110)
        plt.close(fig)
        files.append("precision.png")
    # cumulative cost
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for r in results:
        steps = [c[0] for c in r.cumulative]
        axes[0].plot(steps, [c[1] for c in r.cumulative], label=f"{r.config.method} s{r.config.seed}")
        axes[1].plot(steps, [c[3] for c in r.cumulative], label=f"{r.config.method} s{r.config.seed}")
    steps = [c[0] for c in r0.cumulative]
    axes[0].plot(steps, [c[2] for c in r0.cumulative], "k--", label="FW8/BW8")
    axes[1].plot(steps, [c[4] for c in r0.cumulative], "k--", label="FW8/BW8")
    axes[0].set_title("cumulative effective MACs")
    axes[1].set_title(f"cumulative modeled energy (J, {r0.array.board})")
    for ax in axes:
        ax.set_xlabel("step")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "cost.png", dpi=110)
    plt.close(fig)
    files.append("cost.png")
    # accuracy
    fig, ax = plt.subplots(figsize=(6, 4))
    for r in results:
        ax.plot(range(1, len(r.test_acc) + 1), r.test_acc, marker=".",
                label=f"seed {r.config.seed}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"{r0.config.method} on {r0.config.data.split(':')[0]}")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "accuracy.png", dpi=110)
    plt.close(fig)
    files.append("accuracy.png")
    return files


def write_report(results: Sequence[TrainResult], out: Path, *, plots: bool = True) -> Path:
    """Write report.json (and PNG plots) for one or more seeds of one method; returns the path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    r0 = results[0]
    doc = {
        "method": r0.config.method,
        "data": r0.config.data,
        "model": r0.config.model,
        "backend": r0.config.backend,
        "array": r0.array.to_dict(),
        "baseline": f"static FW{r0.ledger.baseline_bits[0]}/BW{r0.ledger.baseline_bits[1]} "
                    f"on the same array",
        "eff_macs_convention": "cumulative over the whole run; MACs x b_a/32 x b_b/32 per GEMM",
        "config": {k: v for k, v in r0.config.to_dict().items() if k != "seed"},
        "aggregate": aggregate(results),
        "runs": [_run_json(r) for r in results],
    }
    doc["plots"] = _plots(results, out) if plots else []
    path = out / "report.json"
    path.write_text(json.dumps(doc, indent=2, default=str))
    return path
