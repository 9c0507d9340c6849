"""HLS hygiene of the generated kernel sources: what Vitis HLS can synthesize, and the interface.

Synthesizable code is the top function, its headers, the rendered config and the static headers
in hls/include (the testbench is exempt): no dynamic allocation, no recursion, no std:: library,
no unbounded loops, a loop_tripcount pragma on every loop with a run-time bound, and interface
pragmas that give exactly the register map in the manifest.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from codegen.render import Project, render_project
from fpga_model import ArrayConfig

CONFIGS = {
    "default": ArrayConfig(),
    "wide": ArrayConfig(bits=(2, 5, 16), board="zcu104", tiles=(3, 5)),
}
KEYWORDS = {"if", "for", "while", "switch", "return", "sizeof", "catch", "static_cast"}


@pytest.fixture(scope="module", params=list(CONFIGS))
def project(request, tmp_path_factory) -> Project:
    return render_project(CONFIGS[request.param], tmp_path_factory.mktemp(request.param) / "p")


def synthesizable(project: Project) -> dict[str, str]:
    """Relative path -> source with comments removed, for every synthesizable file."""
    files = [project.hls / "frac_array_top.cpp", project.hls / "frac_array_top.h",
             project.hls / "frac_config.h", *sorted((project.hls / "include").glob("*.h"))]
    return {p.relative_to(project.root).as_posix(): strip_comments(p.read_text()) for p in files}


def strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def block_after(text: str, brace: int) -> str:
    """The text between the brace at index ``brace`` and its matching close."""
    depth = 0
    for i in range(brace, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[brace + 1:i]
    raise AssertionError("unbalanced braces")


def test_the_synthesizable_set_is_complete(project):
    names = set(synthesizable(project))
    assert {"hls/include/frac_walker.h", "hls/include/frac_pass.h", "hls/include/frac_tile.h",
            "hls/frac_config.h", "hls/frac_array_top.cpp"} <= names
    assert "hls/frac_array_top_tb.cpp" not in names


@pytest.mark.parametrize("pattern, what", [
    (r"\bnew\b", "new"), (r"\bdelete\b", "delete"), (r"\b(?:malloc|calloc|realloc|free)\s*\(",
                                                     "C heap"),
    (r"\bstd::", "the C++ standard library (containers, strings, streams)"),
    (r"\b(?:while|do|goto)\b", "a loop without a for-bound"),
    (r"\bthrow\b|\btry\b", "exceptions"), (r"\bvirtual\b", "virtual calls"),
])
def test_no_constructs_vitis_cannot_synthesize(project, pattern, what):
    for name, text in synthesizable(project).items():
        assert not re.search(pattern, text), f"{name} uses {what}"


def test_includes_are_ap_types_stdint_or_the_project(project):
    """ap_int.h and hls_stream.h come from Vitis, and for C-sim from hls4ml's ap_types."""
    own = {p.name for p in (project.hls / "include").glob("*.h")} | {
        "frac_config.h", "frac_array_top.h"}
    for name, text in synthesizable(project).items():
        for system in re.findall(r'#include\s*<([^>]+)>', text):
            assert system == "stdint.h", f"{name} includes <{system}>"
        for local in re.findall(r'#include\s*"([^"]+)"', text):
            assert local in ("ap_int.h", "hls_stream.h") or Path(local).name in own, \
                f"{name} includes {local}"


def _functions(sources: dict[str, str]) -> dict[str, str]:
    """Function name -> body (all overloads' bodies joined), for every definition."""
    bodies: dict[str, str] = {}
    head = re.compile(r"\b(\w+)\s*\(((?:[^;{}()]|\([^()]*\))*)\)\s*(?:const\s*)?\{")
    for text in sources.values():
        for m in head.finditer(text):
            if m.group(1) in KEYWORDS:
                continue
            bodies[m.group(1)] = bodies.get(m.group(1), "") + block_after(text, m.end() - 1)
    return bodies


