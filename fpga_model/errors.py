"""Errors raised by the array model and its configuration."""

from __future__ import annotations

from boards.errors import UserError

__all__ = ["ConfigError", "AccumulatorOverflow"]


class ConfigError(UserError, ValueError):
    """An ArrayConfig, descriptor or operand that the array cannot take; says how to fix it."""


class AccumulatorOverflow(ConfigError, ArithmeticError):
    """A partial sum left the accumulator's range (the model never wraps)."""
