"""User errors of the training host: one line naming the problem and the fix (exit status 2)."""

from __future__ import annotations

from boards.errors import UserError

__all__ = ["UserError", "ChoiceError", "DataNotFound"]


class ChoiceError(UserError, ValueError):
    """A name (model, method, backend, data set, device) that is not one of the known choices."""


class DataNotFound(UserError, FileNotFoundError):
    """A data set path that does not exist or lacks the expected files."""

    def __str__(self) -> str:  # FileNotFoundError would format errno fields
        return str(self.args[0])

