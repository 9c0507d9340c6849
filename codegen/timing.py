"""Register-to-register timing of a synthesized netlist (yosys ``write_json``), per pipeline stage.

Yosys's ``sta``/``ltp`` carry no timing arcs for Xilinx primitives (FDRE, CARRY4, DSP48E1), so
this module walks the JSON netlist itself: it flattens the kept hierarchy, builds one arc per
(input bit, output bit) of every combinational cell, and runs a longest-path pass from every
start point (a flip-flop's Q, a block RAM's or DSP48's outputs) to every end point (the data,
enable and reset pins of the same cells). Per path it counts

* **levels**: LUTs (LUT1..LUT6, INV) and wide muxes (MUXF7/F8), as Vivado counts logic levels;
* **carry bits**: the bits a path rides along carry cells (a CARRY4 entered at bit k and left
  at bit m adds m - k + 1; a whole CARRY4 passed through CI->CO[3] adds 4, a CARRY8 8);
* **carry chains**: how many times the path enters a carry chain from the fabric;
* **delay**: a first-order estimate from a per-family ``DelayTable`` (cell delays plus one
  routed-net estimate per hop; the sources are in the table).

A **stage** is the RTL module that holds a path's end point (the capturing register, BRAM or
DSP48): ``frac_tile``, ``frac_walker``, ... A stage reports its worst path by delay, with the
start and end cells named by instance path, RTL register (the net a flip-flop drives) and the
``src`` line yosys kept. Ports of the top (IBUF/OBUF) start and end no path: only paths between
registers are counted. Pure functions; ``codegen.synth`` runs yosys and hands the JSON here.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Mapping

from boards.errors import UserError

__all__ = ["Delay", "DelayTable", "DELAY_TABLES", "TimingRule", "PathEnd", "StagePath",
           "StageTiming", "TimingReport", "TimingError", "analyze", "module_stage", "is_blackbox"]


class TimingError(UserError):
    """The netlist cannot be timed (unknown cell type, combinational loop)."""


# ---------------------------------------------------------------- delay tables


@dataclass(frozen=True)
class Delay:
    """One delay in ns, where it comes from, and whether it is an estimate."""

    ns: float
    source: str
    estimate: bool = True


@dataclass(frozen=True)
class DelayTable:
    """First-order delays of one device family and speed grade (ns, worst case)."""

    family: str
    speed_grade: str
    data_sheet: str
    ff_clk_to_q: Delay
    ff_setup_d: Delay
    ff_setup_ce: Delay
    ff_setup_sr: Delay
    lut: Delay
    net: Delay
    muxf: Delay
    carry_in: Delay  # S/DI/CYINIT into a carry cell, out at any bit
    carry_through: Delay  # CI -> top carry out (one whole carry cell)
    carry_out: Delay  # CI -> a sum or a lower carry out
    bram_clk_to_out: Delay  # no output register (DO_REG = 0)
    bram_clk_to_out_reg: Delay  # output register on
    bram_setup: Delay
    dsp_clk_to_p: Delay  # from the P register (PREG = 1)
    dsp_clk_to_p_mreg: Delay  # from the M register through the ALU (PREG = 0)
    dsp_clk_to_p_inreg: Delay  # from the A/B registers through multiplier and ALU
    dsp_setup_inreg: Delay  # into the A/B/C/D input registers
    dsp_setup_mreg: Delay  # through the multiplier into the M register
    dsp_setup_mult_preg: Delay  # through multiplier and ALU into the P register
    dsp_setup_alu_preg: Delay  # through the ALU only (C, PCIN, no multiplier) into P
    dsp_setup_ctrl: Delay  # CE, RST, OPMODE, ALUMODE, ...
    dsp_comb: Delay  # a DSP48 with no register on the path (A -> P)

    def items(self) -> list[tuple[str, Delay]]:
        return [(k, v) for k, v in vars(self).items() if isinstance(v, Delay)]


def _est(ns: float, where: str) -> Delay:
    return Delay(ns, f"estimate; check against {where}", True)


_NET7 = ("estimate: an average routed net of 7-series -2 after placement (Vivado timing reports "
         "show 0.3-0.9 ns); no data sheet gives routing delay")
_NETUP = ("estimate: an average routed net of UltraScale+ -2 after placement (Vivado timing "
          "reports show 0.2-0.6 ns); no data sheet gives routing delay")

# Zynq-7000 XC7Z045 -2 (ZC706): DS191, "Zynq-7000 SoC (Z-7030, Z-7035, Z-7045, Z-7100) Data
# Sheet: DC and AC Switching Characteristics". Values are typical -2 figures for the table and
# symbol named; they were not transcribed from the PDF here, so each is marked an estimate.
_DS191 = "DS191 (Zynq-7000 Z-7030/35/45/100, -2)"
XC7_2 = DelayTable(
    family="xc7", speed_grade="-2", data_sheet=_DS191,
    ff_clk_to_q=_est(0.40, f"{_DS191} table 'CLB Switching Characteristics', TCKO"),
    ff_setup_d=_est(0.07, f"{_DS191} table 'CLB Switching Characteristics', TDICK"),
    ff_setup_ce=_est(0.30, f"{_DS191} table 'CLB Switching Characteristics', TCECK"),
    ff_setup_sr=_est(0.45, f"{_DS191} table 'CLB Switching Characteristics', TSRCK"),
    lut=_est(0.11, f"{_DS191} table 'CLB Switching Characteristics', TILO"),
    net=Delay(0.45, _NET7, True),
    muxf=_est(0.30, f"{_DS191} table 'CLB Switching Characteristics', TIF7MUX/TIF8MUX"),
    carry_in=_est(0.50, f"{_DS191} table 'CLB Switching Characteristics', TOPCYD/TAXCY"),
    carry_through=_est(0.11, f"{_DS191} table 'CLB Switching Characteristics', TBYP"),
    carry_out=_est(0.30, f"{_DS191} table 'CLB Switching Characteristics', TCIND"),
    bram_clk_to_out=_est(2.10, f"{_DS191} table 'Block RAM and FIFO Switching "
                               f"Characteristics', TRCKO_DO"),
    bram_clk_to_out_reg=_est(0.65, f"{_DS191} table 'Block RAM and FIFO Switching "
                                   f"Characteristics', TRCKO_DO_REG"),
    bram_setup=_est(0.55, f"{_DS191} table 'Block RAM and FIFO Switching Characteristics', "
                          f"TRCCK_ADDR/TRDCK_DI"),
    dsp_clk_to_p=_est(0.40, f"{_DS191} table 'DSP48E1 Switching Characteristics', "
                            f"TDSPCKO_P_PREG"),
    dsp_clk_to_p_mreg=_est(1.70, f"{_DS191} table 'DSP48E1 Switching Characteristics', "
                                 f"TDSPCKO_P_MREG"),
    dsp_clk_to_p_inreg=_est(3.40, f"{_DS191} table 'DSP48E1 Switching Characteristics', "
                                  f"TDSPCKO_P_AREG_MULT"),
    dsp_setup_inreg=_est(0.30, f"{_DS191} table 'DSP48E1 Switching Characteristics', "
                               f"TDSPDCK_A_AREG"),
    dsp_setup_mreg=_est(2.40, f"{_DS191} table 'DSP48E1 Switching Characteristics', "
                              f"TDSPDCK_A_MREG_MULT"),
    dsp_setup_mult_preg=_est(3.60, f"{_DS191} table 'DSP48E1 Switching Characteristics', "
                                   f"TDSPDCK_A_PREG_MULT"),
    dsp_setup_alu_preg=_est(1.40, f"{_DS191} table 'DSP48E1 Switching Characteristics', "
                                  f"TDSPDCK_C_PREG"),
    dsp_setup_ctrl=_est(0.60, f"{_DS191} table 'DSP48E1 Switching Characteristics', "
                              f"TDSPDCK_OPMODE/CE"),
    dsp_comb=_est(3.90, f"{_DS191} table 'DSP48E1 Switching Characteristics', "
                        f"TDSPDO_A_P_MULT"),
)

# Zynq UltraScale+ -2 (ZCU104, KV260): DS925, "Zynq UltraScale+ MPSoC Data Sheet: DC and AC
# Switching Characteristics". DS925 publishes Fmax tables for block RAM and DSP and no CLB
# delays; the CLB values are Vivado-typical -2 figures, marked as estimates.
_DS925 = "DS925 (Zynq UltraScale+ MPSoC, -2, VCCINT 0.85 V)"
XCUP_2 = DelayTable(
    family="xcup", speed_grade="-2", data_sheet=_DS925,
    ff_clk_to_q=Delay(0.10, "estimate: Vivado-typical FDRE C->Q on UltraScale+ -2 "
                            "(DS925 gives no CLB delays)", True),
    ff_setup_d=Delay(0.05, "estimate: Vivado-typical FDRE setup on UltraScale+ -2", True),
    ff_setup_ce=Delay(0.15, "estimate: Vivado-typical FDRE CE setup on UltraScale+ -2", True),
    ff_setup_sr=Delay(0.25, "estimate: Vivado-typical FDRE R setup on UltraScale+ -2", True),
    lut=Delay(0.10, "estimate: Vivado-typical LUT6 propagation on UltraScale+ -2", True),
    net=Delay(0.30, _NETUP, True),
    muxf=Delay(0.15, "estimate: Vivado-typical MUXF7 on UltraScale+ -2", True),
    carry_in=Delay(0.30, "estimate: Vivado-typical CARRY8 S->CO7 on UltraScale+ -2", True),
    carry_through=Delay(0.05, "estimate: Vivado-typical CARRY8 CI->CO7 on UltraScale+ -2",
                        True),
    carry_out=Delay(0.15, "estimate: Vivado-typical CARRY8 CI->O on UltraScale+ -2", True),
    bram_clk_to_out=_est(1.35, f"{_DS925} table 'Block RAM and FIFO Switching "
                               f"Characteristics', TRCKO_DO"),
    bram_clk_to_out_reg=_est(0.35, f"{_DS925} table 'Block RAM and FIFO Switching "
                                   f"Characteristics', TRCKO_DO_REG"),
    bram_setup=_est(0.45, f"{_DS925} table 'Block RAM and FIFO Switching Characteristics', "
                          f"TRCCK_ADDR"),
    dsp_clk_to_p=_est(0.30, f"{_DS925} table 'DSP48 Slice Switching Characteristics' "
                            f"(FMAX 775 MHz with all registers)"),
    dsp_clk_to_p_mreg=_est(1.10, f"{_DS925} table 'DSP48 Slice Switching Characteristics' "
                                 f"(FMAX_MULT_NOMREG 544 MHz)"),
    dsp_clk_to_p_inreg=_est(2.30, f"{_DS925} table 'DSP48 Slice Switching Characteristics' "
                                  f"(FMAX_NOPIPELINEREG 410 MHz)"),
    dsp_setup_inreg=_est(0.25, f"{_DS925} table 'DSP48 Slice Switching Characteristics'"),
    dsp_setup_mreg=_est(1.60, f"{_DS925} table 'DSP48 Slice Switching Characteristics'"),
    dsp_setup_mult_preg=_est(2.40, f"{_DS925} table 'DSP48 Slice Switching "
                                   f"Characteristics' (FMAX_NOPIPELINEREG 410 MHz)"),
    dsp_setup_alu_preg=_est(0.90, f"{_DS925} table 'DSP48 Slice Switching Characteristics'"),
    dsp_setup_ctrl=_est(0.45, f"{_DS925} table 'DSP48 Slice Switching Characteristics'"),
    dsp_comb=_est(2.60, f"{_DS925} table 'DSP48 Slice Switching Characteristics'"),
)

DELAY_TABLES: dict[str, DelayTable] = {"xc7": XC7_2, "xcup": XCUP_2}


@dataclass(frozen=True)
class TimingRule:
    """The pipelining target: per stage at most ``max_levels`` logic levels and one carry
    chain of at most ``max_carry_bits`` bits, at ``target_mhz``."""

    target_mhz: float = 200.0
    max_levels: int = 6
    max_carry_bits: int = 48
    max_carry_chains: int = 1


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class PathEnd:
    """A start or end cell: instance path, primitive, RTL name (a flip-flop's register net, else
    the pin and its net), and the RTL line yosys kept."""

    cell: str
    type: str
    rtl: str
    src: str
    instance: str = ""  # instance path of the module holding the cell

    def __str__(self) -> str:
        where = f" ({self.src})" if self.src else ""
        if self.type in _FFS:
            return f"{self.rtl or self.cell} [{self.type}]{where}"
        inst = f"{self.instance}/" if self.instance else ""
        return f"{inst}{self.type}.{self.rtl}{where}"


@dataclass(frozen=True)
class StagePath:
    """One register-to-register path."""

    delay_ns: float
    levels: int
    carry_bits: int
    carry_chains: int
    start: PathEnd
    end: PathEnd
    cells: tuple[str, ...]  # primitive types along the path, start to end


@dataclass(frozen=True)
class StageTiming:
    """The worst path into one stage's registers and the stage's maxima over all its paths."""

    stage: str
    endpoints: int
    worst: StagePath
    max_levels: int
    max_carry_bits: int
    max_carry_chains: int
    rule: TimingRule

    @property
    def fmax_mhz(self) -> float:
        return 1000.0 / self.worst.delay_ns if self.worst.delay_ns > 0 else math.inf

    @property
    def passes(self) -> bool:
        r = self.rule
        return (self.max_levels <= r.max_levels and self.max_carry_bits <= r.max_carry_bits
                and self.max_carry_chains <= r.max_carry_chains)

    @property
    def meets_target(self) -> bool:
        return self.fmax_mhz >= self.rule.target_mhz


@dataclass(frozen=True)
class TimingReport:
    top: str
    table: DelayTable
    rule: TimingRule
    stages: tuple[StageTiming, ...]

    @property
    def fmax_mhz(self) -> float:
        return min((s.fmax_mhz for s in self.stages), default=math.inf)

    @property
    def passes(self) -> bool:
        return all(s.passes for s in self.stages)

    def as_dict(self) -> dict:
        return {
            "top": self.top, "family": self.table.family, "speed_grade": self.table.speed_grade,
            "data_sheet": self.table.data_sheet, "target_mhz": self.rule.target_mhz,
            "fmax_mhz": round(self.fmax_mhz, 1), "passes": self.passes,
            "rule": vars(self.rule),
            "delays": {k: {"ns": d.ns, "source": d.source, "estimate": d.estimate}
                       for k, d in self.table.items()},
            "stages": [{
                "stage": s.stage, "endpoints": s.endpoints, "passes": s.passes,
                "max_levels": s.max_levels, "max_carry_bits": s.max_carry_bits,
                "max_carry_chains": s.max_carry_chains, "fmax_mhz": round(s.fmax_mhz, 1),
                "worst": {"delay_ns": round(s.worst.delay_ns, 3), "levels": s.worst.levels,
                          "carry_bits": s.worst.carry_bits,
                          "carry_chains": s.worst.carry_chains,
                          "start": vars(s.worst.start), "end": vars(s.worst.end),
                          "cells": list(s.worst.cells)},
            } for s in self.stages],
        }


# ---------------------------------------------------------------- cell models

_LUTS = {"LUT1", "LUT2", "LUT3", "LUT4", "LUT5", "LUT6", "LUT6_2", "INV"}
_MUXF = {"MUXF7", "MUXF8", "MUXF9"}
_CARRY = {"CARRY4": 4, "CARRY8": 8}
_FFS = {"FDRE", "FDSE", "FDCE", "FDPE", "FDRE_1", "FDSE_1", "FDCE_1", "FDPE_1"}
_BRAMS = {"RAMB18E1", "RAMB36E1", "RAMB18E2", "RAMB36E2", "FIFO18E1", "FIFO36E1", "FIFO18E2",
          "FIFO36E2"}
_DSPS = {"DSP48E1", "DSP48E2"}
# LUT-based memories: read address -> data is one LUT level; data, enables and writes are
# clocked (an SRL16E's D reaches Q only through its clocked shift register)
_LUTRAM_READ_ADDR = re.compile(r"^(A\d*|DPRA\d*|ADDR[A-H])$")
_LUTRAMS = {"SRL16E", "SRLC16E", "SRLC32E", "RAM32X1S", "RAM32X1D", "RAM32M", "RAM32M16",
            "RAM64X1S", "RAM64X1D", "RAM64M", "RAM64M8", "RAM128X1S", "RAM128X1D",
            "RAM256X1S", "RAM256X1D", "RAM512X1S"}
_IGNORED = {"IBUF", "IBUFG", "OBUF", "OBUFT", "IOBUF", "BUFG", "BUFGCTRL", "BUFHCE", "GND",
            "VCC"}


def _is_clock_pin(pin: str) -> bool:
    return pin in ("C", "WCLK", "RDCLK", "WRCLK") or pin.startswith("CLK")


def _param(cell: Mapping, name: str, default: int = 0) -> int:
    v = cell.get("parameters", {}).get(name)
    if v is None:
        return default
    if isinstance(v, int):
        return v
    s = str(v).strip()
    return int(s, 2) if s and set(s) <= {"0", "1"} else default


def _param_str(cell: Mapping, name: str, default: str = "") -> str:
    v = cell.get("parameters", {}).get(name, default)
    return str(v).strip()


def _pin_bits(cell: Mapping, pin: str) -> list:
    return list(cell["connections"].get(pin, []))


def _dsp_input_setup(cell: Mapping, pin: str, t: DelayTable) -> Delay | None:
    """Setup of a DSP48 input pin, or None when the pin reaches the outputs unregistered."""
    mult = _param_str(cell, "USE_MULT", "MULTIPLY") != "NONE"
    mreg, preg = _param(cell, "MREG", 1), _param(cell, "PREG", 1)
    base = pin.split("[")[0]
    reg = {"A": "AREG", "ACIN": "AREG", "B": "BREG", "BCIN": "BREG", "C": "CREG",
           "D": "DREG"}.get(base)
    if reg is not None:
        if _param(cell, reg, 1):
            return t.dsp_setup_inreg
        if base in ("C",) or not mult:
            return t.dsp_setup_alu_preg if preg else None
        if mreg:
            return t.dsp_setup_mreg
        return t.dsp_setup_mult_preg if preg else None
    if base in ("PCIN", "CARRYCASCIN", "MULTSIGNIN"):
        return t.dsp_setup_alu_preg if preg else None
    return t.dsp_setup_ctrl


def _dsp_clock_to_out(cell: Mapping, t: DelayTable) -> Delay | None:
    """Clock-to-out of a DSP48's outputs, or None when no register feeds them."""
    if _param(cell, "PREG", 1):
        return t.dsp_clk_to_p
    if _param(cell, "MREG", 1):
        return t.dsp_clk_to_p_mreg
    if _param(cell, "AREG", 1) or _param(cell, "BREG", 1):
        return t.dsp_clk_to_p_inreg
    return None


