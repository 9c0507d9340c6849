"""Training reports: report.json, PNG plots, and the mean ± std summary over seeds.

Savings are ``1 - method / baseline`` where the baseline is static FW8/BW8 on the same array
over the same mini-batches. Costs (effective MACs, modeled latency: the RTL's wall clock on the
board's port, ``host.ledger``, and energy) come two ways, both labelled: over the whole run, and up to the best-accuracy checkpoint (the FracTrain
tables' convention: cumulative to the iteration of the best test accuracy; the baseline over
the same iterations). With static runs trained beside the method (``--baseline``), the
report adds the papers' comparison proper: the method up to its best checkpoint against the
static run up to its own.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from .errors import UserError

if TYPE_CHECKING:  # the trainer imports torch; the report's callers already hold results
    from .trainer import TrainResult

__all__ = ["summary", "aggregate", "write_report", "default_report_dir", "SUMMARY_KEYS",
           "ReportError", "paper_savings", "CONVENTION"]

SUMMARY_KEYS = ("final_acc", "best_acc", "eff_mac_saving", "latency_saving", "energy_saving",
                "eff_mac_saving_to_best", "latency_saving_to_best", "energy_saving_to_best")
CONVENTION = {
    "whole_run": "cumulative over every training step",
    "to_best": "cumulative up to the step of the best test accuracy (the FracTrain tables); "
               "the same-array FW/BW baseline over the same steps",
    "eff_macs": "MACs x b_a/32 x b_b/32 per GEMM (FracTrain)",
}


def _saving(method: float, base: float) -> float:
    return 1.0 - method / base if base else 0.0


def default_report_dir(method: str, data: str, seeds: Sequence[int]) -> Path:
    """reports/<method>-<data>-seed<s> (or -seeds<a>-<b>-... for several seeds)."""
    name = data.split(":", 1)[0]
    tag = f"seed{seeds[0]}" if len(seeds) == 1 else "seeds" + "-".join(map(str, seeds))
    return Path("reports") / f"{method.replace('+', '_')}-{name}-{tag}"


def summary(r: TrainResult) -> dict:
    """The headline numbers of one run."""
    m, b = r.ledger.totals()
    s = r.ledger.savings()
    best = r.best_step
    mb, bb = r.costs_at(best)
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
        "best_step": best,
        "eff_macs_to_best": mb.eff_macs,
        "baseline_eff_macs_to_best": bb.eff_macs,
        "latency_s_to_best": mb.latency_s,
        "baseline_latency_s_to_best": bb.latency_s,
        "energy_j_to_best": mb.energy_j,
        "baseline_energy_j_to_best": bb.energy_j,
        "eff_mac_saving_to_best": _saving(mb.eff_macs, bb.eff_macs),
        "latency_saving_to_best": _saving(mb.latency_s, bb.latency_s),
        "energy_saving_to_best": _saving(mb.energy_j, bb.energy_j),
        "steps": r.steps,
        "dropped_batches": r.dropped,
        "world_size": r.world,
        "train_seconds": r.seconds,
    }


def paper_savings(results: Sequence[TrainResult], static: Sequence[TrainResult]) -> dict:
    """The papers' comparison: each method run up to its best checkpoint against the static
    run of the same seed up to its own; mean and sample std over seeds (fractions)."""
    by_seed = {r.config.seed: r for r in static}
    rows = []
    for r in results:
        base = by_seed.get(r.config.seed)
        if base is None:
            continue
        mb, _ = r.costs_at(r.best_step)
        sb, _ = base.costs_at(base.best_step)
        rows.append({"eff_mac_saving": _saving(mb.eff_macs, sb.eff_macs),
                     "latency_saving": _saving(mb.latency_s, sb.latency_s),
                     "energy_saving": _saving(mb.energy_j, sb.energy_j),
                     "accuracy_change": r.best_acc - base.best_acc})
    out: dict = {"runs": len(rows), "convention": "method up to its best-accuracy checkpoint vs "
                 "the static run up to its own (the FracTrain tables)"}
    for key in ("eff_mac_saving", "latency_saving", "energy_saving", "accuracy_change"):
        if rows:
            mean, std = _mean_std([row[key] for row in rows])
            out[key] = {"mean": mean, "std": std}
    return out


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
        "eval_steps": r.eval_steps,
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


class ReportError(UserError, ValueError):
    """A report folder that would overwrite something that is not a report."""


def write_report(results: Sequence[TrainResult], out: Path, *, plots: bool = True,
                 baseline: Sequence[TrainResult] | None = None) -> Path:
    """Write report.json (and PNG plots) for one or more seeds of one method; returns the path.

    The report is written to a temporary folder beside ``out`` and renamed into place: an
    earlier report in ``out`` is replaced as a whole (no stale plots stay behind), and an
    interrupted write leaves it as it was. ``baseline``: runs of the static FW/BW method on the
    same seeds, drawn beside the method in the accuracy plot.
    """
    from codegen.project import staged_folder

    if not results:
        raise ReportError("no training results to report; pass the results of at least one run")
    out = Path(out)
    if out.exists() and (not out.is_dir() or (any(out.iterdir())
                                              and not (out / "report.json").exists())):
        raise ReportError(f"{out} exists and is not a training report; choose a new or empty "
                          f"report folder")
    r0 = results[0]
    doc = {
        "method": r0.config.method,
        "data": r0.config.data,
        "model": r0.config.model,
        "recipe": r0.config.recipe,
        "world_size": r0.world,
        "float_layers": list(r0.float_layers),
        "backend": r0.config.backend,
        "array": r0.array.to_dict(),
        "baseline": f"static FW{r0.ledger.baseline_bits[0]}/BW{r0.ledger.baseline_bits[1]} "
                    f"on the same array",
        "cost_convention": CONVENTION,
        "config": {k: v for k, v in r0.config.to_dict().items() if k != "seed"},
        "aggregate": aggregate(results),
        "runs": [_run_json(r) for r in results],
    }
    if baseline:
        doc["baseline_runs"] = {"aggregate": aggregate(baseline),
                                "test_acc": [r.test_acc for r in baseline]}
        doc["paper_savings"] = paper_savings(results, baseline)
    with staged_folder(out) as tmp:
        if plots:
            from .plots import draw_plots

            doc["plots"] = draw_plots(results, tmp, baseline)
        else:
            doc["plots"] = []
        (tmp / "report.json").write_text(json.dumps(doc, indent=2, default=str))
    return out / "report.json"