def test_no_recursion(project):
    bodies = _functions(synthesizable(project))
    assert {"walk", "run_pass", "array_step", "build_schedule", "frac_array_top"} <= set(bodies)
    calls = {f: {c for c in re.findall(r"\b(\w+)\s*(?:<[^<>;()]*>)?\s*\(", body)
                 if c in bodies} for f, body in bodies.items()}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for callee in calls[start]:
            if callee == goal or (callee not in seen and reaches(callee, goal, seen | {callee})):
                return True
        return False

    recursive = [f for f in bodies if reaches(f, f, {f})]
    assert recursive == []
    assert "run_descriptor" in calls["walk"] and "run_pass" in calls["run_descriptor"]
    assert "execute" in calls["run_pass"]  # the graph is real
    assert "array_step" in calls["execute"]


def is_constant(bound: str) -> bool:
    """A bound made of literals, CFG:: constants, UPPER_CASE constants and template widths."""
    tokens = re.findall(r"[A-Za-z_]\w*(?:::\w+)*|\d+|\S", bound)
    return all(t.isdigit() or t in "+-*/()" or re.fullmatch(r"(?:CFG::)?[A-Z][A-Z0-9_]*", t)
               for t in tokens)


def _loops(text: str):
    """(header, variable, bound, body) of every for loop."""
    for m in re.finditer(r"\bfor\s*\(([^;]*);([^;]*);([^)]*)\)\s*\{", text):
        init, cond, step = m.groups()
        yield m.group(0), init, cond, step, block_after(text, m.end() - 1)


def test_loops_are_bounded_and_variable_bounds_have_tripcounts(project):
    seen_variable = 0
    for name, text in synthesizable(project).items():
        for header, init, cond, step, body in _loops(text):
            var = re.search(r"(\w+)\s*=", init).group(1)
            cm = re.fullmatch(rf"\s*{var}\s*<\s*(.+?)\s*", cond)
            assert cm, f"{name}: loop '{header}' is not 'i < bound'"
            assert re.fullmatch(rf"\s*(?:\+\+{var}|{var}\+\+)\s*", step), \
                f"{name}: loop '{header}' does not count up by one"
            assert not re.search(rf"\b{var}\s*(?:[-+*/]?=(?!=)|--|\+\+)", body), \
                f"{name}: loop '{header}' changes its counter in the body"
            if is_constant(cm.group(1)):
                continue
            seen_variable += 1
            leading = re.match(r"(\s*#pragma[^\n]*\n)*", body).group(0)
            assert "#pragma HLS loop_tripcount" in leading, \
                f"{name}: loop '{header}' has a run-time bound and no loop_tripcount pragma"
            tc = re.search(r"loop_tripcount\s+min=(\w+)\s+max=(\w+)", leading)
            assert tc, f"{name}: loop '{header}' tripcount lacks min= and max="
            for value in tc.groups():
                assert value.isdigit() or re.search(rf"\b{value}\s*=", text), \
                    f"{name}: tripcount value {value} is not a defined constant"
    assert seen_variable >= 7  # steps (3), bursts, buffer fills, issues, row writes, descriptors


def _signature(top: str, kernel: str) -> list[tuple[str, str]]:
    m = re.search(rf"\bvoid\s+{kernel}\s*\(([^)]*)\)\s*\{{", top)
    assert m, "no top function definition"
    params = []
    for part in m.group(1).split(","):
        typ, name = re.fullmatch(r"\s*(.+?)\s*(\w+)\s*", part).groups()
        params.append((re.sub(r"\s+", "", typ), name))
    return params


def _ports_from_register_map(regmap: list[dict]) -> dict[str, tuple[int, str]]:
    """Vitis names the argument registers <PORT> (32 bits) or <PORT>_LO/_HI (64 bits)."""
    return {r["name"]: (r["offset"], r["access"]) for r in regmap if r["offset"] >= 0x10}


