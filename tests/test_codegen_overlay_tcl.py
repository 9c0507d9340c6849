"""The overlay's Vivado Tcl run by a real tclsh with every vendor command stubbed and recorded.

tcl/package_rtl.tcl must package the generated Verilog under the HLS IP's VLNV with every
interface bound to the RTL top's actual ports (parsed from rtl/frac_array_top.v here), the
register map of fpga_model/regmap.py and the top's parameters; bd/build_bd.tcl must take
kernel=rtl|hls (default rtl) from -tclargs or a Tcl variable; the HLS clock must be the board's.
Two boards: ZC706 (Zynq-7000) and ZCU104 (Zynq UltraScale+).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from boards import board_names, load_board
from codegen.render import HLS_CLOCK_UNCERTAINTY, render_project, template_context, template_env
from fpga_model import REGMAP, VLNV, ArrayConfig

TCLSH = shutil.which("tclsh")
pytestmark = pytest.mark.skipif(TCLSH is None, reason="needs tclsh (apt-get install -y tcl)")
BOARDS = ("zc706", "zcu104")

# Every command the scripts call that tclsh lacks lands in `unknown`, which records it with its
# arguments and returns what the script needs next (an object name, a catalog VLNV, a property).
PRELUDE = r"""
set ::calls {}
proc unknown {cmd args} {
    lappend ::calls [list $cmd {*}$args]
    switch -glob -- $cmd {
        ipx::current_core { return core }
        ipx::get_bus_interfaces - ipx::get_user_parameters {
            if {[lindex $args 0] eq "-of_objects"} { return {} }
            return [lindex $args 0]
        }
        ipx::add_* { return [lindex $args 0] }
        get_bd_pins - get_bd_intf_pins - create_bd_cell { return [lindex $args end] }
        get_ipdefs { return "xilinx.com:ip:[lindex [split [lindex $args end] :] 2]:9.9" }
        get_property { return [expr {[lindex $args 0] eq "PROGRESS" ? "100%" : "/impl"}] }
    }
    return $cmd
}
rename file tcl_file
proc file {sub args} {
    if {$sub in {copy mkdir}} { lappend ::calls [list file $sub {*}$args]; return }
    if {$sub eq "isdirectory"} { return $::have_ip }
    return [tcl_file $sub {*}$args]
}
proc exit {args} {}
lassign $::argv ::have_ip preset script
if {$preset ne "-"} { set kernel $preset }
set ::argv [lrange $::argv 3 end]
source $script
foreach c $::calls { puts "CALL $c" }
"""


def run_tcl(tmp_path: Path, script: Path, *argv: str, have_ip: bool = True,
            kernel_var: str | None = None) -> tuple[list[str], str]:
    """Run ``script`` under the stubs; its recorded calls and its own output."""
    harness = tmp_path / "prelude.tcl"
    harness.write_text(PRELUDE)
    r = subprocess.run([TCLSH, str(harness), "1" if have_ip else "0", kernel_var or "-",
                        str(script), *argv], capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise RuntimeError(r.stderr)
    calls = [line[5:] for line in r.stdout.splitlines() if line.startswith("CALL ")]
    text = "\n".join(line for line in r.stdout.splitlines() if not line.startswith("CALL "))
    return calls, text


def rtl_top(project: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Ports (name -> direction and width text) and parameter defaults of the RTL top."""
    text = (project / "rtl" / "frac_array_top.v").read_text()
    ports = {m.group(3): f"{m.group(1)} {m.group(2) or ''}".strip() for m in re.finditer(
        r"^\s*(input|output)\s+wire\s*(\[[^\]]*\])?\s*(\w+)", text, re.M)}
    params = dict(re.findall(r"^\s*parameter\s+(?:\[[^\]]*\]\s*)?(\w+)\s*=\s*([^,\n]+?),?\s*$",
                             text, re.M))
    return ports, params


@pytest.fixture(scope="module", params=BOARDS)
def project(request, tmp_path_factory) -> Path:
    cfg = ArrayConfig(bits=(4, 8), board=request.param, tiles=(2, 2))
    return render_project(cfg, tmp_path_factory.mktemp(request.param) / "p").root


def board_of(project: Path):
    return load_board(json.loads((project / "manifest.json").read_text())["board"]["name"])


def _index(calls: list[str], prefix: str) -> int:
    hits = [i for i, c in enumerate(calls) if c.startswith(prefix)]
    assert hits, f"no call starting with {prefix!r}"
    return hits[0]