# ---------------------------------------------------------------- flattening


@dataclass
class _Cell:
    path: str  # instance path, '/'-separated
    module: str  # RTL module holding the cell
    name: str
    type: str
    data: Mapping
    conn: dict[str, list]  # pin -> global bit ids (None for constants)
    dirs: Mapping[str, str]


def is_blackbox(module: Mapping) -> bool:
    """A library cell (yosys marks them ``blackbox``) rather than a module of the design."""
    return bool(_param({"parameters": module.get("attributes", {})}, "blackbox"))


def module_stage(module: str) -> str:
    """The RTL name of a (possibly parameterised) yosys module: ``$paramod$..\\frac_tile`` ->
    ``frac_tile``, ``$paramod\\frac_axi_reader\\ADDR_W=..`` -> ``frac_axi_reader``."""
    m = module.lstrip("\\")
    if m.startswith("$paramod"):
        parts = m.split("\\")
        return parts[1] if len(parts) > 1 else m
    return m


def _flatten(modules: Mapping[str, Mapping], top: str):
    """Every primitive cell of ``top`` with global bit ids, and a name for every global bit."""
    cells: list[_Cell] = []
    names: dict[int, dict[str, str]] = defaultdict(dict)  # bit -> instance path -> net name
    counter = [0]

    def fresh() -> int:
        counter[0] += 1
        return counter[0]

    def walk(mod_name: str, path: str, portmap: dict[int, int | None]) -> None:
        mod = modules[mod_name]
        local: dict = dict(portmap)

        def gid(bit):
            if not isinstance(bit, int):
                return None  # constant "0", "1", "x", "z"
            if bit not in local:
                local[bit] = fresh()
            return local[bit]

        for net, info in sorted(mod.get("netnames", {}).items(),
                key=lambda kv: (kv[1].get("hide_name", 0), kv[0])):
            bits = info.get("bits", [])
            for i, b in enumerate(bits):
                g = gid(b)
                if g is not None:
                    label = net if len(bits) == 1 else f"{net}[{i}]"
                    names[g].setdefault(path, label)
        for cname, cell in mod.get("cells", {}).items():
            ctype = cell["type"]
            if ctype in modules and not is_blackbox(modules[ctype]):
                sub = modules[ctype]
                sub_map: dict[int, int | None] = {}
                for pin, bits in cell["connections"].items():
                    port = sub.get("ports", {}).get(pin)
                    if port is None:
                        continue
                    for pb, b in zip(port["bits"], bits):
                        if isinstance(pb, int):
                            g = gid(b)
                            sub_map[pb] = g if g is not None else fresh()
                walk(ctype, f"{path}/{cname}" if path else cname, sub_map)
                continue
            conn = {pin: [gid(b) for b in bits] for pin, bits in cell["connections"].items()}
            cells.append(_Cell(path, module_stage(mod_name), cname, ctype, cell, conn,
                               cell.get("port_directions", {})))

    top_mod = modules[top]
    top_map: dict[int, int | None] = {}
    for port in top_mod.get("ports", {}).values():
        for b in port["bits"]:
            if isinstance(b, int):
                top_map[b] = fresh()
    walk(top, "", top_map)
    return cells, names


