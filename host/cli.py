"""The ``fracfpga`` command line: one typer app; each command lives in ``host/commands/<name>.py``.

User mistakes (``UserError``) print one line and exit with status 2; anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

import importlib
import sys

import typer
from rich.console import Console

from boards.errors import UserError

__all__ = ["app", "main", "console", "fail"]

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="FPGA co-design toolkit for dynamic-precision DNN training.")
# a pipe or a log gets wide tables instead of rich's 80-column default
console = Console(width=None if sys.stdout.isatty() else 140)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 400)

# (module under host.commands, command name); each module defines a function of that name
COMMANDS: tuple[tuple[str, str], ...] = (
    ("boards", "boards"),
    ("backends", "backends"),
    ("csim", "csim"),
    ("deploy", "deploy"),
    ("emulate", "emulate"),
    ("estimate", "estimate"),
    ("generate", "generate"),
    ("package", "package"),
    ("perf", "perf"),
    ("train", "train"),
    ("verify", "verify"),
)


def _register() -> None:
    for module, name in COMMANDS:
        mod = importlib.import_module(f"host.commands.{module}")
        fn = getattr(mod, name.replace("-", "_"))
        app.command(name=name, help=(fn.__doc__ or "").strip().split("\n")[0])(fn)


_register()


def fail(message: str) -> None:
    """Print ``error: message`` on stderr and exit with status 2."""
    err_console.print(f"error: {message}", style="bold red", highlight=False, soft_wrap=True)
    raise SystemExit(2)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    try:
        app(args=argv, standalone_mode=True)
    except UserError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
