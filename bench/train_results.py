"""The 3-seed comparison on digits: static FW8/BW8, FracTrain, PSG and SMD through the emulator.

Every run uses the ``fracfpga train`` defaults (resnet8, width 8, the quick recipe: 40 epochs,
batch 64; zc706) and the emulator backend. Savings come three ways: against static FW8/BW8 on
the same array over the same mini-batches, over the whole run and up to the best-accuracy
checkpoint; and, when ``static`` is among the methods, the papers' comparison: each method up
to its best checkpoint against the static run of the same seed up to its own. Prints one JSON
document (mean ± sample std per method) and writes one report folder per method under
``--out``.

    .venv/bin/python bench/train_results.py [--methods static,fractrain,psg,smd] [--seeds 0,1,2]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from host.data import load_data  # noqa: E402
from host.report import aggregate, paper_savings, write_report  # noqa: E402
from host.threads import set_threads  # noqa: E402
from host.trainer import TrainConfig, train  # noqa: E402


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--methods", default="static,fractrain,psg,smd")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--data", default="digits")
    ap.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    ap.add_argument("--model", default=TrainConfig.model)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", type=Path, default=Path("reports/train_results"))
    ap.add_argument("--no-plots", action="store_true")
    args = ap.parse_args(argv)
    set_threads(args.threads)
    data = load_data(args.data)
    seeds = [int(s) for s in args.seeds.split(",")]
    doc: dict = {"benchmark": "train_results", "data": args.data, "seeds": seeds,
                 "epochs": args.epochs, "baseline": "static FW8/BW8 on the same array",
                 "accuracy": "test accuracy (%) after the last epoch ('final') and best epoch",
                 "savings": "*_to_best: up to the best-accuracy checkpoint (the papers' tables); "
                            "plain: over the whole run; vs_static_run: each method to its best "
                            "against the static run of the same seed to its own",
                 "model": args.model, "methods": {}}
    done: dict = {}
    methods = args.methods.split(",")
    for method in sorted(methods, key=lambda m: m != "static"):  # the static runs first
        t0 = time.perf_counter()
        runs = [train(TrainConfig(method=method, data=args.data, seed=s, epochs=args.epochs,
                                  model=args.model), data) for s in seeds]
        done[method] = runs
        write_report(runs, args.out / method, plots=not args.no_plots,
                     baseline=done.get("static") if method != "static" else None)
        agg = aggregate(runs)
        doc["methods"][method] = {
            key: {"mean": round(agg[key]["mean"] * (1 if "acc" in key else 100), 2),
                  "std": round(agg[key]["std"] * (1 if "acc" in key else 100), 2)}
            for key in ("final_acc", "best_acc", "eff_mac_saving_to_best",
                        "latency_saving_to_best", "energy_saving_to_best", "eff_mac_saving",
                        "latency_saving", "energy_saving")}
        if method != "static" and "static" in done:
            ps = paper_savings(runs, done["static"])
            doc["methods"][method]["vs_static_run"] = {
                key: {"mean": round(ps[key]["mean"] * (1 if key == "accuracy_change" else 100),
                                    2),
                      "std": round(ps[key]["std"] * (1 if key == "accuracy_change" else 100), 2)}
                for key in ("eff_mac_saving", "latency_saving", "energy_saving",
                            "accuracy_change")}
        doc["methods"][method]["seconds"] = round(time.perf_counter() - t0, 1)
        print(f"{method}: {json.dumps(doc['methods'][method])}", file=sys.stderr, flush=True)
    doc["units"] = "accuracy in %, savings in % vs the baseline (1 - method/baseline)"
    print(json.dumps(doc, indent=1))
    return doc


if __name__ == "__main__":
    main()
