"""Render an ArrayConfig into a project folder: HLS, Tcl, block design, RTL, vectors, manifest.

Every ``*.j2`` under ``hls_templates/<section>/`` becomes ``<out>/<section>/<name>`` (the
``.j2`` dropped); other files under ``hls_templates/<section>/include/`` are static headers and
are copied as they are. Templates get one context (``template_context``). The project is written
to a temporary folder and renamed into place, so a failure leaves nothing; regenerating keeps
build outputs (``codegen.project``); the output has no timestamps, so regenerating the same
config gives byte-identical files.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import jinja2

from fpga_model import (CYCLE_COSTS, DESC_BYTES, DESC_FIELDS, ERROR_CODES, ERRORS, KERNEL_NAME,
                        REGMAP, STAT_BYTES, STAT_FIELDS, VLNV, ArrayConfig, ConfigError)
from fpga_model.descriptor import C32_MAX_BITS, FLAGS, Pass
from fpga_model.operands import TAU_REL_ONE
from fpga_model.regmap import COUNTERS
from fpga_model.wall import MASK_ROW_BYTES
from fpga_model.hls_cycles import cycle_table, hls_buffers, maxi_settings

from .errors import ProjectError, TemplateError
from .project import (MANIFEST, generated_entries, read_manifest, regenerate_hint, staged_folder,
                      verify_manifest)
from .vectors import standard_jobs, write_jobs

__all__ = ["Project", "render_project", "load_project", "check_current", "template_context",
           "template_env",
           "TEMPLATE_DIR", "SECTIONS", "EXPECTED_TOOLS"]

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "hls_templates"
SECTIONS = ("hls", "tcl", "bd", "rtl")
# Vitis/Vivado release the generated Tcl is written for (PYNQ v3.0.1 pairs with 2022.1).
EXPECTED_TOOLS = {"vitis_hls": "2022.1", "vivado": "2022.1", "pynq": "3.0.1"}
# HLS clock uncertainty as a fraction of the period: Vitis HLS's default (27%), stated in the
# Tcl so the margin csynth leaves for Vivado's placement and routing is visible and fixed.
HLS_CLOCK_UNCERTAINTY = 0.27
# The packaged RTL IP (tcl/package_rtl.tcl): its folder, the top's integer parameters it pins
# (SEG_CHUNKS and BITS_MASK keep their generated defaults), the m_axi_gmem port's widths.
RTL_IP_DIR = "rtl_ip"
RTL_TOP_PARAMETERS = ("TM", "TN", "BRICKS", "ACC_WIDTH", "MAX_K", "MAX_DIGITS", "MAX_SHIFT",
                      "MAX_BITS", "PLANE_K")
GMEM_ADDR_BITS = 64
GMEM_DATA_BITS = 64
_IPXACT_ACCESS = {"rw": "read-write", "ro": "read-only", "wo": "write-only"}
_VIVADO_FAMILY = {"xc7": "zynq", "xcup": "zynquplus"}


def _version() -> str:
    try:
        return metadata.version("fracfpga")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def _tcl_quote(value: object) -> str:
    s = str(value)
    return "{" + s + "}" if re.search(r"[\s$\[\]{}\"\\;]", s) else s


def _sv_literal(value: int, width: int | None = None) -> str:
    if width is None:
        return str(int(value))
    return f"{width}'d{int(value)}" if value >= 0 else f"-{width}'sd{-int(value)}"


def _cpp_ident(value: object) -> str:
    s = re.sub(r"\W", "_", str(value))
    return s if not s[:1].isdigit() else "_" + s


def template_env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True, autoescape=False)
    env.filters.update(tcl_quote=_tcl_quote, sv_literal=_sv_literal, cpp_ident=_cpp_ident)
    return env


def register_map() -> list[dict]:
    """The HLS kernel's s_axilite map (the RTL's own counters, ``rtl_only``, are not in it)."""
    return [{"name": r.name, "offset": r.offset, "access": r.access, "doc": r.doc,
             "fields": {k: list(v) for k, v in r.fields.items()}} for r in REGMAP
            if not r.rtl_only]


def descriptor_layout() -> dict:
    return {
        "bytes": DESC_BYTES,
        "words": [{"name": n, "word": i, "doc": d} for n, i, d in DESC_FIELDS],
        "flags": dict(FLAGS),
        "passes": {p.name: int(p) for p in Pass},
        "stat_bytes": STAT_BYTES,
        "stat_fields": [{"name": n, "doc": d} for n, d in STAT_FIELDS],
        "error_codes": {str(k): v for k, v in ERROR_CODES.items()},
        "operands": "digit planes: per line (A row, B column) and 16-wide K chunk, D 32-bit "
                    "words, most significant plane first",
        "value_bits": "32, or 64 with the c64 flag", "mask_bits": 1,
    }


def _ipxact_size(bits: int) -> str:
    """2**bits bytes the way IP-XACT ranges are written (64 -> 16E, 12 -> 4K)."""
    for shift, unit in ((60, "E"), (50, "P"), (40, "T"), (30, "G"), (20, "M"), (10, "K")):
        if bits >= shift:
            return f"{1 << (bits - shift)}{unit}"
    return str(1 << bits)


def rtl_ip_context(cfg: ArrayConfig) -> dict:
    """What tcl/package_rtl.tcl needs: interfaces, register map and parameters of the RTL top."""
    control_bits = (max(r.offset for r in REGMAP) + 3).bit_length()
    params = cfg.hdl_parameters()
    return {
        "dir": RTL_IP_DIR,
        "project": f"{RTL_IP_DIR}_prj",
        "display_name": f"{KERNEL_NAME} RTL ({cfg.bits_text} bits, {cfg.tm}x{cfg.tn} tiles)",
        "description": (f"Recursive digit MAC array, {cfg.tm}x{cfg.tn} tiles, widths "
                        f"{cfg.bits_text}; generated Verilog, config {cfg.config_hash()}"),
        "family": _VIVADO_FAMILY[cfg.board_info.family],
        "clock_hz": int(round(cfg.clock_hz)),
        "control_addr_bits": control_bits,
        "control_range": 1 << control_bits,
        "gmem_addr_bits": GMEM_ADDR_BITS,
        "gmem_data_bits": GMEM_DATA_BITS,
        "gmem_range": _ipxact_size(GMEM_ADDR_BITS),
        "registers": [{"name": r.name, "offset": f"0x{r.offset:02X}",
                       "access": _IPXACT_ACCESS[r.access], "doc": r.doc} for r in REGMAP],
        "parameters": [(k, params[k]) for k in RTL_TOP_PARAMETERS]
        + [("C_S_AXI_CONTROL_ADDR_WIDTH", control_bits),
           ("C_M_AXI_GMEM_ADDR_WIDTH", GMEM_ADDR_BITS)],
    }


def hls_clock(cfg: ArrayConfig) -> dict:
    """The HLS clock: the array clock (the board's PL clock unless overridden) and its margin."""
    mhz = cfg.clock_hz / 1e6
    period = 1000.0 / mhz
    return {"mhz": mhz, "period_ns": round(period, 3),
            "uncertainty_ns": round(period * HLS_CLOCK_UNCERTAINTY, 3),
            "uncertainty_pct": round(100 * HLS_CLOCK_UNCERTAINTY)}


def template_context(cfg: ArrayConfig) -> dict:
    """Everything a template may read; Python computes tables, templates only loop."""
    params = {**cfg.hdl_parameters(), **CYCLE_COSTS.hdl_parameters()}
    widths = [{"bits": b, "digits": cfg.digits(b), "pad": cfg.pad(b)} for b in cfg.bits]
    return {
        "autogenerated": (f"Generated by fracfpga {_version()} from config {cfg.config_hash()}"
                          f" ({cfg.bits_text} bits, {cfg.tm}x{cfg.tn} tiles, {cfg.board})."
                          f" Do not edit."),
        "cfg": cfg,
        "board": cfg.board_info,
        "params": params,
        "hls_buffers": hls_buffers(cfg).hdl_parameters(),
        "maxi": maxi_settings(cfg).pragma_options(),
        "maxi_pragma": maxi_settings(cfg).pragma_text(),
        "cycle_table": cycle_table(cfg),
        "widths": widths,
        "pairs": cfg.pairs(),
        "regmap": REGMAP,
        "counters": COUNTERS,
        "desc_fields": DESC_FIELDS,
        "desc_bytes": DESC_BYTES,
        "stat_fields": STAT_FIELDS,
        "stat_bytes": STAT_BYTES,
        "error_codes": ERROR_CODES,
        "errors": ERRORS,
        "c32_max_bits": C32_MAX_BITS,
        "mask_row_bytes": MASK_ROW_BYTES,
        "tau_rel_one": TAU_REL_ONE,
        "flags": dict(FLAGS),
        "passes": {p.name: int(p) for p in Pass},
        "kernel": KERNEL_NAME,
        "vlnv": VLNV,
        "vlnv_parts": dict(zip(("vendor", "library", "name", "version"), VLNV.split(":"))),
        "clock_mhz": cfg.clock_hz / 1e6,
        "hls_clock": hls_clock(cfg),
        "rtl_ip": rtl_ip_context(cfg),
        "tools": EXPECTED_TOOLS,
        "project_name": cfg.name,
    }


def _render_all(cfg: ArrayConfig, root: Path) -> None:
    env = template_env()
    ctx = template_context(cfg)
    for src in sorted(TEMPLATE_DIR.rglob("*")):
        rel = src.relative_to(TEMPLATE_DIR)
        if not src.is_file() or "__pycache__" in rel.parts or rel.suffix == ".py":
            continue
        if src.suffix == ".j2":
            dst = root / rel.with_suffix("")
            try:
                text = env.get_template(rel.as_posix()).render(**ctx)
            except jinja2.TemplateSyntaxError as exc:
                raise TemplateError(f"{exc.filename or rel}:{exc.lineno}: {exc.message}") from exc
            except jinja2.UndefinedError as exc:
                raise TemplateError(f"{rel}: {exc.message}") from exc
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_text(text)
        elif "include" in rel.parts or rel.parts[0] in SECTIONS:
            dst = root / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)


