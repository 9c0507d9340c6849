"""Board data: one TOML file per board beside this module, loaded into a frozen ``Board``."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from .errors import UnknownBoard

try:  # Python 3.11+; PYNQ images still ship 3.10, where the tomli backport reads the same
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - exercised on board images only
    import tomli as tomllib

__all__ = ["Board", "load_board", "board_names", "all_boards"]

_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Board:
    """Facts about one FPGA board; every number carries its source in ``sources``."""

    name: str
    title: str
    part: str
    family: str  # yosys synth_xilinx family: xc7 or xcup
    vivado_board_part: str
    lut: int
    ff: int
    dsp: int
    bram36: int
    uram: int
    pl_clock_mhz: float
    ps_ddr_gbps: float
    energy_profile: str
    pynq_status: str
    pynq_image: str
    port: str  # the PS port the kernel's AXI master reaches DDR through (S_AXI_HP0, ...)
    port_bits: int  # its data width
    port_gbps: float  # sustained GB/s through it (reads and writes together)
    port_latency_cycles: int  # PL cycles from a read address to its first data beat
    port_addr_bits: int  # address bits the kernel's DDR movers need to reach every DDR byte
    pl_ddr_gbps: float | None = None
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def ddr_gbps(self) -> float:
        """Best DDR bandwidth reachable from the PL (PL DDR when the board has it)."""
        return self.pl_ddr_gbps if self.pl_ddr_gbps is not None else self.ps_ddr_gbps

    def capacity(self) -> dict[str, int]:
        """Resource capacity in the keys the resource model and the synthesis estimate use."""
        return {"lut": self.lut, "ff": self.ff, "dsp": self.dsp, "bram36": self.bram36}

    def __repr__(self) -> str:
        return (f"Board({self.name!r}, {self.part}, {self.lut} LUT, {self.dsp} DSP, "
                f"{self.bram36} BRAM36, {self.pl_clock_mhz:g} MHz)")


def board_names() -> tuple[str, ...]:
    """Names of all boards that have a data file, sorted."""
    return tuple(sorted(p.stem for p in _DIR.glob("*.toml")))


@cache
def load_board(name: str) -> Board:
    """Load a board by name (case-insensitive); unknown names list the known ones."""
    key = str(name).strip().lower()
    path = _DIR / f"{key}.toml"
    if not path.is_file():
        raise UnknownBoard(f"unknown board {name!r}; known boards: {', '.join(board_names())}")
    data = tomllib.loads(path.read_text())
    data["sources"] = MappingProxyType(dict(data.get("sources", {})))
    return Board(**data)


def all_boards() -> list[Board]:
    return [load_board(n) for n in board_names()]
