"""codegen.rtlsim and the rendered RTL: comparisons, the register map, lint, ``fracfpga verify``.

Tests without a marker need no simulator. ``sim`` tests lint the RTL with Verilator and Icarus
and run ``run_rtl_jobs`` and the verify command on Icarus (the cocotb tests of the array itself
are in tests/rtl/frac_array).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from codegen import rtlsim
from codegen._tools import tool, tool_env
from codegen.errors import ToolNotFound
from codegen.render import load_project, render_project, template_context, template_env
from codegen.vectors import standard_jobs
from boards.errors import UserError
from fpga_model import REGMAP, ArrayConfig, KERNEL_NAME
from fpga_model.compare import first_difference
from fpga_model.memory import mask_row_bytes, value_bytes
from fpga_model.wall import seg_chunks

SMALL = dict(bits=(3, 4, 8), tiles=(2, 2), max_k=48)
RTL_DIR = Path(__file__).resolve().parent.parent / "hls_templates" / "rtl"
RTL_TEMPLATES = sorted(p.name for p in RTL_DIR.glob("*.v.j2"))
RTL_INCLUDES = sorted(p.name for p in RTL_DIR.glob("*.vh.j2"))
RTL_STATIC = sorted(p.name for p in RTL_DIR.glob("*.v"))  # copied as they are


def render_rtl(cfg: ArrayConfig, out: Path) -> list[Path]:
    """Every module of the RTL (rendered templates, then the static files); the includes are
    rendered beside them."""
    env, ctx = template_env(), template_context(cfg)
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for name in RTL_TEMPLATES + RTL_INCLUDES:
        path = out / name[:-3]
        path.write_text(env.get_template(f"rtl/{name}").render(**ctx))
        if name in RTL_TEMPLATES:
            files.append(path)
    for name in RTL_STATIC:
        path = out / name
        shutil.copyfile(RTL_DIR / name, path)
        files.append(path)
    return files


def fracfpga(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "host.cli", *args], capture_output=True,
                          text=True, check=False)


@pytest.fixture(scope="module")
def small_project(tmp_path_factory):
    return render_project(ArrayConfig(**SMALL), tmp_path_factory.mktemp("rtl") / "small")


# ------------------------------------------------------------------------------ no simulator
def test_simulators_and_their_quirks_table():
    assert rtlsim.SIMULATORS == ("icarus", "verilator")
    assert tuple(rtlsim._EXTRA_BUILD_ARGS) == rtlsim.SIMULATORS
    assert all(spec["timescale"] == ("1ns", "1ps") for spec in rtlsim._EXTRA_BUILD_ARGS.values())


def test_unknown_simulator(small_project):
    with pytest.raises(UserError, match=r"^unknown simulator 'xsim'; pass --sim icarus or "
                                        r"verilator$"):
        rtlsim.build_rtl(small_project, "xsim")


def test_missing_simulator_says_how_to_install(small_project, monkeypatch):
    monkeypatch.setenv("IVERILOG", "/nonexistent/iverilog")
    message = (r"^could not find iverilog for the icarus simulator; install it with "
               r"'apt-get install -y iverilog' or set IVERILOG to its path$")
    assert re.match(message, rtlsim.simulator_available("icarus"))
    with pytest.raises(ToolNotFound, match=message):
        rtlsim.build_rtl(small_project, "icarus")
    r = subprocess.run([sys.executable, "-m", "host.cli", "verify", str(small_project.root),
                        "--sim", "icarus", "--no-csim"], capture_output=True, text=True,
                       env={**tool_env(), "IVERILOG": "/nonexistent/iverilog"}, check=False)
    assert r.returncode == 2
    assert re.fullmatch(r"error: could not find iverilog for the icarus simulator; install it "
                        r"with 'apt-get install -y iverilog' or set IVERILOG to its path\n",
                        r.stderr), r.stderr


def test_verify_refuses_an_unknown_simulator(small_project):
    r = fracfpga("verify", str(small_project.root), "--sim", "xsim")
    assert r.returncode == 2
    assert r.stderr == "error: unknown simulator 'xsim'; pass --sim icarus or verilator\n"


def test_first_difference_names_descriptor_buffer_and_word():
    cfg = ArrayConfig(**SMALL)
    job = next(j for j in standard_jobs(cfg) if j.name == "edges")
    assert first_difference(job.expected, job.expected, job.descriptors) == ""
    d = job.descriptors[2]
    pair = f"{d.a_bits}x{d.b_bits}"
    vb = value_bytes(d)
    mr, mc = divmod(1, mask_row_bytes(d.n))
    cases = ((d.c_addr + vb * (d.n + 1) + vb - 1, rf"descriptor 2 C\[1,1\], {pair}\): -?\d+, "
                                                   rf"model -?\d+$"),
             (d.mask_addr + 1, rf"descriptor 2 MASK\[{mr},{8 * mc}:{8 * mc + 8}\], {pair}\): \d+, model \d+$"),
             (d.stat_addr + 8, rf"descriptor 2 STAT\.digit_products, {pair}\): \d+, model \d+$"),
             (d.a_addr + 2, rf"descriptor 2 A plane word 0, {pair}\): \d+, model \d+$"),
             (job.desc_addr + 3, r"outside every buffer\): 0x[0-9a-f]{2}, model 0x[0-9a-f]{2}$"))
    for offset, where in cases:
        bad = bytearray(job.expected)
        bad[offset] ^= 0x01
        detail = first_difference(job.expected, bytes(bad), job.descriptors)
        assert re.match(rf"^1 byte\(s\) differ; first at offset 0x{offset:x} \({where}",
                        detail), detail
    assert first_difference(job.expected, job.expected[:-1]).startswith("image is ")


def test_registers_compare_with_equality():
    want = {"STATUS": 0, "ERROR": 0, "CYCLES": 120, "DIGIT_PRODUCTS": 64}
    assert first_difference(b"", b"", (), (want, dict(want))) == ""
    assert first_difference(b"", b"", (), (want, {**want, "CYCLES": 121})) == \
        "CYCLES = 121, model 120"


def test_descriptor_outcomes_one_per_width_pair():
    cfg = ArrayConfig(**SMALL)
    job = standard_jobs(cfg)[0]  # all-pairs
    actual = bytearray(job.expected)
    d = job.descriptors[4]
    actual[d.c_addr] ^= 0xFF
    rows = rtlsim.descriptor_outcomes("icarus", job, bytes(actual))
    assert [(r.job, r.descriptor, r.pair) for r in rows] == [
        ("all-pairs", i, (x.a_bits, x.b_bits)) for i, x in enumerate(job.descriptors)]
    assert [r.passed for r in rows] == [i != 4 for i in range(len(rows))]
    assert re.fullmatch(rf"descriptor 4 C\[0,0\] \({d.a_bits}x{d.b_bits}\): -?\d+, model -?\d+",
                        rows[4].detail), rows[4].detail
    assert [r.macs for r in rows] == [x.m * x.n * x.k for x in job.descriptors]


def test_job_macs_count_only_completed_descriptors():
    cfg = ArrayConfig(**SMALL)
    job = next(j for j in standard_jobs(cfg) if j.name == "refused")
    first = job.descriptors[0]
    assert job.macs == first.m * first.n * first.k and len(job.completed) == 1
    assert read_jobs_roundtrip(cfg, job).macs == job.macs


def read_jobs_roundtrip(cfg, job):
    """The one reader gives back what was written: images, registers and descriptors."""
    import tempfile

    from codegen.vectors import read_jobs, write_jobs

    with tempfile.TemporaryDirectory() as tmp:
        write_jobs([job], Path(tmp))
        (back,) = read_jobs(Path(tmp))
    assert back == job
    return back


def test_rendered_rtl_spells_the_contract(tmp_path):
    cfg = ArrayConfig(**SMALL)
    files = render_rtl(cfg, tmp_path)
    ctx = template_context(cfg)
    for path in files:
        text = path.read_text()
        first = f"// {ctx['autogenerated']}" if path.name not in RTL_STATIC else \
            "// fracfpga static RTL module"
        assert text.splitlines()[0].startswith(first), path.name
        assert re.findall(r"^module (\w+)", text, re.M) == [path.stem], path.name
        assert "{{" not in text and "{%" not in text
    regs = (tmp_path / "frac_axil_regs.v").read_text()
    offsets = {m[0]: int(m[1], 16) for m in
               re.findall(r"localparam \[ADDR_W-1:0\] ADDR_(\w+) = \d+'h([0-9A-F]+);", regs)}
    assert offsets == {r.name: r.offset for r in REGMAP}
    top = (tmp_path / f"{KERNEL_NAME}.v").read_text()
    defaults = {m[0]: m[1] for m in re.findall(r"parameter (?:\[31:0\] )?(\w+) = ([^,\n]+)", top)}
    for name, value in cfg.hdl_parameters().items():
        if name in defaults:
            rendered = defaults[name]
            got = int(rendered.split("'h")[1], 16) if "'h" in rendered else int(rendered)
            assert got == value, name
    assert {"TM", "TN", "BRICKS", "ACC_WIDTH", "MAX_K", "MAX_BITS", "BITS_MASK"} <= set(defaults)


def test_generate_writes_the_rtl_byte_identically(tmp_path):
    cfg = ArrayConfig(**SMALL)
    a = render_project(cfg, tmp_path / "a")
    b = render_project(cfg, tmp_path / "b")
    names = sorted(p.name for p in a.rtl.glob("*.v"))
    assert names == sorted([n[:-3] for n in RTL_TEMPLATES] + RTL_STATIC)
    assert all((a.rtl / n).read_bytes() == (b.rtl / n).read_bytes() for n in names)
    assert all(f"rtl/{n}" in a.manifest["files"] for n in names)


# ------------------------------------------------------------------------------ simulators
LINT_CONFIGS = {
    "default": {},
    "small": SMALL,
    "odd": dict(bits=(2, 5, 7, 16), tiles=(3, 1), bricks=4, acc_width=56, max_k=100),
    "one-brick": dict(bits=(2,), tiles=(1, 1), bricks=1, acc_width=16, max_k=8),
    # two lane groups per plane word; partial sums of two products
    "eight-brick": dict(bits=(4, 8), tiles=(2, 2), bricks=8),
    "two-brick": dict(bits=(3, 6), tiles=(1, 2), bricks=2, max_k=64),
}


@pytest.mark.sim
@pytest.mark.parametrize("name", list(LINT_CONFIGS))
def test_verilator_lint_is_clean(tmp_path, name):
    if not tool("verilator").available():
        pytest.skip("verilator is not installed")
    files = render_rtl(ArrayConfig(**LINT_CONFIGS[name]), tmp_path)
    r = subprocess.run([tool("verilator").require(), "--lint-only", "-Wall",
                        "--default-language", "1364-2005", "--top-module", KERNEL_NAME,
                        f"-I{tmp_path}", *map(str, files)], capture_output=True, text=True, env=tool_env(),
                       check=False)
    assert r.returncode == 0 and "%Warning" not in r.stderr, r.stderr


def test_simulation_memory_lints_clean(tmp_path):
    """frac_sim_top (the kernel, the HDL memory and its clock) as Verilator builds it for long
    runs: --timing, only the top's signals public (its control file)."""
    if not tool("verilator").available():
        pytest.skip("verilator is not installed")
    cfg = ArrayConfig(**LINT_CONFIGS["default"])
    files = render_rtl(cfg, tmp_path)
    sim = sorted(rtlsim.SIM_MEMORY_DIR.glob("*.v")) + [rtlsim.SIM_MEMORY_DIR / "frac_sim_top.vlt"]
    r = subprocess.run([tool("verilator").require(), "--lint-only", "-Wall", "--timing",
                        "--top-module", rtlsim.SIM_TOP, f"-GSEG_CHUNKS={seg_chunks(cfg)}",
                        f"-I{tmp_path}", *map(str, files), *map(str, sim)],
                       capture_output=True, text=True, env=tool_env(), check=False)
    assert r.returncode == 0 and "%Warning" not in r.stderr, r.stderr