# ---------------------------------------------------------------- the walk


@dataclass
class _Arc:
    src: int
    dst: int
    delay: float
    levels: int
    bits: int
    chains: int
    cell: int  # index into cells


@dataclass
class _Arrival:
    delay: float = -math.inf
    d_pred: object = None  # (arc) or ("start", cell index)
    d_levels: int = 0
    d_bits: int = 0
    d_chains: int = 0
    levels: int = -1
    bits: int = -1
    chains: int = -1


def _pins(c: _Cell, direction: str) -> list[tuple[str, int]]:
    """(pin label, global bit) of a cell's connected pins in one direction."""
    out = []
    for p, bits in c.conn.items():
        if c.dirs.get(p) == direction:
            out += [(p if len(bits) == 1 else f"{p}[{k}]", b) for k, b in enumerate(bits)
                    if b is not None]
    return out


def _arcs_of(i: int, c: _Cell, t: DelayTable):
    """Combinational arcs, start points (bit, clock-to-out, pin) and end points (bit, setup,
    pin) of one cell."""
    arcs: list[_Arc] = []
    starts: list[tuple[int, float, str]] = []
    ends: list[tuple[int, float, str]] = []
    ins, outs = _pins(c, "input"), _pins(c, "output")
    ty = c.type
    if ty in _LUTS or ty in _MUXF:
        d = (t.lut if ty in _LUTS else t.muxf).ns
        arcs += [_Arc(b_in, b_out, t.net.ns + d, 1, 0, 0, i) for _, b_in in ins
                 for _, b_out in outs]
    elif ty in _CARRY:
        width = _CARRY[ty]

        def bit_at(pin: str, k: int):
            bits = c.conn.get(pin, [])
            return bits[k] if k < len(bits) else None

        for m in range(width):
            for out_pin in ("O", "CO"):
                dst = bit_at(out_pin, m)
                if dst is None:
                    continue
                for pin in ("CI", "CYINIT", "CI_TOP"):
                    src = bit_at(pin, 0)
                    if src is None or (pin == "CI_TOP" and m < 4):
                        continue
                    k = 4 if pin == "CI_TOP" else 0
                    if pin == "CI":
                        through = out_pin == "CO" and m == width - 1
                        d = (t.carry_through if through else t.carry_out).ns
                        arcs.append(_Arc(src, dst, d, 0, m - k + 1, 0, i))
                    else:
                        arcs.append(_Arc(src, dst, t.net.ns + t.carry_in.ns, 0, m - k + 1, 1, i))
                for k in range(m + 1):
                    for pin in ("S", "DI"):
                        src = bit_at(pin, k)
                        # DI[k] feeds CO[k] and the carries above it, not O[k]
                        if src is None or (pin == "DI" and out_pin == "O" and k == m):
                            continue
                        arcs.append(_Arc(src, dst, t.net.ns + t.carry_in.ns, 0, m - k + 1, 1, i))
    elif ty in _FFS:
        setup = {"D": t.ff_setup_d, "CE": t.ff_setup_ce}
        for p, b in ins:
            if not _is_clock_pin(p):
                ends.append((b, (setup.get(p) or t.ff_setup_sr).ns, p))
        starts += [(b, t.ff_clk_to_q.ns, p) for p, b in outs]
    elif ty in _BRAMS:
        ends += [(b, t.bram_setup.ns, p) for p, b in ins if not _is_clock_pin(p)]
        for p, b in outs:
            port_b = p.startswith(("DOB", "DOPB", "DOUTB", "DOUTPB"))
            reg = _param(c.data, "DOB_REG" if port_b else "DOA_REG")
            starts.append((b, (t.bram_clk_to_out_reg if reg else t.bram_clk_to_out).ns, p))
    elif ty in _DSPS:
        cko = _dsp_clock_to_out(c.data, t)
        for p, b in ins:
            if _is_clock_pin(p):
                continue
            setup = _dsp_input_setup(c.data, p, t)
            if setup is not None:
                ends.append((b, setup.ns, p))
            else:
                arcs += [_Arc(b, b_out, t.net.ns + t.dsp_comb.ns, 0, 0, 0, i) for _, b_out in outs]
        if cko is not None:
            starts += [(b, cko.ns, p) for p, b in outs]
    elif ty in _LUTRAMS:
        for p, b in ins:
            if _is_clock_pin(p):
                continue
            ends.append((b, t.ff_setup_d.ns, p))
            if _LUTRAM_READ_ADDR.match(p):
                arcs += [_Arc(b, b_out, t.net.ns + t.lut.ns, 1, 0, 0, i) for _, b_out in outs]
        starts += [(b, t.ff_clk_to_q.ns + t.lut.ns, p) for p, b in outs]
    elif ty in _IGNORED:
        pass
    else:
        raise TimingError(f"cell {c.path + '/' if c.path else ''}{c.name} has type {ty!r}, "
                          f"which codegen/timing.py has no timing model for; add it there")
    return arcs, starts, ends