def _hash_files(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != MANIFEST}


@dataclass(frozen=True)
class Project:
    """A generated project folder and the ArrayConfig it was made from."""

    root: Path
    cfg: ArrayConfig
    manifest: dict

    @property
    def vectors(self) -> Path:
        return self.root / "vectors"

    @property
    def hls(self) -> Path:
        return self.root / "hls"

    @property
    def rtl(self) -> Path:
        return self.root / "rtl"

    @property
    def logs(self) -> Path:
        return self.root / "logs"


def render_project(cfg: ArrayConfig, out: Path, *, seed: int = 0, clean: bool = False) -> Project:
    """Write the project for ``cfg`` to ``out`` atomically (replacing an earlier fracfpga project).

    Regenerating replaces the generated files only: build outputs and anything else the user
    put in the folder (``overlay/``, ``logs/``, ``dist/``, ``csim/``, ``sim/``, ...) are kept
    unless ``clean`` is set.
    """
    out = Path(out)
    if out.exists() and not (out / MANIFEST).is_file() and (not out.is_dir() or any(out.iterdir())):
        raise ProjectError(f"{out} exists and is not a fracfpga project; choose another --out "
                           f"or remove it")
    generated = {MANIFEST, "vectors", *SECTIONS}
    if not clean and (out / MANIFEST).is_file():
        try:
            generated |= generated_entries(read_manifest(out))
        except ProjectError:
            pass  # a corrupted manifest is replaced; its folder's other entries stay
    with staged_folder(out, keep_all_but=None if clean else generated) as tmp:
        _render_all(cfg, tmp)
        write_jobs(standard_jobs(cfg, seed=seed), tmp / "vectors")
        manifest = {
            "fracfpga": _version(),
            "name": cfg.name,
            "config": cfg.to_dict(),
            "config_hash": cfg.config_hash(),
            "parameters": {**cfg.hdl_parameters(), **CYCLE_COSTS.hdl_parameters()},
            "kernel": KERNEL_NAME,
            "vlnv": VLNV,
            "register_map": register_map(),
            "descriptor": descriptor_layout(),
            "board": {"name": cfg.board, "part": cfg.board_info.part,
                      "vivado_board_part": cfg.board_info.vivado_board_part,
                      "pynq_image": cfg.board_info.pynq_image},
            "expected_tools": EXPECTED_TOOLS,
            "vector_seed": seed,
            "files": _hash_files(tmp),
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return Project(out, cfg, manifest)


def load_project(path: Path, *, verify: bool = True) -> Project:
    """Open a generated project folder, verified against its manifest.

    The config must match its ``config_hash`` and every generated file its recorded SHA-256
    (``verify=False`` checks the config only); a tampered, truncated or incomplete project
    raises ``ProjectError`` naming the command that regenerates it.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"load_project needs the project folder as a str or Path, not "
                        f"{type(path).__name__}; pass e.g. load_project('build/zc706_b4-8_2x2')")
    path = Path(path)
    manifest = read_manifest(path)
    cfg = verify_manifest(path, manifest, files=verify)
    return Project(path, cfg, manifest)


def check_current(project: Project, section: str = "rtl") -> None:
    """Refuse a project whose ``section`` is not what this fracfpga renders for its config.

    A project generated by an earlier fracfpga keeps its hardware: measuring it against the
    current model (``fracfpga perf``) would compare two different designs. Rendering is cheap
    and byte-identical for the same config, so the check is equality of the file hashes.
    """
    import tempfile

    with tempfile.TemporaryDirectory(prefix="fracfpga-render-") as tmp:
        _render_all(project.cfg, Path(tmp))
        want = {rel: digest for rel, digest in _hash_files(Path(tmp)).items()
                if rel.split("/", 1)[0] == section}
    have = {rel: digest for rel, digest in (project.manifest.get("files") or {}).items()
            if rel.split("/", 1)[0] == section}
    if want != have:
        changed = sorted(set(want) ^ set(have) | {r for r in want if have.get(r) != want[r]})
        raise ProjectError(f"{project.root / section} is not what this fracfpga generates for "
                           f"its config ({changed[0]} differs, made by an earlier version?); "
                           f"the model would be compared with other hardware: "
                           f"{regenerate_hint(project.root, project.manifest)}")
