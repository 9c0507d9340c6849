"""Errors of the code generators and the outside tools they run."""

from __future__ import annotations

from pathlib import Path

from boards.errors import UserError

__all__ = ["ToolNotFound", "ToolFailed", "TemplateError", "ProjectError"]


class ToolNotFound(UserError):
    """A required outside tool (g++, iverilog, verilator, yosys) is not installed."""


class ToolFailed(UserError):
    """An outside tool ran and failed; the message carries the log's last lines."""

    def __init__(self, tool: str, returncode: int, log_path: Path, tail: str = "") -> None:
        self.tool, self.returncode, self.log_path = tool, returncode, log_path
        msg = f"{tool} failed with exit status {returncode}; see {log_path}"
        if tail:
            msg += "\n" + tail
        super().__init__(msg)


class TemplateError(RuntimeError):
    """A template that does not render: a bug in the templates, reported with file and line."""


class ProjectError(UserError):
    """A project folder that is missing, foreign, or does not match its manifest."""
