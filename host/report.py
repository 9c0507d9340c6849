"""Training reports: report.json, PNG plots, and the mean ± std summary over seeds.

Savings are ``1 - method / baseline`` where the baseline is static FW8/BW8 on the same array
over the same mini-batches. Effective MACs are cumulative over the whole run (the FracTrain
tables count them up to the best-accuracy iteration instead).
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
           "ReportError"]

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
        "backend": r0.config.backend,
        "array": r0.array.to_dict(),
        "baseline": f"static FW{r0.ledger.baseline_bits[0]}/BW{r0.ledger.baseline_bits[1]} "
                    f"on the same array",
        "eff_macs_convention": "cumulative over the whole run; MACs x b_a/32 x b_b/32 per GEMM",
        "config": {k: v for k, v in r0.config.to_dict().items() if k != "seed"},
        "aggregate": aggregate(results),
        "runs": [_run_json(r) for r in results],
    }
    if baseline:
        doc["baseline_runs"] = {"aggregate": aggregate(baseline),
                                "test_acc": [r.test_acc for r in baseline]}
    with staged_folder(out) as tmp:
        if plots:
            from .plots import draw_plots

            doc["plots"] = draw_plots(results, tmp, baseline)
        else:
            doc["plots"] = []
        (tmp / "report.json").write_text(json.dumps(doc, indent=2, default=str))
    return out / "report.json"
