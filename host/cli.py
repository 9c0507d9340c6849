"""The ``fracfpga`` command line: one typer app; each command lives in ``host/commands/<name>.py``.

User mistakes (``UserError``), usage errors and file-system faults print one line and exit
with status 2; a mismatch between a tier and the model exits with 1; anything else is a bug and
keeps its traceback. Command modules import only typer at their top (numpy, torch and the
model load inside the command), so ``fracfpga --help`` starts fast.
"""

from __future__ import annotations

import importlib
import sys

import typer
from rich.console import Console

try:  # typer >= 0.2x carries its own copy of click
    from typer._click import exceptions as clickx
except ImportError:  # pragma: no cover - older typer on plain click
    from click import exceptions as clickx

from boards.errors import UserError

__all__ = ["app", "main", "console", "fail", "EXAMPLES"]

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

# one example per command, shown at the end of its --help
EXAMPLES: dict[str, str] = {
    "boards": "fracfpga boards zc706",
    "backends": "fracfpga backends build/zc706_b3-4-6-8-12_8x8",
    "csim": "fracfpga csim build/zc706_b3-4-6-8-12_8x8 --job edges",
    "deploy": "fracfpga deploy build/zc706_b4-8_2x2 --backend rtl --sim verilator",
    "emulate": "fracfpga emulate --bits 4,8 --pair 4,8 --m 128 --k 576 --n 64",
    "estimate": "fracfpga estimate build/zc706_b4-8_2x2 --family xc7",
    "generate": "fracfpga generate --bits 3,4,6,8,12 --board zc706 --tiles 8x8",
    "package": "fracfpga package build/zc706_b3-4-6-8-12_8x8 --out dist",
    "perf": "fracfpga perf build/zc706_b4-8_2x2 --shape 256,144,16 --pair 4,8 --pass fw",
    "train": "fracfpga train --method fractrain --epochs 5 --seeds 0,1,2 --baseline",
    "verify": "fracfpga verify build/zc706_b4-8_2x2 --sim verilator --no-csim",
}


INTERRUPTED = ("interrupted: nothing half-written was left; earlier reports, projects and "
               "packages are as they were")


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("fracfpga")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def _show_version(value: bool) -> None:
    if value:
        console.print(f"fracfpga {_version()}", highlight=False)
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", is_eager=True,
                                       callback=_show_version,
                                       help="Print the version and exit.")) -> None:
    """FPGA co-design toolkit for dynamic-precision DNN training."""


def _register() -> None:
    for module, name in COMMANDS:
        mod = importlib.import_module(f"host.commands.{module}")
        fn = getattr(mod, name.replace("-", "_"))
        example = EXAMPLES.get(name)
        app.command(name=name, help=(fn.__doc__ or "").strip().split("\n")[0],
                    epilog=f"Example: {example}" if example else None)(fn)


_register()


def command():
    """The click command of the app, with plain flags shown without a ``<bool>`` type."""
    cmd = typer.main.get_command(app)

    def walk(c) -> None:
        help_opt = c.get_help_option(typer.Context(c))  # built once per command, then cached
        for p in [*c.params, *([help_opt] if help_opt is not None else [])]:
            if getattr(p, "is_flag", False) and p.metavar is None:
                p.metavar = ""
        for sub in getattr(c, "commands", {}).values():
            walk(sub)

    walk(cmd)
    return cmd


def fail(message: str) -> None:
    """Print ``error: message`` on stderr (one line) and exit with status 2."""
    line = " ".join(str(message).split("\n")[0].split()) or "unknown error"
    err_console.print(f"error: {line}", style="bold red", highlight=False, soft_wrap=True,
                      markup=False)
    raise SystemExit(2)


def _usage_line(exc: clickx.UsageError) -> str:
    where = exc.ctx.command_path if exc.ctx is not None else "fracfpga"
    return f"{exc.format_message().rstrip('.')}; see '{where} --help'"


def _os_line(exc: OSError) -> str:
    what = exc.strerror or exc.__class__.__name__
    path = f" {exc.filename}" if exc.filename else ""
    return (f"{what.lower()}:{path}; check that the path exists and is readable and "
            f"writable, or choose another location")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cmd = command()
    try:
        rc = cmd.main(args=argv, prog_name="fracfpga", standalone_mode=False)
    except clickx.NoArgsIsHelpError as exc:
        text = exc.ctx.get_help() if exc.ctx is not None else ""  # typer prints rich help itself
        if text:
            console.print(text, highlight=False, markup=False)
        raise SystemExit(0) from None
    except clickx.UsageError as exc:
        fail(_usage_line(exc))
    except clickx.ClickException as exc:
        fail(exc.format_message())
    except UserError as exc:
        fail(str(exc))
    except (typer.Abort, KeyboardInterrupt):
        rc = 130
    except OSError as exc:
        fail(_os_line(exc))
    if rc == 130:  # typer turns Ctrl-C into exit status 130
        err_console.print(INTERRUPTED, highlight=False, soft_wrap=True)
    raise SystemExit(rc if isinstance(rc, int) else 0)


if __name__ == "__main__":
    main()
