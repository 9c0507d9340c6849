"""``--set controller.field=value``: any field of a controller's config dataclass from the CLI.

The options are generated from the dataclasses themselves (``host.controllers.*Config``), so a
controller's new setting needs no CLI code. ``parse_sets`` checks the syntax and the controller
name without importing torch; ``apply_sets`` converts the values by the fields' types (bool,
int, float, str, tuples such as ``3,4,6,8`` or ``((3,6),(4,8))``, ``none`` for optional ones)
and builds the configs.
"""

from __future__ import annotations

import ast
import dataclasses
import typing
from typing import Any

from .errors import ChoiceError
from .names import CONTROLLERS

__all__ = ["parse_sets", "apply_sets", "coerce", "describe"]


def parse_sets(items: list[str] | None, enabled: frozenset[str]) -> dict[str, dict[str, str]]:
    """``["pfq.eps=0.1", ...]`` -> {"pfq": {"eps": "0.1"}}; the controller must be enabled."""
    out: dict[str, dict[str, str]] = {}
    for item in items or []:
        key, eq, value = item.partition("=")
        ctrl, dot, name = key.strip().partition(".")
        if not eq or not dot or not name:
            raise ChoiceError(f"--set {item!r} is not CONTROLLER.FIELD=VALUE; pass e.g. "
                              f"--set pfq.eps=0.05")
        ctrl = ctrl.lower()
        if ctrl not in CONTROLLERS:
            raise ChoiceError(f"--set {item!r}: unknown controller {ctrl!r}; controllers: "
                              f"{', '.join(CONTROLLERS)}")
        if ctrl not in enabled:
            raise ChoiceError(f"--set {item!r}: the method does not switch {ctrl} on; add it "
                              f"to --method (e.g. --method fractrain+{ctrl})")
        out.setdefault(ctrl, {})[name.strip()] = value.strip()
    return out


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def coerce(text: str, tp: Any) -> Any:
    """``text`` as a value of type ``tp`` (raises ValueError when it is not one)."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        if text.lower() in ("none", "null") and type(None) in args:
            return None
        errors = []
        for a in args:
            if a is type(None):
                continue
            try:
                return coerce(text, a)
            except ValueError as exc:
                errors.append(str(exc))
        raise ValueError("; ".join(errors))
    if tp is bool:
        low = text.lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"{text!r} is not true or false")
    if tp in (int, float):
        try:
            return tp(text)
        except ValueError:
            raise ValueError(f"{text!r} is not {'an integer' if tp is int else 'a number'}") \
                from None
    if tp is str:
        return text
    if origin in (tuple, list, typing.Sequence) or tp in (tuple, list):
        value = _literal(text if text.strip().startswith(("(", "[")) else f"({text},)")
        if not isinstance(value, (tuple, list)):
            raise ValueError(f"{text!r} is not a list")
        inner = args[0] if args else Any
        if args and len(args) > 1 and args[1] is not Ellipsis:  # a fixed-length tuple
            if len(value) != len(args):
                raise ValueError(f"{text!r} needs {len(args)} values")
            return tuple(coerce(_text(v), a) for v, a in zip(value, args))
        return tuple(coerce(_text(v), inner) for v in value) if inner is not Any else tuple(value)
    return _literal(text)


def _text(v: Any) -> str:
    return repr(v) if isinstance(v, (tuple, list)) else str(v)


def apply_sets(config_type: type, base: Any, values: dict[str, str], ctrl: str) -> Any:
    """``base`` (or the defaults) of ``config_type`` with ``values`` replaced."""
    hints = typing.get_type_hints(config_type)
    fields = {f.name for f in dataclasses.fields(config_type) if f.init}
    changes = {}
    for name, text in values.items():
        if name not in fields:
            raise ChoiceError(f"--set {ctrl}.{name}: {ctrl} has no setting {name!r}; settings: "
                              f"{', '.join(sorted(fields))}")
        try:
            changes[name] = coerce(text, hints[name])
        except ValueError as exc:
            raise ChoiceError(f"--set {ctrl}.{name}={text}: {exc}; give a "
                              f"{_type_name(hints[name])}") from None
    base = base if base is not None else config_type()
    return dataclasses.replace(base, **changes)


def _type_name(tp: Any) -> str:
    if typing.get_args(tp):
        return str(tp).replace("typing.", "")
    return getattr(tp, "__name__", None) or str(tp)


def describe(config_type: type) -> list[tuple[str, str, str]]:
    """(field, type, default) rows of a controller config (for ``--show-settings``)."""
    hints = typing.get_type_hints(config_type)
    rows = []
    for f in dataclasses.fields(config_type):
        if not f.init:
            continue
        default = f.default if f.default is not dataclasses.MISSING else (
            f.default_factory() if f.default_factory is not dataclasses.MISSING else "")
        rows.append((f.name, _type_name(hints[f.name]), repr(default)))
    return rows