def test_package_rtl_binds_every_interface_to_the_rtl_top(project, tmp_path):
    board = board_of(project)
    ports, params = rtl_top(project)
    calls, text = run_tcl(tmp_path, project / "tcl" / "package_rtl.tcl")
    vendor, library, name, version = VLNV.split(":")

    # the flow, in order: project, sources, package, interfaces, map, space, save
    order = [_index(calls, p) for p in (
        f"create_project -force rtl_ip_prj {project / 'rtl_ip_prj'} -part {board.part}",
        "add_files -norecurse", "set_property top frac_array_top",
        f"ipx::package_project -root_dir {project / 'rtl_ip'} -vendor {vendor} "
        f"-library {library} -taxonomy /UserIP -import_files -set_current true",
        "ipx::infer_bus_interfaces xilinx.com:interface:aximm_rtl:1.0 core",
        "ipx::add_memory_map s_axi_control core", "ipx::add_address_space m_axi_gmem core",
        "ipx::save_core core", "close_project")]
    assert order == sorted(order)
    sources = calls[order[1]].split(" ", 2)[2].strip("{}").split()  # one Tcl list argument
    assert sources == sorted(str(p) for p in (project / "rtl").glob("*.v")) and sources
    for prop, value in (("name", name), ("version", version)):
        assert f"set_property {prop} {value} core" in calls
    family = "zynq" if board.family == "xc7" else "zynquplus"
    assert f"set_property supported_families {{{family} Production}} core" in calls
    assert f"IP {VLNV} packaged in {project / 'rtl_ip'}" in text

    # interfaces: the RTL top has these ports, and the Tcl binds them
    axil = {f"s_axi_control_{s}" for s in ("AWADDR", "AWVALID", "AWREADY", "WDATA", "WSTRB",
                                           "WVALID", "WREADY", "BRESP", "BVALID", "BREADY",
                                           "ARADDR", "ARVALID", "ARREADY", "RDATA", "RRESP",
                                           "RVALID", "RREADY")}
    axi = {f"m_axi_gmem_{s}" for s in ("AWADDR", "AWLEN", "AWVALID", "AWREADY", "WDATA",
                                       "WSTRB", "WLAST", "WVALID", "WREADY", "BVALID", "BREADY",
                                       "ARADDR", "ARLEN", "ARVALID", "ARREADY", "RDATA",
                                       "RLAST", "RVALID", "RREADY")}
    assert axil | axi | {"ap_clk", "ap_rst_n", "interrupt"} <= set(ports)
    assert set(ports) == axil | {p for p in ports if p.startswith("m_axi_gmem_")} | \
        {"ap_clk", "ap_rst_n", "interrupt"}, "a port no interface covers"
    for line in ("set_property interface_mode slave s_axi_control",
                 "set_property interface_mode master m_axi_gmem",
                 "ipx::infer_bus_interface ap_clk xilinx.com:signal:clock_rtl:1.0 core",
                 "ipx::infer_bus_interface ap_rst_n xilinx.com:signal:reset_rtl:1.0 core",
                 "ipx::infer_bus_interface interrupt xilinx.com:signal:interrupt_rtl:1.0 core",
                 "set_property value ACTIVE_LOW POLARITY", "set_property value LEVEL_HIGH "
                 "SENSITIVITY", f"set_property value {int(board.pl_clock_mhz * 1e6)} FREQ_HZ",
                 "ipx::associate_bus_interfaces -busif s_axi_control -clock ap_clk core",
                 "ipx::associate_bus_interfaces -busif m_axi_gmem -clock ap_clk core",
                 "ipx::associate_bus_interfaces -clock ap_clk -reset ap_rst_n core"):
        assert line in calls, line
    assert "ipx::add_bus_parameter POLARITY ap_rst_n" in calls

    # the register map: every register of fpga_model at its offset, in an address block as
    # wide as the RTL's AXI-Lite address
    assert "set_property slave_memory_map_ref s_axi_control s_axi_control" in calls
    aw = int(params["C_S_AXI_CONTROL_ADDR_WIDTH"])
    assert ports["s_axi_control_AWADDR"] == "input [C_S_AXI_CONTROL_ADDR_WIDTH-1:0]"
    assert f"set_property range {1 << aw} Reg" in calls
    access = {"rw": "read-write", "ro": "read-only", "wo": "write-only"}
    added = [c.split()[1] for c in calls if c.startswith("ipx::add_register ")]
    assert added == [r.name for r in REGMAP]
    for r in REGMAP:
        assert f"set_property address_offset 0x{r.offset:02X} {r.name}" in calls
        assert f"set_property access {access[r.access]} {r.name}" in calls
        assert r.offset + 4 <= 1 << aw

    # the DDR address space: as wide as the RTL's m_axi_gmem address and data
    assert "set_property master_address_space_ref m_axi_gmem m_axi_gmem" in calls
    assert int(params["C_M_AXI_GMEM_ADDR_WIDTH"]) == 64
    assert "set_property range 16E m_axi_gmem" in calls
    assert ports["m_axi_gmem_RDATA"] == "input [63:0]"
    assert "set_property width 64 m_axi_gmem" in calls

    # every integer parameter of the RTL top, pinned to the generated value
    pinned = {c.split()[1] for c in calls if c.startswith("ipx::get_user_parameters ")}
    declared = {k for k, v in params.items() if re.fullmatch(r"\d+", v)}
    assert pinned == declared and pinned
    for k in declared:
        assert f"set_property value {params[k]} {k}" in calls


