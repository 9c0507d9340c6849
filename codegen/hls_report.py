"""Vitis HLS reports of a generated project, read back: csynth loops and latency, cosim cycles.

``read_csynth`` reads every ``*_csynth.xml`` of a solution (one per synthesized function):
the top's latency summary and, per pipelined loop, the achieved II, its pipeline depth and
trip count, which the HLS cycle model (``fpga_model.hls_cycles``) assumes. ``read_cosim``
reads the C/RTL co-simulation report: the latency of the kernel's calls (one per job of the
testbench) in clock cycles. Both raise ``ReportError`` naming the file when it is not a report.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from .errors import ProjectError

__all__ = ["LoopReport", "CsynthReport", "CosimReport", "ReportError", "read_csynth",
           "read_cosim", "solution_dir"]


class ReportError(ProjectError):
    """A Vitis HLS report is missing or not in the expected form."""


@dataclass(frozen=True)
class LoopReport:
    function: str
    name: str
    ii: int | None  # achieved initiation interval (None: not pipelined)
    depth: int | None  # pipeline depth (iteration latency)
    trip_count: str  # as reported ("", a number or "min ~ max")


@dataclass(frozen=True)
class CsynthReport:
    top: str
    version: str
    clock_ns: float  # target
    estimated_clock_ns: float
    latency_best: int | None  # cycles; None where Vitis reports "undef"
    latency_worst: int | None
    loops: tuple[LoopReport, ...]

    def pipelined(self) -> list[LoopReport]:
        return [lp for lp in self.loops if lp.ii is not None]


@dataclass(frozen=True)
class CosimReport:
    status: str  # "Pass" or what the report says
    latency_min: int
    latency_avg: int
    latency_max: int


def solution_dir(project_root: Path) -> Path:
    """The Vitis HLS solution of a generated project (tcl/build_prj.tcl's layout)."""
    return Path(project_root) / "hls_prj" / "solution1"


def _int(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() else None


def _parse_xml(path: Path) -> ET.Element:
    try:
        return ET.parse(path).getroot()
    except (ET.ParseError, OSError) as exc:
        raise ReportError(f"{path} is not a readable csynth XML report ({exc}); rerun "
                          f"'sh tcl/build_hls.sh synth=1'") from None


def _loops(root: ET.Element, function: str) -> list[LoopReport]:
    out = []
    summary = root.find("PerformanceEstimates/SummaryOfLoopLatency")
    if summary is None:
        return out
    for loop in summary.iter():
        if loop is summary or loop.find("PipelineII") is None and loop.find("Latency") is None:
            continue
        name = loop.findtext("Name") or loop.tag
        trip = loop.find("TripCount")
        if trip is not None and trip.find("range") is not None:
            lo, hi = trip.findtext("range/min", ""), trip.findtext("range/max", "")
            count = f"{lo.strip()} ~ {hi.strip()}"
        else:
            count = (loop.findtext("TripCount") or "").strip()
        out.append(LoopReport(function, name, _int(loop.findtext("PipelineII")),
                              _int(loop.findtext("PipelineDepth")), count))
    return out


def read_csynth(report_dir: Path, top: str) -> CsynthReport:
    """The top function's ``<top>_csynth.xml`` and the loops of every function's report."""
    report_dir = Path(report_dir)
    top_xml = report_dir / f"{top}_csynth.xml"
    if not top_xml.is_file():
        raise ReportError(f"no {top_xml.name} in {report_dir}; run csynth first "
                          f"('sh tcl/build_hls.sh synth=1')")
    root = _parse_xml(top_xml)
    perf = root.find("PerformanceEstimates")
    if perf is None:
        raise ReportError(f"{top_xml} has no PerformanceEstimates; is it a csynth report?")
    loops = []
    for xml in sorted(report_dir.glob("*_csynth.xml")):
        function = xml.name[:-len("_csynth.xml")]
        loops += _loops(root if xml == top_xml else _parse_xml(xml), function)
    lat = perf.find("SummaryOfOverallLatency")
    return CsynthReport(
        top=root.findtext("UserAssignments/TopModelName", top).strip(),
        version=root.findtext("ReportVersion/Version", "").strip(),
        clock_ns=float(root.findtext("UserAssignments/TargetClockPeriod", "nan")),
        estimated_clock_ns=float(perf.findtext("SummaryOfTimingAnalysis/EstimatedClockPeriod",
                                               "nan")),
        latency_best=_int(lat.findtext("Best-caseLatency")) if lat is not None else None,
        latency_worst=_int(lat.findtext("Worst-caseLatency")) if lat is not None else None,
        loops=tuple(loops))


_COSIM_ROW = re.compile(r"^\|\s*Verilog\s*\|\s*(\w+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|")


def read_cosim(path: Path) -> CosimReport:
    """The Verilog row of ``<top>_cosim.rpt``: status and min/avg/max latency in cycles."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError:
        raise ReportError(f"no co-simulation report {path}; run 'sh tcl/build_hls.sh "
                          f"cosim=1'") from None
    for line in text.splitlines():
        m = _COSIM_ROW.match(line.strip())
        if m:
            status, lo, avg, hi = m.groups()
            return CosimReport(status, int(lo), int(avg), int(hi))
    raise ReportError(f"{path} has no Verilog latency row; did the co-simulation run?")