def _vitis_offsets(params: list[tuple[str, str]], maxi: set[str]) -> dict[str, tuple[int, str]]:
    """Where Vitis HLS places each s_axilite argument: from 0x10, each argument's data words
    then one word (reserved for inputs, ap_vld control for outputs)."""
    out, offset = {}, 0x10
    for typ, name in params:
        is_output = typ.endswith("*") and name not in maxi
        width = 64 if name in maxi else int(re.search(r"<(\d+)>", typ).group(1)) \
            if "<" in typ else 32
        access = "ro" if is_output else "rw"
        if width == 64:
            out[f"{name}_LO"], out[f"{name}_HI"] = (offset, access), (offset + 4, access)
        else:
            out[name] = (offset, access)
        offset += 4 * (width // 32 + 1)
    return out


def test_interface_pragmas_match_the_register_map(project):
    kernel = project.manifest["kernel"]
    top = strip_comments((project.hls / f"{kernel}.cpp").read_text())
    params = _signature(top, kernel)
    pragmas = [dict(re.findall(r"(\w+)=(\w+)", line.split(None, 3)[3]),
                    mode=line.split()[3].split("=")[-1])
               for line in re.findall(r"#pragma HLS INTERFACE[^\n]*", top)]
    for p in pragmas:
        p["mode"] = re.match(r"(?:mode=)?(\w+)", p["mode"]).group(1)
    maxi = [p for p in pragmas if p["mode"] == "m_axi"]
    lite = [p for p in pragmas if p["mode"] == "s_axilite"]
    assert [(p["port"], p["offset"]) for p in maxi] == [("MEM", "slave")]
    assert {p["bundle"] for p in lite} == {"control"}
    assert [p["port"] for p in lite] == [name for _, name in params] + ["return"]
    assert any(p["mode"] == "ap_ctrl_hs" and p["port"] == "return" for p in pragmas)
    assert len(pragmas) == len(maxi) + len(lite) + 1  # nothing else
    regmap = project.manifest["register_map"]
    assert _vitis_offsets(params, {"MEM"}) == _ports_from_register_map(regmap)
    ctrl = {r["name"]: r["offset"] for r in regmap if r["offset"] < 0x10}
    assert ctrl == {"CTRL": 0x00, "GIE": 0x04, "IER": 0x08, "ISR": 0x0C}


def test_top_header_declares_what_the_source_defines(project):
    kernel = project.manifest["kernel"]
    header = strip_comments((project.hls / f"{kernel}.h").read_text())
    source = strip_comments((project.hls / f"{kernel}.cpp").read_text())
    declared = re.search(rf"\bvoid\s+{kernel}\s*\(([^)]*)\)\s*;", header).group(1)
    defined = re.search(rf"\bvoid\s+{kernel}\s*\(([^)]*)\)\s*\{{", source).group(1)
    assert declared.split() == defined.split()


def test_config_header_carries_the_array_numbers(project):
    text = (project.hls / "frac_config.h").read_text()
    values = dict(re.findall(r"static const unsigned (\w+) = (\d+);", text))
    for key, value in project.manifest["parameters"].items():
        assert values.pop(key) == str(value)
    assert "typedef ap_int<ACC_WIDTH> acc_t;" in text
    for word in project.manifest["descriptor"]["words"]:
        assert values[f"WORD_{word['name'].upper()}"] == str(word["word"])
    assert values["DESC_BYTES"] == str(project.manifest["descriptor"]["bytes"])
    for i, field in enumerate(project.manifest["descriptor"]["stat_fields"]):
        assert values[f"STAT_{field['name'].upper()}"] == str(i)
    for b in project.cfg.bits:
        assert f"//   {b} bits: {project.cfg.digits(b)} digits, pad {project.cfg.pad(b)}" in text


def test_static_headers_hold_no_array_numbers(project):
    """Numbers that differ between configs live only in frac_config.h."""
    generic = {"frac_types.h", "frac_digits.h", "frac_burst.h"}  # width-generic, no CFG
    for path in (project.hls / "include").glob("*.h"):
        text = strip_comments(path.read_text())
        assert "{{" not in text and "{%" not in text
        assert ("CFG::" in text) == (path.name not in generic), path.name
        for value in ("DESC_CYCLES = ", "BLOCK_CYCLES = ", "ET_CHECK_CYCLES = ", "ACC_WIDTH = "):
            assert value not in text, f"{path.name} defines {value}"


# ------------------------------------------------------------------ the dataflow structure
def _loop_bodies(text: str, function: str) -> list[tuple[str, str]]:
    """(header, body) of every for loop inside ``function``'s definition(s)."""
    out = []
    for m in re.finditer(rf"\b{function}\s*\([^;{{]*\)\s*\{{", text):
        body = block_after(text, m.end() - 1)
        out += [(header, inner) for header, *_, inner in _loops(body)]
    return out


def test_each_pass_is_a_dataflow_region_of_fetch_execute_result(project):
    src = synthesizable(project)
    region = _functions(src)["run_pass"]
    assert re.match(r"\s*#pragma HLS DATAFLOW\b", region), "run_pass does not open with DATAFLOW"
    calls = re.findall(r"\b(\w+)\s*<CFG>\s*\(", region)
    assert calls == ["fetch", "execute", "result"]
    streams = re.findall(r"hls::stream<[^;]+>\s+(\w+);", region)
    assert len(streams) == 3 and all(f"STREAM variable={s} depth=" in region for s in streams)
    bodies = _functions(src)
    # MEM has one reader (fetch) and one writer (result) in the region
    assert "mem" in bodies["fetch"] and "mem" not in bodies["execute"]
    assert not re.search(r"\bmem\s*\[[^\]]*\]\s*=", bodies["fetch"] + bodies["burst_pairs"])
    assert "const word_t *mem" in re.search(r"void fetch\([^)]*\)", src[
        "hls/include/frac_fetch.h"]).group(0)


def test_no_code_by_code_access_and_no_read_modify_write_of_gmem(project):
    """DDR is touched only as whole beats: reads in burst loops, writes by packers; the one
    read-then-write (merge_edge) runs after the region, in no loop but the descriptor walk."""
    src = synthesizable(project)
    text = "\n".join(src.values())
    assert not re.search(r"\bmem_(?:read|write)\w*\b", text)  # the per-code helpers are gone
    assert "read_plane_code" not in text
    accesses = {name: re.findall(r"\bmem\s*\[[^\]]*\]\s*(=(?!=))?", body)
                for name, body in _functions(src).items()}
    readers = sorted(n for n, a in accesses.items() if any(not w for w in a))
    writers = sorted(n for n, a in accesses.items() if any(w for w in a))
    assert readers == ["burst_pairs", "merge_edge", "read_descriptor"]
    assert writers == ["join_rows", "merge_edge", "packer_put"]
    for name, text_ in src.items():  # merge_edge: once per buffer and pass, never in a loop
        for header, *_, body in _loops(text_):
            if "merge_edge(" in body:
                assert "desc_count" in header, f"{name}: merge_edge inside '{header}'"
    walker = _functions(src)["walk"]
    assert walker.count("merge_edge(") == 4  # C and MASK, head and tail, once per pass


def test_beat_loops_and_inner_loops_are_pipelined_at_ii_1(project):
    src = synthesizable(project)
    text = "\n".join(src.values())
    checks = {"burst_pairs": "mem[first + t]", "unpack_lines": "in.read()",
              "execute": "array_step<CFG>(", "result": "packer_put(mem, cp[",
              "result ": "packer_put(mem, mp["}
    for function, marker in checks.items():
        function = function.strip()  # "result " is result's second loop
        # the innermost loops doing it: every loop inside them is unrolled
        loops = [(h, b) for h, b in _loop_bodies(text, function) if marker in b
                 and all("#pragma HLS UNROLL" in re.match(r"(\s*#pragma[^\n]*\n)*", inner).group(0)
                         for _, *_, inner in _loops(b))]
        assert loops, f"no inner loop in {function} does {marker}"
        for header, body in loops:
            leading = re.match(r"(\s*#pragma[^\n]*\n)*", body).group(0)
            assert "#pragma HLS PIPELINE II=1" in leading, f"{function}: '{header}' lacks II=1"


def test_the_m_axi_port_states_its_burst_options(project):
    from fpga_model.hls_cycles import maxi_settings

    top = (project.hls / f"{project.manifest['kernel']}.cpp").read_text()
    line = re.search(r"#pragma HLS INTERFACE m_axi[^\n]*", top).group(0)
    options = dict(re.findall(r"(\w+)=(\w+)", line))
    want = maxi_settings(project.cfg).pragma_options()
    assert {k: int(options[k]) for k in want} == want
    assert want["max_widen_bitwidth"] == 8 * project.cfg.board_info.port_bits // 8
    assert "One m_axi bundle, on purpose" in top  # the reason is stated where the port is
