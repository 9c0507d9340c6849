"""``fracfpga boards``: the boards the toolkit knows, with their resources and PYNQ support."""

from __future__ import annotations

import typer
from rich.table import Table

from boards import all_boards, load_board


def boards(name: str = typer.Argument(None, help="show one board with the source of each fact")) -> None:
    """List the known boards (or show one board's facts and sources)."""
    from host.cli import console

    if name:
        b = load_board(name)
        t = Table(title=b.title, show_header=True)
        t.add_column("fact")
        t.add_column("value")
        t.add_column("source")
        for fact in ("part", "family", "vivado_board_part", "lut", "ff", "dsp", "bram36", "uram",
                     "pl_clock_mhz", "ps_ddr_gbps", "pl_ddr_gbps", "energy_profile",
                     "pynq_status", "pynq_image"):
            src_key = {"lut": "resources", "ff": "resources", "dsp": "resources",
                       "bram36": "resources", "uram": "resources", "part": "resources",
                       "family": "resources", "vivado_board_part": "board_part",
                       "pynq_status": "pynq", "pynq_image": "pynq"}.get(fact, fact)
            t.add_row(fact, str(getattr(b, fact)), b.sources.get(src_key, ""))
        console.print(t)
        return
    t = Table(title="boards")
    for col in ("name", "part", "LUT", "FF", "DSP", "BRAM36", "clock MHz", "DDR GB/s", "PYNQ"):
        t.add_column(col)
    for b in all_boards():
        t.add_row(b.name, b.part, str(b.lut), str(b.ff), str(b.dsp), str(b.bram36),
                  f"{b.pl_clock_mhz:g}", f"{b.ddr_gbps:g}", b.pynq_status.split(" ")[0])
    console.print(t)
