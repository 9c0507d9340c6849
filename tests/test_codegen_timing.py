"""codegen.timing on hand-made yosys JSON netlists: exact levels, carry bits, delays, stages.

Each netlist is a few Xilinx primitives wired by bit numbers, as ``write_json`` writes them; the
expected levels, carry bits and delays are counted by hand from the delay table.
"""

from __future__ import annotations

import math

import pytest

from codegen.timing import DELAY_TABLES, TimingError, TimingRule, analyze, module_stage

T = DELAY_TABLES["xc7"]
NET, LUT = T.net.ns, T.lut.ns

_OUT_PINS = {"O", "Q", "CO", "P", "PCOUT", "DOADO", "DOBDO"}


def cell(ctype: str, params: dict | None = None, **pins) -> dict:
    """A primitive; pins given as name=[bits] (lists) or name=bit."""
    conns = {p: (b if isinstance(b, list) else [b]) for p, b in pins.items()}
    return {"type": ctype, "parameters": params or {},
            "attributes": {"src": f"rtl/x.v:{len(pins)}"},
            "port_directions": {p: "output" if p in _OUT_PINS else "input" for p in conns},
            "connections": conns}


def ff(d, q, ce=None, src="rtl/x.v:1"):
    c = cell("FDRE", C=1, D=d, Q=q, CE=ce if ce is not None else "1", R="0")
    c["attributes"]["src"] = src
    return c


def lut(out, *ins):
    return cell(f"LUT{len(ins)}", O=out, **{f"I{k}": b for k, b in enumerate(ins)})


def module(cells: dict, netnames: dict | None = None, ports: dict | None = None,
           top: bool = False) -> dict:
    m = {"attributes": {"top": "00000000000000000000000000000001"} if top else {},
         "ports": ports or {"clk": {"direction": "input", "bits": [1]}},
         "cells": cells,
         "netnames": {k: {"hide_name": 0, "bits": v} for k, v in (netnames or {}).items()}}
    return m


def run(cells: dict, netnames: dict | None = None, rule: TimingRule = TimingRule()):
    report = analyze({"modules": {"top": module(cells, netnames, top=True)}}, T, rule)
    assert [s.stage for s in report.stages] == ["top"]
    return report.stages[0]


def test_chain_of_luts_between_flip_flops():
    # r0 -> LUT -> LUT -> LUT -> r1 ; r1 also feeds r2 directly (0 levels)
    stage = run({"r0": ff(20, 10), "l1": lut(11, 10), "l2": lut(12, 11, 10), "l3": lut(13, 12),
                 "r1": ff(13, 14, src="rtl/x.v:7"), "r2": ff(14, 15)},
                {"q0": [10], "q1": [14], "q2": [15], "d0": [20]})
    w = stage.worst
    assert (stage.max_levels, stage.max_carry_bits, stage.max_carry_chains) == (3, 0, 0)
    assert (w.levels, w.carry_bits, w.carry_chains) == (3, 0, 0)
    assert w.delay_ns == pytest.approx(T.ff_clk_to_q.ns + 3 * (NET + LUT) + NET + T.ff_setup_d.ns)
    assert w.cells == ("FDRE", "LUT1", "LUT2", "LUT1", "FDRE")
    assert (w.start.rtl, w.end.rtl, w.end.src) == ("q0", "q1", "rtl/x.v:7")
    assert stage.endpoints == 2 and stage.passes
    assert stage.fmax_mhz == pytest.approx(1000 / w.delay_ns)


def carry4(ci, s, o=None, co=None, di=None, cyinit="0"):
    pins = {"CI": ci, "CYINIT": cyinit, "S": s, "DI": di or ["0"] * 4}
    if o is not None:
        pins["O"] = o
    if co is not None:
        pins["CO"] = co
    return cell("CARRY4", **pins)


def test_a_chain_of_carry4s_counts_its_bits():
    # r0 -> LUT -> S[0] of c0 -> CO[3] -> CI c1 -> CO[3] -> CI c2 -> O[1] -> r1: 4 + 4 + 2 bits;
    # r2 -> DI[2] of c0 enters two bits later: 2 + 4 + 2
    cells = {
        "r0": ff(99, 10), "l": lut(11, 10), "r2": ff(98, 12),
        "c0": carry4("0", [11, "0", "0", "0"], co=["x", "x", "x", 20], di=["0", "0", 12, "0"]),
        "c1": carry4(20, ["1"] * 4, co=["x", "x", "x", 21]),
        "c2": carry4(21, ["1"] * 4, o=["x", 22, "x", "x"]),
        "r1": ff(22, 30),
    }
    stage = run(cells, {"q0": [10], "q2": [12], "q1": [30]})
    w = stage.worst
    assert (w.levels, w.carry_bits, w.carry_chains) == (1, 10, 1)
    assert (stage.max_levels, stage.max_carry_bits, stage.max_carry_chains) == (1, 10, 1)
    assert w.delay_ns == pytest.approx(T.ff_clk_to_q.ns + NET + LUT + NET + T.carry_in.ns
                                       + T.carry_through.ns + T.carry_out.ns
                                       + NET + T.ff_setup_d.ns)
    assert w.cells == ("FDRE", "LUT1", "CARRY4", "CARRY4", "CARRY4", "FDRE")
    assert w.start.rtl == "q0" and stage.passes


