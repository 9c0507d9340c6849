"""PSG: the predictor's quality beside E2-Train's on the same tensors, and PSG training on digits.

Part 1 (``predictor``): sign agreement with the fp32 weight gradient, MSB-only fraction and mean
relative error of ``host.psg.predict_weight_gradient_sign`` (the array model, exactly as training
runs it) and of E2-Train's predictor (``host.psg.e2train_predictor``: fp32 Q-branch as E2-Train
runs it, and the same error width as ours), on Gaussian and Student-t(3) output gradients;
``predictor_grid``: the sign agreement of both over activation widths 4-8 x error widths 8-16.
Part 2 (``training``): static FW8/BW8 and PSG on digits through the emulator, mean +- sample std
over seeds: final accuracy, PSG's sign agreement with the fp32 gradient and MSB-only fraction,
and the effective-MAC, latency and energy savings against static FW8/BW8 on the same array,
for PSG's default (tau from the previous step) and E2-Train's tau of the current step.

    .venv/bin/python bench/psg.py [--seeds 0,1,2] [--epochs 40] [--skip-training]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from host.psg import e2train_predictor, predict_weight_gradient  # noqa: E402


def _tensors(dist: str, seed: int, k: int, cin: int, cout: int):
    g = torch.Generator().manual_seed(seed)
    x = torch.relu(torch.randn(k, cin, generator=g))
    if dist == "gauss":
        dy = torch.randn(k, cout, generator=g)
    else:
        z = torch.randn(k, cout, generator=g)
        dy = z / (torch.randn(3, k, cout, generator=g).pow(2).sum(0) / 3).sqrt()
    return x, dy * 1e-3


def _figures(sign, msb, dw, true) -> dict:
    return {"sign_agreement": float((sign == torch.sign(true)).double().mean()),
            "msb_only": float(msb.double().mean()),
            "mean_rel_error": float((dw.double() - true).mean() / true.abs().mean())}


def _ms(vals: list[float], scale: float = 100.0) -> dict:
    return {"mean": round(statistics.mean(vals) * scale, 2),
            "std": round((statistics.stdev(vals) if len(vals) > 1 else 0.0) * scale, 2)}


def predictor(seeds: list[int], k: int = 2048, c: int = 128) -> dict:
    out: dict = {}
    for dist in ("gauss", "t3"):
        for a_bits, e_bits in ((8, 16), (8, 8), (4, 8), (6, 12)):
            rows: dict[str, list[dict]] = {"fracfpga": [], "e2train_fp32_q": [],
                                           "e2train_same_bits": []}
            for s in seeds:
                x, dy = _tensors(dist, s, k, c, c)
                true = dy.double().t() @ x.double()
                dw, msb = predict_weight_gradient(x, dy, a_bits=a_bits, e_bits=e_bits,
                                                  generator=torch.Generator().manual_seed(s))
                rows["fracfpga"].append(_figures(torch.sign(dw), msb, dw, true))
                es, em, edw = e2train_predictor(x, dy, a_bits=a_bits, e_msb=min(e_bits, 16))
                rows["e2train_fp32_q"].append(_figures(es, em, edw, true))
                es, em, edw = e2train_predictor(x, dy, a_bits=a_bits, e_msb=min(e_bits, 16),
                                                q_bits=e_bits)
                rows["e2train_same_bits"].append(_figures(es, em, edw, true))
            out[f"{dist}_a{a_bits}_e{e_bits}"] = {
                name: {key: _ms([r[key] for r in rs]) for key in rs[0]}
                for name, rs in rows.items()}
    return out


def grid(seeds: list[int], k: int = 2048, c: int = 128) -> dict:
    """Sign agreement (mean over seeds, %) over activation widths 4-8 x error widths 8-16:
    ours and E2-Train's predictor at the same error width, per cell, with the worst cell and
    the largest gap to E2-Train."""
    out: dict = {}
    for dist in ("gauss", "t3"):
        cells: dict = {}
        for a_bits in range(4, 9):
            for e_bits in range(8, 17):
                ours, ref = [], []
                for s in seeds:
                    x, dy = _tensors(dist, s, k, c, c)
                    true = torch.sign(dy.double().t() @ x.double())
                    dw, _ = predict_weight_gradient(x, dy, a_bits=a_bits, e_bits=e_bits,
                                                    generator=torch.Generator().manual_seed(s))
                    ours.append(float((torch.sign(dw) == true).double().mean()))
                    es = e2train_predictor(x, dy, a_bits=a_bits, e_msb=min(e_bits, 16),
                                           q_bits=e_bits)[0]
                    ref.append(float((es == true).double().mean()))
                cells[f"a{a_bits}_e{e_bits}"] = {"fracfpga": round(statistics.mean(ours) * 100, 2),
                                                 "e2train_same_bits":
                                                     round(statistics.mean(ref) * 100, 2)}
        worst = min(cells, key=lambda n: cells[n]["fracfpga"])
        gap = max(cells, key=lambda n: cells[n]["e2train_same_bits"] - cells[n]["fracfpga"])
        out[dist] = {"min_fracfpga": {"cell": worst, **cells[worst]},
                     "max_gap_to_e2train": {"cell": gap, **cells[gap]}, "cells": cells}
    return out


def training(seeds: list[int], epochs: int) -> dict:
    from host.data import load_data
    from host.threads import set_threads
    from host.trainer import TrainConfig, train

    set_threads(1)
    data = load_data("digits")
    doc: dict = {}
    from host.controllers.psg import PSGConfig

    # psg: the default, tau from the previous step's max (one sweep); psg_current_tau:
    # E2-Train's tau from this step's prefix max (two sweeps)
    variants = {"static": ("static", None), "psg": ("psg", PSGConfig()),
                "psg_current_tau": ("psg", PSGConfig(tau_step="current"))}
    for name, (method, psg) in variants.items():
        t0 = time.perf_counter()
        runs = [train(TrainConfig(method=method, data="digits", seed=s, epochs=epochs, psg=psg),
                      data) for s in seeds]
        row = {"final_acc": _ms([r.final_acc for r in runs], 1.0)}
        if method == "psg":
            for key, field in (("psg_agree", "sign_agreement"), ("psg_stopped", "msb_only")):
                row[field] = _ms([sum(r.series[key]) / len(r.series[key]) for r in runs])
        for key in ("eff_macs", "latency_s", "energy_j"):
            row[f"{key}_saving"] = _ms([r.ledger.savings()[key] for r in runs])
        row["seconds"] = round(time.perf_counter() - t0, 1)
        doc[name] = row
        print(f"{name}: {json.dumps(row)}", file=sys.stderr, flush=True)
    return doc


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--skip-training", action="store_true")
    args = ap.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    doc = {"benchmark": "psg", "seeds": seeds,
           "units": "percent; mean and sample std over seeds; savings = 1 - method/static "
                    "FW8/BW8 on the same array",
           "predictor": predictor(seeds), "predictor_grid": grid(seeds)}
    if not args.skip_training:
        doc["training"] = {"data": "digits", "epochs": args.epochs,
                           **training(seeds, args.epochs)}
    print(json.dumps(doc, indent=1))
    return doc


if __name__ == "__main__":
    main()
