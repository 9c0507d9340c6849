"""``fracfpga perf``: one pass on the RTL with the memory-port model, JSON out, exit codes."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from codegen import rtlsim
from codegen.perf import PerfRequest, perf_image, port_duty
from codegen.project import file_sha256
from codegen.render import render_project
from fpga_model import ArrayConfig
from fpga_model.wall import memory_port

SMALL = dict(bits=(4, 8), tiles=(2, 2), max_k=64)


def fracfpga(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "host.cli", *args], capture_output=True,
                          text=True, check=False)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return render_project(ArrayConfig(**SMALL), tmp_path_factory.mktemp("perf") / "small")


@pytest.mark.parametrize("args, message", [
    (["--shape", "4,40"], r"--shape '4,40' is not 3 comma-separated integers; pass e\.g\. "
                          r"--shape 1024,144,16"),
    (["--pair", "4,6"], r"bit-width 6 is not in the supported set 4,8; regenerate with "
                        r"--bits 4,6,8"),
    (["--pass", "xx"], r"unknown pass 'xx'; pass --pass fw, eb or gc"),
    (["--sim", "xsim"], r"unknown simulator 'xsim'; pass --sim icarus or verilator"),
    (["--shape", "4,65,3"], r"K=65 exceeds the project's max K 64; pass a smaller K or "
                            r"regenerate with a larger --max-k"),
    (["--shape", "0,4,3"], r"shape 0,4,3 has an empty dimension; pass --shape M,K,N with each "
                           r"at least 1"),
    (["--stop-ring", "1"], r"early stop needs --tau \(or --tau-rel\) with --stop-ring or "
                           r"--prefix \(or none of them\)"),
    (["--tau", "9"], r"early stop needs --tau \(or --tau-rel\) with --stop-ring or --prefix "
                     r"\(or none of them\)"),
    (["--tau-rel", "9"], r"early stop needs --tau \(or --tau-rel\) with --stop-ring or "
                         r"--prefix \(or none of them\)"),
    (["--stop-ring", "1", "--tau", "9", "--tau-rel", "9"],
     r"--tau and --tau-rel both set the early-stop threshold; pass one of them"),
    (["--stop-ring", "1", "--tau-rel", "65537"],
     r"tau_rel 65537 is outside 0\.\.65536 \(beta \* 2\^16\); pass --tau-rel with "
     r"0 <= TAU_REL <= 65536"),
    (["--stop-ring", "4", "--tau", "9"], r"stop ring 4 is outside 0\.\.3 for the 4x8 pair"),
    (["--prefix", "1,2"], r"early stop needs --tau \(or --tau-rel\) with --stop-ring or "
                          r"--prefix \(or none of them\)"),
    (["--prefix", "2", "--tau", "9"], r"--prefix '2' is not 2 comma-separated integers; pass "
                                      r"e\.g\. --prefix 2,4"),
    (["--prefix", "a,b", "--tau", "9"], r"--prefix 'a,b' is not 2 comma-separated integers; "
                                        r"pass e\.g\. --prefix 2,4"),
    (["--prefix", "3,1", "--tau", "9"], r"prefix 3,1 is outside 1\.\.2 x 1\.\.4 digits for "
                                        r"the 4x8 pair; pass --prefix P,Q with 1 <= P <= 2 and "
                                        r"1 <= Q <= 4"),
    (["--prefix", "1,0", "--tau", "9"], r"prefix 1,0 is outside 1\.\.2 x 1\.\.4 digits for "
                                        r"the 4x8 pair; pass --prefix P,Q with 1 <= P <= 2 and "
                                        r"1 <= Q <= 4"),
    (["--prefix", "1,2", "--stop-ring", "0", "--tau", "9"],
     r"--stop-ring and --prefix both name the early-stop prefix; pass one of them"),
])
def test_bad_input_is_one_line_with_status_2(project, args, message):
    base = {"--shape": "4,40,3", "--pair": "4,8", "--sim": "icarus"}
    for flag, value in zip(args[::2], args[1::2]):
        base[flag] = value
    argv = [a for kv in base.items() for a in kv]
    r = fracfpga("perf", str(project.root), *argv)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert re.fullmatch(rf"error: {message}", r.stderr.strip()), r.stderr


def test_port_duty_is_the_sustained_share_of_the_bus():
    assert port_duty(memory_port(ArrayConfig())) == (3, 4)  # 6 of 8 bytes per cycle on HP0
    assert port_duty(memory_port(ArrayConfig(clock_mhz=100.0))) is None  # the bus caps it


def test_a_mismatch_exits_1_and_says_so(project, monkeypatch):
    import codegen.perf
    from host.cli import app

    def fake(proj, req, work):
        assert req == PerfRequest(4, 40, 3, 4, 8, "fw", None, None, "icarus", 0)
        return {"exact": False, "detail": "descriptor 0 C differs", "wall_cycles": 1}

    monkeypatch.setattr(codegen.perf, "run_perf", fake)
    r = CliRunner().invoke(app, ["perf", str(project.root), "--shape", "4,40,3", "--pair", "4,8",
                                 "--sim", "icarus"])
    assert r.exit_code == 1
    assert "mismatch: the RTL differs from the model: descriptor 0 C differs" in r.output


def test_the_prefix_reaches_the_descriptor(project, monkeypatch):
    import codegen.perf
    from host.cli import app

    seen = []
    monkeypatch.setattr(codegen.perf, "run_perf",
                        lambda proj, req, work: seen.append(req) or {"exact": True})
    r = CliRunner().invoke(app, ["perf", str(project.root), "--shape", "4,40,3", "--pair", "4,8",
                                 "--prefix", "1, 3", "--tau", "7", "--sim", "icarus"])
    assert r.exit_code == 0, r.output
    (req,) = seen
    assert req == PerfRequest(4, 40, 3, 4, 8, "fw", None, 7, "icarus", 0, (1, 3))
    (d,) = perf_image(project.cfg, req).descriptors
    assert d.prefix == (1, 3) and d.tau == 7 and d.stop_ring is None and d.early_stop


@pytest.mark.sim
def test_perf_on_icarus_counts_the_bus(project):
    if rtlsim.simulator_available("icarus"):
        pytest.skip(rtlsim.simulator_available("icarus"))
    r = fracfpga("perf", str(project.root), "--shape", "5,40,3", "--pair", "4,8", "--pass", "eb",
                 "--sim", "icarus", "--seed", "3")
    assert r.returncode == 0, r.stdout + r.stderr
    out = json.loads(r.stdout)
    assert out["exact"] is True and out["engine_cycles"] == out["model_engine_cycles"]
    assert out["wall_cycles"] > out["engine_cycles"] > 0
    # rows of 8-byte multiples and one K segment: the model's bytes are the bus's bytes
    assert out["axi_read_bytes"] + out["axi_write_bytes"] == out["model_dram_bytes"]
    assert out["port"] == "S_AXI_HP0" and out["port_bytes_per_cycle"] == 6.0
    assert out["compute_roof_cycles"] == 5 * 3 * 40 * 2 * 4 / (4 * 16)
    assert out["memory_roof_cycles"] > 0 and out["model_wall_cycles"] > 0


def _perf_on_icarus(project, *args: str) -> dict:
    """``fracfpga perf`` of a 6x40x5 pass on Icarus (skipped without it); its JSON report."""
    if rtlsim.simulator_available("icarus"):
        pytest.skip(rtlsim.simulator_available("icarus"))
    r = fracfpga("perf", str(project.root), "--shape", "6,40,5", "--sim", "icarus", *args)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout)


@pytest.mark.sim
def test_perf_with_an_asymmetric_prefix_is_exact(project):
    out = _perf_on_icarus(project, "--pair", "4,8", "--pass", "gc", "--prefix", "1,2", "--tau",
                          "200", "--seed", "1")
    assert out["exact"] is True and out["prefix"] == [1, 2] and out["tau"] == 200
    assert out["engine_cycles"] == out["model_engine_cycles"]


@pytest.mark.sim
def test_perf_with_a_relative_tau_is_exact(project):
    """--tau-rel: the RTL's two sweeps (the prefix sweep, then the pass) equal the model's
    image, engine cycles and bus bytes."""
    out = _perf_on_icarus(project, "--pair", "8,4", "--pass", "fw", "--stop-ring", "0",
                          "--tau-rel", "6000", "--seed", "2")
    assert out["exact"] is True and out["tau_rel"] == 6000 and out["tau"] is None
    assert out["engine_cycles"] == out["model_engine_cycles"]
    assert out["axi_read_bytes"] + out["axi_write_bytes"] == out["model_dram_bytes"]


def test_a_project_from_other_templates_is_refused(tmp_path):
    """A project whose RTL is not what this fracfpga renders (an earlier version's, with a
    consistent manifest) would be measured against another design: refused, one line."""
    proj = render_project(ArrayConfig(**SMALL), tmp_path / "old")
    walker = proj.root / "rtl" / "frac_walker.v"
    walker.write_text(walker.read_text() + "// an earlier walker\n")
    manifest = json.loads((proj.root / "manifest.json").read_text())
    manifest["files"]["rtl/frac_walker.v"] = file_sha256(walker)
    (proj.root / "manifest.json").write_text(json.dumps(manifest))
    r = fracfpga("perf", str(proj.root), "--shape", "4,40,3", "--pair", "4,8", "--sim", "icarus")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert re.fullmatch(r"error: .*/rtl is not what this fracfpga generates for its config "
                        r"\(rtl/frac_walker\.v differs, made by an earlier version\?\); .*"
                        r"regenerate it with 'fracfpga generate --bits 4,8 .*'",
                        r.stderr.strip()), r.stderr


@pytest.mark.sim
def test_reads_and_writes_share_the_port(tmp_path):
    """The board's sustained rate is for reads and writes together: frac_sim_mem serves one beat
    a serving cycle (3 of 4 on HP0), and the model's turns (``_Walk``'s contention, a fluid
    estimate) put the wall within 4% of the RTL's on the default array where the result
    stage's writes meet the operand reads (3.9% at most over the 21 cells of ``bench/rtl.py
    --targets``, the model short where the writer's window fills while the reader takes its
    turns); a model with a bus per direction is far shorter on GC (4,4)."""
    from dataclasses import replace

    from codegen.perf import run_perf
    from codegen.vectors import make_job
    from fpga_model.pipeline import board_port_timing, rtl_wall

    if rtlsim.simulator_available("verilator"):
        pytest.skip(rtlsim.simulator_available("verilator"))
    cfg = ArrayConfig()
    project = render_project(cfg, tmp_path / "zc706")
    port = board_port_timing(cfg, latency=False)
    assert port.share == 0.75
    for req in (PerfRequest(256, 144, 16, 4, 4, "fw"), PerfRequest(144, 256, 16, 4, 4, "gc")):
        out = run_perf(project, req, tmp_path / "perf")
        wall = out["wall_cycles"]
        assert out["exact"] is True
        beats = out["axi_read_bytes"] // 8 + -(-out["axi_write_bytes"] // 8)
        assert beats <= 0.75 * wall + 1, (beats, wall)
        assert abs(out["model_wall_cycles"] / wall - 1) <= 0.04, (req, out["model_wall_cycles"],
                                                                 wall)
    (d,) = make_job(cfg, "p", perf_image(cfg, req)).descriptors  # GC: the prefetch meets C
    apart = rtl_wall(cfg, [d], [None], port=replace(port, share=None)).wall_cycles
    assert apart < 0.95 * wall, (req, apart, wall)