@pytest.mark.parametrize("argv, var, kernel", [
    ((), None, "rtl"), (("kernel=hls",), None, "hls"), (("kernel=rtl",), "hls", "rtl"),
    ((), "hls", "hls"),
])
def test_block_design_takes_either_kernel(project, tmp_path, argv, var, kernel):
    board = board_of(project)
    calls, text = run_tcl(tmp_path, project / "bd" / "build_bd.tcl", *argv, kernel_var=var)
    repo = project / ("rtl_ip" if kernel == "rtl" else "hls_prj/solution1/impl/ip")
    assert f"kernel: {kernel} IP from {repo}" in text
    assert f"set_property ip_repo_paths {repo} current_project" in calls
    assert sum(c.startswith("set_property ip_repo_paths") for c in calls) == 1
    assert f"create_project frac_overlay {project / 'vivado'} -part {board.part} -force" in calls
    assert f"create_bd_cell -type ip -vlnv {VLNV} frac" in calls
    hp = "ps/S_AXI_HP0" if board.family == "xc7" else "ps/S_AXI_HP0_FPD"
    for line in ("connect_bd_intf_net ctrl_smc/M00_AXI frac/s_axi_control",
                 "connect_bd_intf_net frac/m_axi_gmem mem_smc/S00_AXI",
                 f"connect_bd_intf_net mem_smc/M00_AXI {hp}",
                 "connect_bd_net rst/peripheral_aresetn frac/ap_rst_n ctrl_smc/aresetn "
                 "mem_smc/aresetn", "assign_bd_address", "validate_bd_design"):
        assert line in calls, line
    assert any(c.startswith("connect_bd_net ") and " frac/ap_clk " in c for c in calls)
    assert calls.index("assign_bd_address") > _index(calls, "connect_bd_intf_net mem_smc")
    assert _index(calls, "launch_runs impl_1") > calls.index("validate_bd_design")


def test_block_design_refuses_a_bad_kernel_and_a_missing_ip(project, tmp_path):
    script = project / "bd" / "build_bd.tcl"
    with pytest.raises(RuntimeError, match="unknown kernel 'vhdl'; use kernel=rtl or kernel=hls"):
        run_tcl(tmp_path, script, "kernel=vhdl")
    with pytest.raises(RuntimeError, match="unknown option 'clock=100'; use kernel=rtl or "
                                           "kernel=hls"):
        run_tcl(tmp_path, script, "clock=100")
    with pytest.raises(RuntimeError, match=re.escape(
            f"no rtl IP in {project / 'rtl_ip'}; run 'vivado -mode batch -source "
            f"tcl/package_rtl.tcl' first")):
        run_tcl(tmp_path, script, have_ip=False)
    with pytest.raises(RuntimeError, match=re.escape(
            f"no hls IP in {project / 'hls_prj/solution1/impl/ip'}; run 'sh tcl/build_hls.sh "
            f"csim=1 synth=1 export=1' first")):
        run_tcl(tmp_path, script, "kernel=hls", have_ip=False)


def test_readme_says_rtl_is_the_default_kernel_and_why(project):
    text = (project / "README.md").read_text()
    for needle in ("`kernel=rtl` (the default)", "the kernel whose cycles the tests",
                   "vivado -mode batch -source tcl/package_rtl.tcl",
                   "vivado -mode batch -source bd/build_bd.tcl -tclargs kernel=hls",
                   "the PYNQ driver works on either without change"):
        assert needle in text, needle


@pytest.mark.parametrize("board, clock_mhz", [(b, None) for b in board_names()]
                         + [("zc706", 150.0), ("zcu104", 187.5)])
def test_hls_clock_and_uncertainty_are_the_boards(tmp_path, board, clock_mhz):
    cfg = ArrayConfig(bits=(4, 8), board=board, tiles=(2, 2), clock_mhz=clock_mhz)
    mhz = clock_mhz or load_board(board).pl_clock_mhz
    ctx = template_context(cfg)
    env = template_env()
    (tmp_path / "tcl").mkdir()
    script = tmp_path / "tcl" / "build_prj.tcl"
    script.write_text(env.get_template("tcl/build_prj.tcl.j2").render(**ctx))
    calls, _ = run_tcl(tmp_path, script, "csim=0 synth=1")
    clocks = [c for c in calls if c.startswith(("create_clock", "set_clock_uncertainty"))]
    assert clocks == [f"create_clock -period {mhz:g}MHz -name default",
                      f"set_clock_uncertainty {round(1000 / mhz * HLS_CLOCK_UNCERTAINTY, 3)}"]
    assert _index(calls, "set_part") < _index(calls, "create_clock") < _index(calls,
                                                                               "csynth_design")
    readme = env.get_template("README.md.j2").render(**ctx)
    period = round(1000 / mhz, 3)
    assert f"The target is {mhz:g} MHz (period {period} ns) on {cfg.board_info.part}" in readme
    assert "If csynth misses the target" in readme and "--clock-mhz" in readme
    # the block design's PL clock is the same number
    bd = env.get_template("bd/build_bd.tcl.j2").render(**ctx)
    assert re.search(rf"(FCLK0|PL0)\S* at the array clock", bd)
    assert f"FREQMHZ {mhz:g} " in bd
