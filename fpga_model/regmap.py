"""The kernel's AXI4-Lite register map: one table rendered into HLS, Verilog and the driver.

Offsets follow the Vitis HLS ``ap_ctrl_hs`` layout (control at 0x00, interrupt registers at
0x04..0x0C, arguments from 0x10). Names match the HLS ``s_axilite`` ports.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Register", "REGMAP", "register", "CTRL_BITS", "VLNV", "KERNEL_NAME", "COUNTERS",
           "COUNTERS_BASE"]

KERNEL_NAME = "frac_array_top"
VLNV = "fracfpga.org:hls:frac_array_top:1.0"


@dataclass(frozen=True)
class Register:
    """One 32-bit register: name, byte offset, access ("rw", "ro", "wo"), fields name->(msb, lsb);
    ``rtl_only``: the RTL kernel has it, the HLS kernel's s_axilite map does not (reads 0)."""

    name: str
    offset: int
    access: str
    doc: str
    fields: dict[str, tuple[int, int]] = field(default_factory=dict)
    rtl_only: bool = False

    def __repr__(self) -> str:
        return f"Register({self.name}@0x{self.offset:02X}, {self.access})"


CTRL_BITS = {"AP_START": 0, "AP_DONE": 1, "AP_IDLE": 2, "AP_READY": 3, "AUTO_RESTART": 7}

REGMAP: tuple[Register, ...] = (
    Register("CTRL", 0x00, "rw", "ap_ctrl_hs: start, done (clear on read), idle, ready",
             {k: (v, v) for k, v in CTRL_BITS.items()}),
    Register("GIE", 0x04, "rw", "global interrupt enable", {"ENABLE": (0, 0)}),
    Register("IER", 0x08, "rw", "interrupt enable", {"DONE": (0, 0), "READY": (1, 1)}),
    Register("ISR", 0x0C, "rw", "interrupt status (toggle on write)", {"DONE": (0, 0), "READY": (1, 1)}),
    Register("MEM_LO", 0x10, "rw", "DDR window base address, low word (m_axi offset)"),
    Register("MEM_HI", 0x14, "rw", "DDR window base address, high word"),
    Register("DESC_ADDR", 0x1C, "rw", "byte offset of the descriptor list in the DDR window"),
    Register("DESC_COUNT", 0x24, "rw", "number of descriptors in the list"),
    Register("STATUS", 0x2C, "ro", "0 when every descriptor ran; else 1 + index of the first "
             "refused descriptor (code in ERROR)"),
    Register("ERROR", 0x34, "ro", "why the descriptor in STATUS was refused (see ERROR_CODES)"),
    Register("CYCLES_LO", 0x3C, "ro", "engine cycles of the last run, low word"),
    Register("CYCLES_HI", 0x40, "ro", "engine cycles of the last run, high word"),
    Register("DIGIT_PRODUCTS_LO", 0x48, "ro", "digit products of the last run, low word"),
    Register("DIGIT_PRODUCTS_HI", 0x4C, "ro", "digit products of the last run, high word"),
)

# Wall-clock and per-stage counters of the last run (64-bit, LO/HI words from COUNTERS_BASE).
# Hardware-reported (RTL kernel only): the model predicts them (``fpga_model.pipeline.rtl_wall``);
# the stage counters say where the wall clock went. Every cycle from the accepted start to DONE is
# counted once in WALL_CYCLES. Three sides overlap. Fetch: the walker's load states (descriptor,
# A, B; a load the buffers already hold takes one cycle; waiting for the prefetch) and the
# prefetch of the next row block's A, which runs while the walker issues. Execute: the walker's
# issue of pair-chunks (EXEC_BUSY). Result: the result stage writing a block handed over (C,
# MASK) while the walker loads and issues the next one, and the walker's result states (the
# hand-over and its wait for the result stage, the STAT record, the wait for the last write
# response, a refusal). FETCH_* and RESULT_* count each cycle their side is occupied once, even
# where the walker and the stage running beside it both are: BUSY when a word reached the
# buffers or the walker (fetch) or the writer took an element (result), STALL otherwise. So the
# walker's own fetch, issue, result and control cycles add up to WALL_CYCLES, and the sides
# overlap one another.
COUNTERS: tuple[tuple[str, str], ...] = (
    ("wall_cycles", "clock cycles from the accepted start to DONE"),
    ("fetch_busy", "cycles a descriptor or operand word reached the walker or the buffers"),
    ("fetch_stall", "cycles the fetch side was occupied (a load state, or the A prefetch) "
     "and no word arrived (command set-up included)"),
    ("exec_busy", "cycles a (digit pair, chunk) was issued to the array"),
    ("result_busy", "cycles the writer took a result, mask or statistics element"),
    ("result_stall", "cycles the result side was occupied (result stage holding a block, or "
     "the walker handing over or writing STAT) and the writer took no element"),
)
COUNTERS_BASE = 0x50

REGMAP += tuple(
    Register(f"{name.upper()}_{half}", COUNTERS_BASE + 8 * i + 4 * j, "ro",
             f"{doc} (last run), {'low' if half == 'LO' else 'high'} word", rtl_only=True)
    for i, (name, doc) in enumerate(COUNTERS) for j, half in enumerate(("LO", "HI")))

_BY_NAME = {r.name: r for r in REGMAP}


def register(name: str) -> Register:
    """Look up a register by name."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no register {name!r}; registers: {', '.join(_BY_NAME)}") from None