def test_verilator_memory_is_one_build_for_every_job_size():
    assert rtlsim.sim_memory_words("verilator", 100) == rtlsim.VERILATOR_SIM_WORDS
    assert rtlsim.sim_memory_words("verilator", 8 * (1 << 25)) == 1 << 25
    assert rtlsim.sim_memory_words("icarus", 100) == 1 << 12
    assert rtlsim.sim_memory_words("icarus", 8 * 5000) == 1 << 13


@pytest.mark.sim
@pytest.mark.parametrize("name", ["default", "one-brick"])
def test_icarus_compiles_verilog_2005(tmp_path, name):
    if not tool("iverilog").available():
        pytest.skip("iverilog is not installed")
    files = render_rtl(ArrayConfig(**LINT_CONFIGS[name]), tmp_path)
    r = subprocess.run([tool("iverilog").require(), "-g2005", "-o", str(tmp_path / "a.vvp"),
                        "-s", KERNEL_NAME, f"-I{tmp_path}", *map(str, files)], capture_output=True, text=True,
                       check=False)
    assert r.returncode == 0 and r.stdout + r.stderr == "", r.stdout + r.stderr


@pytest.mark.sim
def test_run_rtl_jobs_reports_each_job_and_pair(small_project, tmp_path):
    """The verify engine on Icarus: equal jobs pass; a corrupted expectation fails, named."""
    if rtlsim.simulator_available("icarus"):
        pytest.skip(rtlsim.simulator_available("icarus"))
    project = load_project(shutil.copytree(small_project.root, tmp_path / "p"))
    expected = project.vectors / "all-pairs.expected.bin"
    data = bytearray(expected.read_bytes())
    job = standard_jobs(project.cfg)[0]
    d = job.descriptors[3]
    data[d.mask_addr] ^= 0x01
    expected.write_bytes(bytes(data))
    rows = rtlsim.run_rtl_jobs(project, "icarus", ["all-pairs", "early-stop"],
                               per_descriptor=True)
    top = {r.job: r for r in rows if r.descriptor is None}
    assert not top["all-pairs"].passed
    assert "descriptor 3 MASK[0,0:8]" in top["all-pairs"].detail
    assert top["early-stop"].passed and top["early-stop"].cycles == job_cycles(project,
                                                                               "early-stop")
    pairs = [r for r in rows if r.job == "all-pairs" and r.descriptor is not None]
    assert len(pairs) == len(project.cfg.pairs())
    assert [r.passed for r in pairs] == [i != 3 for i in range(len(pairs))]
    assert [r.pair for r in pairs] == [(x.a_bits, x.b_bits) for x in job.descriptors]


