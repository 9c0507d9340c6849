"""The one error base of the project: a mistake the user can fix (exit status 2, one line)."""

from __future__ import annotations

__all__ = ["UserError", "UnknownBoard"]


class UserError(Exception):
    """Bad input or a missing outside piece; the message names the problem and the fix."""


class UnknownBoard(UserError, KeyError):
    """A board name that has no data file under ``boards/``."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])