def _src(cell: _Cell) -> str:
    """The RTL file:line yosys recorded for a cell (techmap library lines skipped)."""
    parts = str(cell.data.get("attributes", {}).get("src", "")).split("|")
    for part in parts:
        m = re.match(r"(.*?):(\d+)", part)
        if m and not m.group(1).startswith("/"):
            return f"{m.group(1)}:{m.group(2)}"
    return ""


def _net_name(names: Mapping[int, Mapping[str, str]], bit: int | None, path: str) -> str:
    """A net's name, preferring a public name inside ``path`` (the cell's own module)."""
    if bit is None or bit not in names:
        return ""
    by_path = names[bit]
    order = sorted(by_path, key=lambda p: (p != path, p.count("/"), p))
    public = [p for p in order if not by_path[p].startswith("$")]
    p = (public or order)[0]
    return f"{p}/{by_path[p]}" if p else by_path[p]


def _path_end(cell: _Cell, bit: int, pin: str,
              names: Mapping[int, Mapping[str, str]]) -> PathEnd:
    full = f"{cell.path}/{cell.name}" if cell.path else cell.name
    if cell.type in _FFS:
        rtl = _net_name(names, next((b for b in cell.conn.get("Q", []) if b is not None), None),
                        cell.path)
    else:
        net = _net_name(names, bit, cell.path)
        rtl = f"{pin} = {net}" if net and "$" not in net.rsplit("/", 1)[-1] else pin
    return PathEnd(full, cell.type, rtl, _src(cell), cell.path)


