"""``fracfpga-board``: the deployment self-test on a PYNQ board, from the runtime package alone.

The runtime wheel that ``fracfpga package`` builds carries the driver and the model but not the
development CLI (typer, rich, the code generators, the simulators), so this is the board's
entry point: the same checks and self-test as ``fracfpga deploy``, printed as plain text.

    fracfpga-board [FOLDER] [--backend auto|pynq|emulator] [--job NAME] [--timeout-cycles N]

FOLDER is the unpacked package (``manifest.json``, ``overlay/``, ``vectors/``; default: the
current folder). Exit status 0 when every job equals the model, 1 when one does not, 2 on a
user error (one line on stderr).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from boards.errors import UserError

__all__ = ["main"]


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for n, r in enumerate(rows):
        out.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def run(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, run the self-test, print it; return the exit status."""
    from codegen.render import load_project

    from .registry import backend_choices
    from .selftest import (
        describe_target,
        open_deployment,
        pick_jobs,
        run_selftest,
        selftest_jobs,
        summary_line,
    )

    p = argparse.ArgumentParser(prog="fracfpga-board", description=__doc__.split("\n")[0])
    p.add_argument("folder", nargs="?", default=".", type=Path,
                   help="package or project folder (manifest.json, overlay/, vectors/)")
    p.add_argument("--backend", default="auto",
                   help=f"{', '.join(backend_choices())} (auto: a board first)")
    p.add_argument("--job", action="append", help="run only this self-test job (repeatable)")
    p.add_argument("--timeout-cycles", type=int, default=None,
                   help="bound on the wait for ap_done (kernel cycles)")
    args = p.parse_args(argv)
    proj = load_project(args.folder)
    jobs = pick_jobs(selftest_jobs(proj), args.job)
    acc, lines = open_deployment(proj, args.backend, timeout_cycles=args.timeout_cycles)
    print("\n".join(lines), flush=True)
    with acc:
        acc.target.prepare()
        rows = run_selftest(acc, jobs)
    table = [("job", "descriptors", "width pairs", "early stop", "result", "cycles",
              "model cycles", "time", "first mismatch")]
    for r in rows:
        result = "PASS" if r.passed else "FAIL"
        if r.passed and r.status:
            result += f" (refused #{r.status - 1}, as the model)"
        table.append((r.job, str(r.descriptors), str(r.pairs), str(r.early_stop), result,
                      str(r.cycles), str(r.model_cycles), f"{r.seconds:.2f} s", r.detail))
    print(f"self-test of {proj.root} on the {describe_target(acc.target)} ({proj.cfg!r})")
    print("\n".join(_table(table)))
    print(summary_line(acc, rows, jobs))
    return 0 if all(r.passed for r in rows) else 1


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point: user errors print one line and exit with status 2."""
    try:
        code = run(argv)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = 2
    sys.exit(code)


if __name__ == "__main__":
    main()
