"""Errors of the accelerator driver: one line naming the problem and the fix (CLI exit 2).

Every class derives from the project's one ``UserError`` base, so the CLI prints the message and
exits with status 2 without a traceback. A ``KernelTimeout`` is also a ``TimeoutError`` and a
layout problem also a ``ValueError``, so callers can catch them the Python way.
"""

from __future__ import annotations

from boards.errors import UserError

__all__ = [
    "AcceleratorError", "AcceleratorUnavailable", "KernelTimeout", "KernelBusy",
    "KernelRefused", "BufferMismatch", "RegisterAccessError", "OverlayNotFound",
    "BitstreamMismatch", "UnsupportedConfiguration", "AcceleratorClosed",
]


class AcceleratorError(UserError):
    """Base of the driver's errors."""


class AcceleratorUnavailable(AcceleratorError, RuntimeError):
    """A backend that cannot run here; the message carries its probe's reason."""


class KernelTimeout(AcceleratorError, TimeoutError):
    """The kernel did not raise ap_done (or ap_idle) within the poll bound.

    Attributes:
        waited_cycles: clock cycles (or the board's equivalent) spent polling.
        step: what the driver was waiting for.
    """

    def __init__(self, message: str, *, step: str = "", waited_cycles: int = 0) -> None:
        super().__init__(message)
        self.step = step
        self.waited_cycles = waited_cycles


class KernelBusy(AcceleratorError, RuntimeError):
    """The kernel is not idle when the driver wants to start it."""


class KernelRefused(AcceleratorError, ValueError):
    """The kernel refused a descriptor (STATUS != 0); ERROR says why."""


class BufferMismatch(AcceleratorError, ValueError):
    """A buffer whose size, dtype or layout does not fit what the descriptors say."""


class RegisterAccessError(AcceleratorError, ValueError):
    """A register access that is unaligned, out of range, or writes a read-only register."""


class OverlayNotFound(AcceleratorError, FileNotFoundError):
    """The bitstream or hardware handoff (.bit/.hwh) of a project is missing."""

    def __str__(self) -> str:  # FileNotFoundError would format errno fields
        return str(self.args[0])


class BitstreamMismatch(AcceleratorError):
    """A bitstream or .hwh that was not built from this project's manifest."""


class UnsupportedConfiguration(BitstreamMismatch):
    """The overlay's IP was built for another array configuration than the manifest's.

    On a board this error is also raised as PYNQ's own ``UnsupportedConfiguration`` (see
    ``host.accel.pynq``), so that PYNQ falls back to ``DefaultIP`` and warns.
    """


class AcceleratorClosed(AcceleratorError, RuntimeError):
    """An accelerator used after ``close()``."""