def analyze(netlist: Mapping, table: DelayTable, rule: TimingRule = TimingRule(),
            top: str | None = None) -> TimingReport:
    """Time every register-to-register path of a yosys JSON netlist; one result per stage."""
    modules = netlist.get("modules", {})
    if top is None:
        tops = [n for n, m in modules.items()
                if _param({"parameters": m.get("attributes", {})}, "top")]
        if len(tops) != 1:
            raise TimingError("the netlist names no single top module; pass top=")
        top = tops[0]
    if top not in modules:
        raise TimingError(f"module {top!r} is not in the netlist")
    cells, names = _flatten(modules, top)
    succ: dict[int, list[_Arc]] = defaultdict(list)
    indeg: dict[int, int] = defaultdict(int)
    start_of: dict[int, tuple[int, float, str]] = {}
    ends: list[tuple[int, int, float, str]] = []  # (cell index, bit, setup, pin)
    for i, c in enumerate(cells):
        arcs, starts, cell_ends = _arcs_of(i, c, table)
        for a in arcs:
            succ[a.src].append(a)
            indeg[a.dst] += 1
        for b, cko, pin in starts:
            start_of[b] = (i, cko, pin)
        ends += [(i, b, s, pin) for b, s, pin in cell_ends]
    arr: dict[int, _Arrival] = defaultdict(_Arrival)
    for b, (i, cko, pin) in start_of.items():
        a = arr[b]
        a.delay, a.d_pred, a.levels, a.bits, a.chains = cko, ("start", i, pin), 0, 0, 0
    # Kahn's order over the nets that combinational arcs connect
    nodes = set(succ) | set(indeg)
    queue = deque(sorted(n for n in nodes if indeg[n] == 0))
    seen = 0
    while queue:
        u = queue.popleft()
        seen += 1
        au = arr.get(u)
        for arc in succ.get(u, ()):
            if au is not None and au.levels >= 0:
                av = arr[arc.dst]
                d = au.delay + arc.delay
                if d > av.delay:
                    av.delay, av.d_pred = d, arc
                    av.d_levels, av.d_bits = au.d_levels + arc.levels, au.d_bits + arc.bits
                    av.d_chains = au.d_chains + arc.chains
                av.levels = max(av.levels, au.levels + arc.levels)
                av.bits = max(av.bits, au.bits + arc.bits)
                av.chains = max(av.chains, au.chains + arc.chains)
            indeg[arc.dst] -= 1
            if indeg[arc.dst] == 0:
                queue.append(arc.dst)
    if seen < len(nodes):
        stuck = sorted(n for n in nodes if indeg[n] > 0)[:3]
        raise TimingError("combinational loop through " +
                          ", ".join(_net_name(names, n, "") or f"net {n}" for n in stuck) +
                          "; break it with a register")
    by_stage: dict[str, list[tuple[int, int, float, str]]] = defaultdict(list)
    for e in ends:
        a = arr.get(e[1])
        if a is not None and a.levels >= 0:
            by_stage[cells[e[0]].module].append(e)
    stages = []
    for stage, stage_ends in sorted(by_stage.items()):
        def total(e):
            return arr[e[1]].delay + table.net.ns + e[2]
        i, b, setup, pin = max(stage_ends, key=lambda e: (total(e), cells[e[0]].path, e[3]))
        a = arr[b]
        types, start, node = [], None, b
        while True:
            p = arr[node].d_pred
            if isinstance(p, tuple):
                start = _path_end(cells[p[1]], node, p[2], names)
                types.append(cells[p[1]].type)
                break
            types.append(cells[p.cell].type)
            node = p.src
        worst = StagePath(total((i, b, setup, pin)), a.d_levels, a.d_bits, a.d_chains, start,
                          _path_end(cells[i], b, pin, names),
                          tuple(reversed(types)) + (cells[i].type,))
        stages.append(StageTiming(
            stage, len({(cells[e[0]].path, cells[e[0]].name) for e in stage_ends}), worst,
            max(arr[e[1]].levels for e in stage_ends), max(arr[e[1]].bits for e in stage_ends),
            max(arr[e[1]].chains for e in stage_ends), rule))
    return TimingReport(top, table, rule, tuple(stages))
