"""Checks of command-line values, run before any heavy import, data load or large allocation.

Each raises ``BadOption`` (a ``UserError``: one line, exit status 2) naming the option, the bad
value and the fix. Only the standard library is imported here, so a command can call these
first and still answer in a fraction of a second.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from boards.errors import UserError

__all__ = ["BadOption", "at_least", "in_range", "seed", "positive_float", "choice",
           "out_folder", "SEED_MAX"]

SEED_MAX = 2**32 - 1  # numpy's and torch's seeds both take this range


class BadOption(UserError, ValueError):
    """A command-line value outside what the option takes."""


def at_least(name: str, value: int | None, low: int) -> None:
    """Refuse ``value < low`` (``None`` means the option was not given)."""
    if value is not None and value < low:
        raise BadOption(f"{name} {value} must be at least {low}")


def in_range(name: str, value: int | float | None, low: float, high: float,
             unit: str = "") -> None:
    """Refuse a value outside ``low..high`` (both included), or NaN."""
    if value is None:
        return
    if not (low <= value <= high):  # NaN fails every comparison
        u = f" {unit}" if unit else ""
        raise BadOption(f"{name} {value}{u} is outside {low:g}..{high:g}{u}; pass a value in "
                        f"that range")


def seed(value: int | None, name: str = "--seed") -> None:
    """Seeds are 0..2^32-1 (what numpy and torch both take)."""
    if value is not None and not 0 <= value <= SEED_MAX:
        raise BadOption(f"{name} {value} is outside 0..{SEED_MAX}; pass a non-negative seed "
                        f"such as 0")


def positive_float(name: str, value: float | None, *, high: float | None = None) -> None:
    """A finite number above zero (and at most ``high``)."""
    if value is None:
        return
    if not math.isfinite(value) or value <= 0:
        raise BadOption(f"{name} {value} must be a finite number above 0, e.g. {name} 0.1")
    if high is not None and value > high:
        raise BadOption(f"{name} {value} is above {high:g}; pass at most {high:g}")


def choice(name: str, value: str, choices: tuple[str, ...] | list[str]) -> str:
    """``value`` lower-cased when it is one of ``choices``; else the list of choices."""
    key = value.strip().lower()
    if key not in choices:
        raise BadOption(f"{name} {value!r} is not one of {', '.join(choices)}; pick one of them")
    return key


def _existing_ancestor(path: Path) -> Path:
    p = path.absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def out_folder(path: Path, *, marker: str | None, what: str, option: str = "--out") -> None:
    """Check, before any work, that ``path`` can become (or replace) a ``what`` folder.

    It may be missing, an empty folder, or a folder that holds ``marker`` (an earlier output
    of the same kind, which will be replaced as a whole). A file, a foreign non-empty folder, a
    parent that is a file, or a location without write permission is refused.
    """
    path = Path(path)
    if path.exists() or path.is_symlink():
        if not path.is_dir():
            raise BadOption(f"{option} {path} is an existing file, not a folder; choose a folder "
                            f"name for the {what}")
        if marker is not None and any(path.iterdir()) and not (path / marker).exists():
            raise BadOption(f"{option} {path} holds files that are not a {what} (no {marker}); "
                            f"choose a new or empty folder")
        parent = path.absolute().parent
    else:
        parent = _existing_ancestor(path.parent)
    if not parent.is_dir():
        raise BadOption(f"{option} {path}: {parent} is a file, not a folder; choose another "
                        f"location")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise BadOption(f"{option} {path}: {parent} is not writable; choose a writable location")
