"""Start-up time of the command line, side by side with the interpreter and its heavy imports.

In one run, alternating, best of ``--repeat`` each: a bare interpreter, ``fracfpga --help``,
``fracfpga emulate --help``, an error answered by validation (``train --lr -1``, which must
come before torch loads), and the imports the commands keep out of start-up (numpy, torch).
Ratios are to the bare interpreter; the target for ``--help`` is at most 0.2 s on this kind
of machine.

    python bench/cli_startup.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

CASES = {
    "python": [sys.executable, "-c", "pass"],
    "help": [sys.executable, "-m", "host.cli", "--help"],
    "emulate_help": [sys.executable, "-m", "host.cli", "emulate", "--help"],
    "train_bad_lr": [sys.executable, "-m", "host.cli", "train", "--lr", "-1"],
    "import_numpy": [sys.executable, "-c", "import numpy"],
    "import_torch": [sys.executable, "-c", "import torch"],
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    best = {k: float("inf") for k in CASES}
    for _ in range(args.repeat):
        for name, cmd in CASES.items():
            t0 = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            best[name] = min(best[name], time.perf_counter() - t0)
    base = best["python"]
    print(json.dumps({"seconds": {k: round(v, 4) for k, v in best.items()},
                      "over_python": {k: round(v / base, 2) for k, v in best.items()},
                      "help_within_0_2_s": best["help"] <= 0.2}, indent=2))


if __name__ == "__main__":
    main()