def test_twelve_carry4s_are_48_bits_and_a_second_chain_fails_the_rule():
    cells = {"r0": ff(99, 10)}
    prev = "0"
    for k in range(12):
        cells[f"c{k}"] = carry4(prev, [10 if k == 0 else "1", "1", "1", "1"],
                                co=["x", "x", "x", 100 + k])
        prev = 100 + k
    cells["r1"] = ff(prev, 200)
    stage = run(dict(cells))
    assert (stage.max_levels, stage.max_carry_bits, stage.max_carry_chains) == (0, 48, 1)
    assert stage.passes
    # one more CARRY4 makes 52 bits; a LUT and a second chain after it makes two chains
    cells["c12"] = carry4(prev, ["1"] * 4, co=["x", "x", "x", 300])
    cells["l"] = lut(301, 300)
    cells["d0"] = carry4("0", [301, "1", "1", "1"], o=[302, "x", "x", "x"])
    cells["r1"] = ff(302, 200)
    stage = run(cells)
    assert (stage.max_levels, stage.max_carry_bits, stage.max_carry_chains) == (1, 53, 2)
    assert not stage.passes


def test_seven_levels_fail_the_rule_and_the_target_is_separate():
    cells = {"r0": ff(99, 10), "r1": ff(17, 30)}
    for k in range(7):
        cells[f"l{k}"] = lut(11 + k, 10 + k)
    stage = run(cells, rule=TimingRule(target_mhz=1000.0))
    assert stage.max_levels == 7 and not stage.passes and not stage.meets_target
    del cells["l6"]
    cells["r1"] = ff(16, 30)
    stage = run(cells, rule=TimingRule(target_mhz=100.0))
    assert stage.max_levels == 6 and stage.passes and stage.meets_target


def test_a_loop_through_a_register_is_timed_and_a_combinational_loop_is_refused():
    # counter: r0 -> LUT -> r0
    stage = run({"r0": ff(11, 10), "l": lut(11, 10)}, {"count": [10]})
    assert stage.worst.levels == 1 and stage.worst.start.rtl == stage.worst.end.rtl == "count"
    with pytest.raises(TimingError, match=r"^combinational loop through .*; break it with a "
                                          r"register$"):
        run({"r0": ff(11, 10), "a": lut(11, 12, 10), "b": lut(12, 11)})


@pytest.mark.parametrize("doa_reg, cko", [(0, T.bram_clk_to_out.ns),
                                          (1, T.bram_clk_to_out_reg.ns)])
def test_bram_outputs_start_paths_with_and_without_the_output_register(doa_reg, cko):
    bram = cell("RAMB36E1", {"DOA_REG": f"{doa_reg:032b}"}, CLKARDCLK=1,
                ADDRARDADDR=[40, 41], DOADO=[10, 11])
    bram["port_directions"]["ADDRARDADDR"] = "input"
    # DOADO -> LUT -> r1, and r1 -> LUT -> ADDR back into the BRAM
    stage = run({"mem": bram, "l": lut(12, 10, 11), "r1": ff(12, 30), "l2": lut(41, 30)},
                {"q1": [30]})
    out_path = cko + NET + LUT + NET + T.ff_setup_d.ns
    addr_path = T.ff_clk_to_q.ns + NET + LUT + NET + T.bram_setup.ns
    w = stage.worst
    assert w.delay_ns == pytest.approx(max(out_path, addr_path)) and w.levels == 1
    if out_path > addr_path:
        assert w.cells == ("RAMB36E1", "LUT2", "FDRE") and w.start.rtl == "DOADO[0]"
        assert w.start.type == "RAMB36E1" and w.end.rtl == "q1"
    else:
        assert w.cells == ("FDRE", "LUT1", "RAMB36E1") and w.start.rtl == "q1"
        assert w.end.rtl == "ADDRARDADDR[1]" and str(w.end) == "RAMB36E1.ADDRARDADDR[1] (rtl/x.v:3)"
    assert stage.endpoints == 2 and stage.max_levels == 1


