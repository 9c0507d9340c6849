"""Reading Vitis HLS reports back (codegen/hls_report.py) on small hand-written samples in the
form Vitis HLS 2022.1 writes them; the real reports are read under --run-vitis."""

from __future__ import annotations

from pathlib import Path

import pytest

from codegen.hls_report import ReportError, read_cosim, read_csynth

TOP_XML = """<?xml version="1.0" encoding="UTF-8"?>
<profile>
  <ReportVersion><Version>2022.1</Version></ReportVersion>
  <UserAssignments>
    <unit>ns</unit><ProductFamily>zynq</ProductFamily><Part>xc7z045-ffg900-2</Part>
    <TopModelName>frac_array_top</TopModelName><TargetClockPeriod>5.00</TargetClockPeriod>
    <ClockUncertainty>1.35</ClockUncertainty><FlowTarget>vivado</FlowTarget>
  </UserAssignments>
  <PerformanceEstimates>
    <SummaryOfTimingAnalysis><unit>ns</unit><EstimatedClockPeriod>4.380</EstimatedClockPeriod>
    </SummaryOfTimingAnalysis>
    <SummaryOfOverallLatency>
      <unit>clock cycles</unit><Best-caseLatency>3</Best-caseLatency>
      <Average-caseLatency>undef</Average-caseLatency><Worst-caseLatency>undef</Worst-caseLatency>
      <Interval-min>4</Interval-min><Interval-max>undef</Interval-max>
    </SummaryOfOverallLatency>
    <SummaryOfLoopLatency>
      <VITIS_LOOP_62_1>
        <Name>VITIS_LOOP_62_1</Name><TripCount><range><min>1</min><max>256</max></range></TripCount>
        <Latency>undef</Latency><IterationLatency>undef</IterationLatency>
      </VITIS_LOOP_62_1>
    </SummaryOfLoopLatency>
  </PerformanceEstimates>
</profile>
"""

EXECUTE_XML = """<?xml version="1.0" encoding="UTF-8"?>
<profile>
  <ReportVersion><Version>2022.1</Version></ReportVersion>
  <PerformanceEstimates>
    <SummaryOfLoopLatency>
      <VITIS_LOOP_126_3>
        <Name>VITIS_LOOP_126_3</Name><TripCount>4096</TripCount><Latency>4100</Latency>
        <PipelineII>1</PipelineII><PipelineDepth>5</PipelineDepth>
      </VITIS_LOOP_126_3>
      <VITIS_LOOP_44_1>
        <Name>VITIS_LOOP_44_1</Name><TripCount>256</TripCount><Latency>258</Latency>
        <PipelineII>2</PipelineII><PipelineDepth>3</PipelineDepth>
      </VITIS_LOOP_44_1>
    </SummaryOfLoopLatency>
  </PerformanceEstimates>
</profile>
"""

COSIM_RPT = """================================================================
== Vitis HLS Report for 'frac_array_top'
================================================================
+ General Information:
    * Version:        2022.1 (Build 3526262 on Mon Apr 18 15:47:01 MDT 2022)
    * Project:        hls_prj
    * Solution:       solution1 (Vivado IP Flow Target)

+----------+----------+-----------------------------------------------+-----------------------------------------------+----------------------+
|          |          |             Latency(Clock Cycles)             |              Interval(Clock Cycles)           | Total Execution Time |
+   RTL    +  Status  +-----------------------------------------------+-----------------------------------------------+    (Clock Cycles)    +
|          |          |      min      |      avg      |      max      |      min      |      avg      |      max      |                      |
+----------+----------+-----------------------------------------------+-----------------------------------------------+----------------------+
|      VHDL|        NA|             NA|             NA|             NA|             NA|             NA|             NA|                    NA|
|   Verilog|      Pass|           1203|           4411|          10922|           1204|           4412|          10923|                 17646|
+----------+----------+-----------------------------------------------+-----------------------------------------------+----------------------+
"""


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    (tmp_path / "frac_array_top_csynth.xml").write_text(TOP_XML)
    (tmp_path / "execute_frac_config_s_csynth.xml").write_text(EXECUTE_XML)
    (tmp_path / "frac_array_top_cosim.rpt").write_text(COSIM_RPT)
    return tmp_path


def test_csynth_summary_and_loops(reports):
    r = read_csynth(reports, "frac_array_top")
    assert (r.top, r.version, r.clock_ns, r.estimated_clock_ns) == (
        "frac_array_top", "2022.1", 5.0, 4.38)
    assert (r.latency_best, r.latency_worst) == (3, None)  # "undef" is not a number
    got = {(lp.function, lp.name): (lp.ii, lp.depth, lp.trip_count) for lp in r.loops}
    assert got == {
        ("execute_frac_config_s", "VITIS_LOOP_126_3"): (1, 5, "4096"),
        ("execute_frac_config_s", "VITIS_LOOP_44_1"): (2, 3, "256"),
        ("frac_array_top", "VITIS_LOOP_62_1"): (None, None, "1 ~ 256"),
    }
    assert [lp.name for lp in r.pipelined()] == ["VITIS_LOOP_126_3", "VITIS_LOOP_44_1"]


def test_cosim_latency_row(reports):
    r = read_cosim(reports / "frac_array_top_cosim.rpt")
    assert (r.status, r.latency_min, r.latency_avg, r.latency_max) == ("Pass", 1203, 4411, 10922)


def test_missing_or_foreign_reports_are_named(tmp_path):
    with pytest.raises(ReportError, match=r"^no frac_array_top_csynth\.xml in .*; run csynth"):
        read_csynth(tmp_path, "frac_array_top")
    (tmp_path / "frac_array_top_csynth.xml").write_text("<profile><x/></profile>")
    with pytest.raises(ReportError, match=r"has no PerformanceEstimates"):
        read_csynth(tmp_path, "frac_array_top")
    (tmp_path / "frac_array_top_csynth.xml").write_text("not xml")
    with pytest.raises(ReportError, match=r"is not a readable csynth XML report"):
        read_csynth(tmp_path, "frac_array_top")
    (tmp_path / "c.rpt").write_text("== Vitis HLS Report\n| VHDL| NA| NA|\n")
    with pytest.raises(ReportError, match=r"has no Verilog latency row"):
        read_cosim(tmp_path / "c.rpt")
    with pytest.raises(ReportError, match=r"^no co-simulation report "):
        read_cosim(tmp_path / "none.rpt")
