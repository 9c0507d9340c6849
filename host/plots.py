"""The PNG figures of a training report, drawn to be put in a paper as they are.

- ``accuracy.png``: test accuracy per epoch, mean +- std over seeds (band), beside the static
  FW/BW baseline trained on the same seeds when the report has it;
- ``cost.png``: cumulative effective MACs (GMAC), modeled latency (the RTL's wall clock, ms) and
  energy (mJ) over the training steps, mean +- std over seeds, with the static baseline on the
  same array and the best-accuracy checkpoints (where the papers' tables stop counting) marked;
- ``precision.png``: the width each layer ran at per epoch (FW activations, GC errors), mean
  over seeds, in one discrete colour per supported width on one shared scale;
- ``controllers.png`` (when PSG, SMD or SLU ran): what the E2-Train controllers did over time:
  PSG's MSB-only (early-stopped) fraction, SMD's dropped mini-batches, SLU's skipped blocks.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from .trainer import TrainResult

__all__ = ["draw_plots", "PLOTS"]

PLOTS = ("accuracy.png", "cost.png", "precision.png", "controllers.png")
DPI = 150


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 9, "axes.grid": True, "grid.alpha": 0.3,
                         "axes.spines.top": False, "axes.spines.right": False})
    return plt


def _mean_std(rows: Sequence[Sequence[float]]):
    import numpy as np

    n = min(len(r) for r in rows)
    arr = np.array([list(r[:n]) for r in rows], dtype=float)
    std = arr.std(axis=0, ddof=1) if len(rows) > 1 else np.zeros(n)
    return arr.mean(axis=0), std


def _band(ax, x, rows, label, style: str = "-", color=None) -> None:
    mean, std = _mean_std(rows)
    x = list(x)[:len(mean)]
    line, = ax.plot(x, mean, style, color=color, lw=1.6,
                    label=label + (f" (mean ± std, {len(rows)} seeds)" if len(rows) > 1 else ""))
    if len(rows) > 1:
        ax.fill_between(x, mean - std, mean + std, color=line.get_color(), alpha=0.2, lw=0)


def _label(results: Sequence[TrainResult]) -> str:
    return results[0].config.method


def _accuracy(plt, results, baseline, out: Path) -> None:
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    epochs = range(1, len(results[0].test_acc) + 1)
    _band(ax, epochs, [r.test_acc for r in results], _label(results), color="C0")
    fw, bw = results[0].config.static_bits
    if baseline:
        _band(ax, epochs, [r.test_acc for r in baseline], f"static FW{fw}/BW{bw}", "--",
              color="0.3")
        note = ""
    else:
        note = f" (static FW{fw}/BW{bw} baseline not trained: pass --baseline)"
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"{results[0].config.model} on {results[0].config.data.split(':')[0]}" + note,
                 fontsize=8 if note else 9)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(out / "accuracy.png", dpi=DPI)
    plt.close(fig)


def _cost(plt, results, out: Path) -> None:
    r0 = results[0]
    fw, bw = r0.config.static_bits
    has_latency = all(len(c) >= 7 for r in results for c in r.cumulative)
    panels = [(1, 2, 1e-9, "effective MACs (GMAC)", "cumulative effective MACs")]
    if has_latency:
        panels.append((5, 6, 1e3, "modeled latency, RTL wall clock (ms)",
                       "cumulative modeled latency"))
    panels.append((3, 4, 1e3, "modeled energy (mJ)", "cumulative modeled energy"))
    fig, axes = plt.subplots(1, len(panels), figsize=(4.0 * len(panels), 3.4))
    steps = [c[0] for c in r0.cumulative]
    for ax, (i, j, scale, ylabel, title) in zip(axes, panels):
        _band(ax, steps, [[c[i] * scale for c in r.cumulative] for r in results],
              _label(results), color="C0")
        _band(ax, steps, [[c[j] * scale for c in r.cumulative] for r in results],
              f"static FW{fw}/BW{bw}", "--", color="0.3")
        for k, r in enumerate(results):  # where the papers' convention stops counting
            ax.axvline(r.best_step, color="C3", lw=0.8, ls=":",
                       label="best-accuracy checkpoint" if k == 0 else None)
        ax.set_xlabel("training step (mini-batch)")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.legend(fontsize=7, loc="upper left")
    fig.suptitle(f"modeled cost on {r0.array.board} ({r0.array.tm}x{r0.array.tn} tiles, "
                 f"{r0.array.clock_hz / 1e6:g} MHz, widths {r0.array.bits_text})", fontsize=9)
    fig.tight_layout()
    fig.savefig(out / "cost.png", dpi=DPI)
    plt.close(fig)


def _precision(plt, results, out: Path) -> bool:
    import numpy as np
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.ticker import MaxNLocator

    r0 = results[0]
    layers = sorted({k for r in results for epoch in r.precision for k in epoch})
    if not layers or not r0.precision:
        return False
    widths = sorted(r0.array.bits)
    edges = [widths[0] - 0.5] + [(a + b) / 2 for a, b in zip(widths, widths[1:])] + \
        [widths[-1] + 0.5]
    cmap = ListedColormap(plt.get_cmap("viridis")(np.linspace(0, 1, len(widths)))
                          ).with_extremes(bad="white")
    norm = BoundaryNorm(edges, cmap.N)
    n_epochs = min(len(r.precision) for r in results)
    fig, axes = plt.subplots(1, 2, figsize=(10, 0.6 + 0.28 * len(layers) + 1.6), sharey=True)
    im = None
    for ax, idx, title in ((axes[0], 0, "FW activation bits"), (axes[1], 1, "GC error bits")):
        grid = np.full((len(layers), n_epochs), np.nan)
        for li, k in enumerate(layers):
            for e in range(n_epochs):
                vals = [r.precision[e][k][idx] for r in results if k in r.precision[e]]
                vals = [v for v in vals if v > 0]
                if vals:
                    grid[li, e] = sum(vals) / len(vals)
        im = ax.imshow(np.ma.masked_invalid(grid), aspect="auto", origin="lower", cmap=cmap,
                       norm=norm, interpolation="nearest",
                       extent=(0.5, n_epochs + 0.5, -0.5, len(layers) - 0.5))
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(False)
    axes[0].set_yticks(range(len(layers)))
    axes[0].set_yticklabels([r0.layer_names.get(k, str(k)) for k in layers], fontsize=7)
    axes[0].set_ylabel("layer")
    cb = fig.colorbar(im, ax=list(axes), ticks=widths, fraction=0.04, pad=0.02)
    cb.set_label("bits (mean per epoch, nearest supported width)")
    seeds = ",".join(str(r.config.seed) for r in results)
    fig.suptitle(f"precision per layer: {r0.config.method}, mean over seeds {seeds}; "
                 f"white: layer not run", fontsize=9)
    fig.savefig(out / "precision.png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return True


def _executed_steps(r: TrainResult) -> list[int]:
    """Steps that ran GEMMs (not dropped by SMD): the effective MACs grew there."""
    out, prev = [], 0.0
    for c in r.cumulative:
        if c[1] > prev:
            out.append(int(c[0]))
        prev = c[1]
    return out


def _controllers(plt, results, out: Path) -> None:
    import numpy as np

    method = results[0].config.method
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    specs = (
        ("PSG: MSB-only (early-stopped) outputs", "fraction of GC outputs",
         lambda r: (r.series.get("psg_stopped"), None)),
        ("SMD: dropped mini-batches", "dropped so far",
         lambda r: (None, None)),
        ("SLU: skipped residual-block compute", "fraction skipped",
         lambda r: ([1 - v / 100.0 for v in r.series.get("slu_cp", [])], None)),
    )
    for n, (ax, (title, ylabel, get)) in enumerate(zip(axes, specs)):
        ax.set_title(title)
        ax.set_xlabel("training step (mini-batch)" if n == 1 else
                      "executed mini-batch (SMD drops excluded)")
        ax.set_ylabel(ylabel)
        if n == 1:
            rows = []
            for r in results:
                executed = set(_executed_steps(r))
                rows.append(np.cumsum([0 if int(c[0]) in executed else 1 for c in r.cumulative]))
            if any(row[-1] for row in rows if len(row)):
                _band(ax, [c[0] for c in results[0].cumulative], rows, method, color="C2")
                ax.legend(fontsize=7, loc="upper left")
            else:
                ax.text(0.5, 0.5, f"no batch dropped ({method})", ha="center", va="center",
                        transform=ax.transAxes, color="0.4")
            continue
        series = [get(r)[0] for r in results]
        if not all(series):
            ax.text(0.5, 0.5, f"not used by {method}", ha="center", va="center",
                    transform=ax.transAxes, color="0.4")
            continue
        window = max(1, min(len(s) for s in series) // 20)  # a light moving average
        smooth = [np.convolve(s, np.ones(window) / window, mode="valid") for s in series]
        x = range(window, window + min(len(s) for s in smooth))
        label = method + (f", {window}-batch moving average" if window > 1 else "")
        _band(ax, x, smooth, label, color="C1" if n == 0 else "C3")
        ax.set_ylim(0, 1.05)
        ax.legend(fontsize=7, loc="upper right")
    fig.suptitle(f"E2-Train controllers over training ({method})", fontsize=9)
    fig.tight_layout()
    fig.savefig(out / "controllers.png", dpi=DPI)
    plt.close(fig)


def draw_plots(results: Sequence[TrainResult], out: Path,
               baseline: Sequence[TrainResult] | None = None) -> list[str]:
    """Write the figures of ``results`` (one method, one or more seeds) into ``out``."""
    plt = _pyplot()
    out = Path(out)
    files = []
    _accuracy(plt, results, baseline, out)
    files.append("accuracy.png")
    _cost(plt, results, out)
    files.append("cost.png")
    if _precision(plt, results, out):
        files.append("precision.png")
    if any(r.series.get("psg_stopped") or r.series.get("slu_cp") or r.dropped
           for r in results):
        _controllers(plt, results, out)
        files.append("controllers.png")
    return files