@pytest.mark.sim
@pytest.mark.parametrize("sim", rtlsim.SIMULATORS)
def test_hdl_memory_replays_the_jobs(small_project, tmp_path, sim):
    """DDR served inside the simulation (no Python per beat): same images and registers as
    the model, deterministic bus timing, and the bus bytes counted in the HDL."""
    if rtlsim.simulator_available(sim):
        pytest.skip(rtlsim.simulator_available(sim))
    jobs = rtlsim.read_jobs(small_project.vectors)
    words = 1 << max(len(j.memory) for j in jobs).bit_length()  # bytes / 8, rounded up
    build = rtlsim.build_rtl(small_project, sim, memory="hdl", build_dir=tmp_path / sim,
                             parameters={"WORDS": words, "BUSY": 3, "PERIOD": 4})
    assert build.toplevel == "frac_sim_top"
    rows = rtlsim.run_rtl_jobs(small_project, sim, build=build)
    assert [r.job for r in rows] == [j.name for j in jobs]
    assert all(r.passed for r in rows), [r.detail for r in rows]
    raw = rtlsim.job_results(build)
    assert all(r["axi_read_bytes"] > 0 and r["axi_write_bytes"] > 0 for r in raw)
    again = rtlsim.run_rtl_jobs(small_project, sim, build=build, jobs=["edges"])
    assert again[0].passed
    assert rtlsim.job_results(build)[0]["clock_cycles"] == \
        next(r for r in raw if r["job"] == "edges")["clock_cycles"]


def test_unknown_memory_model(small_project):
    with pytest.raises(UserError, match=r"^unknown memory model 'ddr'; choose one of cocotb, "
                                        r"hdl$"):
        rtlsim.build_rtl(small_project, "icarus", memory="ddr")


def job_cycles(project, name: str) -> int:
    return next(j for j in standard_jobs(project.cfg) if j.name == name).status.cycles


@pytest.mark.sim
def test_verify_command_prints_a_table(small_project):
    if rtlsim.simulator_available("icarus"):
        pytest.skip(rtlsim.simulator_available("icarus"))
    r = fracfpga("verify", str(small_project.root), "--sim", "icarus", "--job", "edges",
                 "--job", "refused")
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    assert re.search(r"edges\s+│ csim\s+│ PASS", out) or "codegen.csim" in out
    assert re.search(r"edges\s+│ icarus\s+│ PASS", out) and re.search(r"refused\s+│ icarus", out)
    assert re.search(r"#2 3x8\s+│ icarus\s+│ PASS", out)
    assert "icarus: 2 of 2 jobs equal the model" in out
