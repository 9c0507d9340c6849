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
    own = {p.name for p in (project.hls / "include").glob("*.h")} | {
        "frac_config.h", "frac_array_top.h"}
    for name, text in synthesizable(project).items():
        for system in re.findall(r'#include\s*<([^>]+)>', text):
            assert system == "stdint.h", f"{name} includes <{system}>"
        for local in re.findall(r'#include\s*"([^"]+)"', text):
            assert local == "ap_int.h" or Path(local).name in own, f"{name} includes {local}"


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
    assert "run_pass" in calls["walk"] and "array_step" in calls["run_pass"]  # the graph is real


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
    assert seen_variable >= 7  # blocks (2), rings, chunks, ring pairs, codes, descriptors


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
    generic = {"frac_types.h", "frac_digits.h", "frac_mem.h"}  # width-generic, no CFG
    for path in (project.hls / "include").glob("*.h"):
        text = strip_comments(path.read_text())
        assert "{{" not in text and "{%" not in text
        assert ("CFG::" in text) == (path.name not in generic), path.name
        for value in ("DESC_CYCLES = ", "BLOCK_CYCLES = ", "ET_CHECK_CYCLES = ", "ACC_WIDTH = "):
            assert value not in text, f"{path.name} defines {value}"