def test_a_shift_register_lut_ends_paths_at_its_data_and_passes_only_its_address():
    # r0 -> LUT -> LUT -> SRL16E.D (clocked: the path ends there); r2 -> SRL16E.A0 -> Q ->
    # LUT -> r1 (the read address is one LUT level); Q also starts a path (clock to out)
    srl = cell("SRL16E", CLK=1, CE="1", D=12, A0=30, A1="0", A2="0", A3="0", Q=13)
    stage = run({"r0": ff(99, 10), "l1": lut(11, 10), "l2": lut(12, 11), "srl": srl,
                 "l3": lut(14, 13), "r1": ff(14, 15), "r2": ff(98, 30)})
    assert stage.max_levels == 2  # r0 -> l1 -> l2 -> D and r2 -> A0 -> Q -> l3 -> r1
    assert stage.worst.cells in (("FDRE", "LUT1", "LUT1", "SRL16E"), ("FDRE", "SRL16E", "LUT1",
                                                                      "FDRE"))


@pytest.mark.parametrize("params, setup, out", [
    ({"AREG": 0, "BREG": 0, "MREG": 0, "PREG": 1}, T.dsp_setup_mult_preg, T.dsp_clk_to_p),
    ({"AREG": 1, "BREG": 1, "MREG": 0, "PREG": 1}, T.dsp_setup_inreg, T.dsp_clk_to_p),
    ({"AREG": 0, "BREG": 0, "MREG": 1, "PREG": 0}, T.dsp_setup_mreg, T.dsp_clk_to_p_mreg),
])
def test_dsp_inputs_end_and_outputs_start_paths_by_their_registers(params, setup, out):
    dsp = cell("DSP48E1", {k: f"{v:032b}" for k, v in params.items()} | {"USE_MULT": "MULTIPLY"},
               CLK=1, A=[20, 23], B=[21], P=[40, 43], OPMODE=["0", "1"])
    # r0 -> LUT -> A[0], A[1]; P[0] -> LUT -> LUT -> r1
    stage = run({"r0": ff(99, 10), "la": lut(20, 10), "la1": lut(23, 10), "lb": lut(21, 10),
                 "dsp": dsp, "p1": lut(41, 40), "p2": lut(42, 41), "r1": ff(42, 50)})
    into_dsp = T.ff_clk_to_q.ns + NET + LUT + NET + setup.ns
    out_of_dsp = out.ns + 2 * (NET + LUT) + NET + T.ff_setup_d.ns
    assert stage.worst.delay_ns == pytest.approx(max(into_dsp, out_of_dsp))
    assert stage.max_levels == 2 and stage.endpoints == 2


def test_stages_follow_the_module_hierarchy():
    # top holds r0 and an instance of a parameterised 'pipe' module holding LUT + r1
    sub = module({"l": lut(3, 2), "r1": ff(3, 4)}, {"acc": [4]},
                 ports={"clk": {"direction": "input", "bits": [1]},
                        "x": {"direction": "input", "bits": [2]},
                        "y": {"direction": "output", "bits": [4]}})
    inst = {"type": "$paramod$abc\\pipe", "parameters": {}, "attributes": {},
            "port_directions": {"clk": "input", "x": "input", "y": "output"},
            "connections": {"clk": [1], "x": [10], "y": [11]}}
    top = module({"r0": ff(11, 10), "u_pipe": inst}, {"q0": [10], "y": [11]}, top=True)
    report = analyze({"modules": {"top": top, "$paramod$abc\\pipe": sub}}, T)
    assert [s.stage for s in report.stages] == ["pipe", "top"]
    pipe, topst = report.stages
    assert pipe.worst.levels == 1 and pipe.worst.end.rtl == "u_pipe/acc"
    assert pipe.worst.end.cell == "u_pipe/r1" and pipe.worst.start.rtl == "q0"
    assert topst.worst.levels == 0 and topst.worst.start.rtl == "u_pipe/acc"
    assert report.fmax_mhz == pytest.approx(min(pipe.fmax_mhz, topst.fmax_mhz))
    assert module_stage("$paramod\\frac_axi_reader\\ADDR_W=s32'01") == "frac_axi_reader"
    assert module_stage("\\frac_array_top") == "frac_array_top"


def test_ports_start_no_path_and_unknown_cells_are_refused():
    cells = {"ib": cell("IBUF", I=2, O=10), "l": lut(11, 10), "r1": ff(11, 12)}
    report = analyze({"modules": {"top": module(cells, top=True)}}, T)
    assert report.stages == () and math.isinf(report.fmax_mhz)
    cells["x"] = cell("GTXE2_CHANNEL", I=12, O=13)
    with pytest.raises(TimingError, match=r"^cell x has type 'GTXE2_CHANNEL', which "
                                          r"codegen/timing.py has no timing model for"):
        analyze({"modules": {"top": module(cells, top=True)}}, T)


def test_every_delay_names_its_source():
    for table in DELAY_TABLES.values():
        for name, d in table.items():
            assert d.ns > 0 and d.source, (table.family, name)
            assert d.estimate == ("estimate" in d.source), (table.family, name)
        assert table.data_sheet.startswith(("DS191", "DS925"))
