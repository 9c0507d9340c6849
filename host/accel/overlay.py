"""The overlay files of a project (``overlay/frac_array.bit`` and ``.hwh``) and their checks.

Before a board loads a bitstream, the driver checks, without pynq and without touching the
device, that the files belong to the project's manifest:

- both files exist (else ``OverlayNotFound`` naming how to build them);
- their SHA-256 equal the ones recorded when the project was packaged (``overlay`` in the
  manifest, written by ``fracfpga package``), when such a record exists;
- the .bit header names the manifest's FPGA part;
- the .hwh holds the kernel IP (``VLNV``), and wherever it states a parameter of the array
  (``TM``, ``TN``, ``BITS_MASK``, ... or ``C_``-prefixed) or a register offset, the value is the
  manifest's (else ``UnsupportedConfiguration``).

``ip_problems`` is shared with the PYNQ driver class, which applies it to PYNQ's ``ip_dict``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codegen.project import file_sha256
from fpga_model.regmap import REGMAP, VLNV

from .errors import BitstreamMismatch, OverlayNotFound, UnsupportedConfiguration

__all__ = ["OVERLAY_DIR", "BITFILE", "HWHFILE", "IP_NAME", "OverlayFiles", "IpFacts",
           "BitHeader", "find_overlay", "read_bit_header", "read_hwh", "ip_problems",
           "check_overlay", "file_sha256", "part_key"]

OVERLAY_DIR = "overlay"
BITFILE = "frac_array.bit"
HWHFILE = "frac_array.hwh"
IP_NAME = "frac"  # the kernel's instance name in the block design


@dataclass(frozen=True)
class OverlayFiles:
    """The bitstream and hardware handoff of one overlay."""

    bit: Path
    hwh: Path


@dataclass(frozen=True)
class BitHeader:
    """What a Xilinx .bit header says: design name, part, date and time."""

    design: str
    part: str
    date: str = ""
    time: str = ""


@dataclass(frozen=True)
class IpFacts:
    """The kernel IP as a .hwh (or PYNQ's ``ip_dict``) describes it."""

    name: str
    vlnv: str
    parameters: Mapping[str, str] = field(default_factory=dict)
    registers: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def from_description(cls, name: str, description: Mapping[str, Any]) -> IpFacts:
        """From a PYNQ ``ip_dict`` entry (type, parameters, registers/address_offset)."""
        regs = {}
        for rname, r in (description.get("registers") or {}).items():
            off = r.get("address_offset") if isinstance(r, Mapping) else None
            if off is not None:
                regs[rname] = int(off)
        params = {str(k): str(v) for k, v in (description.get("parameters") or {}).items()}
        return cls(name, str(description.get("type", "")), params, regs)


def find_overlay(folder: Path) -> OverlayFiles:
    """The overlay files under ``folder/overlay``.

    Raises:
        OverlayNotFound: one is missing (the message says how to build it).
    """
    d = Path(folder) / OVERLAY_DIR
    files = OverlayFiles(d / BITFILE, d / HWHFILE)
    for p in (files.bit, files.hwh):
        if not p.is_file():
            raise OverlayNotFound(f"{p} is missing; build the bitstream with 'vivado -mode batch "
                                  f"-source bd/build_bd.tcl' in {folder} (or copy {OVERLAY_DIR}/ "
                                  f"from the build machine)")
    return files


def read_bit_header(path: Path) -> BitHeader:
    """Parse the header of a Xilinx .bit file (fields a..d before the bitstream data).

    Raises:
        BitstreamMismatch: the file does not start like a .bit file.
    """
    data = Path(path).read_bytes()[:4096]
    bad = BitstreamMismatch(f"{path} is not a Xilinx .bit file (no header); rebuild it with "
                            f"bd/build_bd.tcl")
    try:
        pos = 2 + int.from_bytes(data[0:2], "big")  # length-prefixed magic
        pos += 2  # 0x0001
        fields: dict[str, str] = {}
        while pos < len(data) and len(fields) < 4:
            key = chr(data[pos])
            if key == "e":
                break
            length = int.from_bytes(data[pos + 1:pos + 3], "big")
            fields[key] = data[pos + 3:pos + 3 + length].rstrip(b"\0").decode("ascii")
            pos += 3 + length
    except (IndexError, UnicodeDecodeError):
        raise bad from None
    if "a" not in fields or "b" not in fields:
        raise bad
    return BitHeader(fields["a"], fields["b"], fields.get("c", ""), fields.get("d", ""))


def part_key(part: str) -> str:
    """A part name as .bit headers spell it: 'xc7z045ffg900-2' -> '7z045ffg900'."""
    p = part.lower()
    p = p.removeprefix("xc")
    return p.split("-")[0]


def _int(text: str) -> int:
    return int(text, 0) if text.strip().lower().startswith("0x") else int(text)


def read_hwh(path: Path, vlnv: str = VLNV) -> IpFacts | None:
    """The kernel IP in a .hwh file (the first MODULE of type ``vlnv``, any version), or None."""
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise BitstreamMismatch(f"{path} is not a readable .hwh file ({exc}); copy the "
                                f"hardware handoff again") from None
    want = vlnv.rsplit(":", 1)[0]
    for mod in root.iter("MODULE"):
        mod_vlnv = mod.get("VLNV", "")
        if mod_vlnv.rsplit(":", 1)[0] != want:
            continue
        params = {p.get("NAME", ""): p.get("VALUE", "")
                  for p in mod.iter("PARAMETER") if p.get("NAME")}
        regs = {}
        for r in mod.iter("REGISTER"):
            for prop in r.iter("PROPERTY"):
                if prop.get("NAME") == "ADDRESS_OFFSET":
                    try:
                        regs[r.get("NAME", "")] = _int(prop.get("VALUE", ""))
                    except ValueError:
                        pass
        return IpFacts(mod.get("INSTANCE", ""), mod_vlnv, params, regs)
    return None


def _hls_names(name: str) -> tuple[str, ...]:
    """How Vitis HLS may name a REGMAP register in a .hwh: MEM_LO is MEM_1, MEM_HI is MEM_2."""
    if name.endswith("_LO"):
        return (name, name[:-3] + "_1")
    if name.endswith("_HI"):
        return (name, name[:-3] + "_2")
    return (name,)


def ip_problems(ip: IpFacts, manifest: Mapping[str, Any]) -> list[str]:
    """Every way the IP disagrees with the manifest, as one-line sentences (empty: it agrees)."""
    problems = []
    want = manifest.get("vlnv", VLNV)
    if ip.vlnv != want:
        problems.append(f"IP {ip.name!r} is {ip.vlnv or 'untyped'}, not {want}")
    params = manifest.get("parameters", {})
    upper = {k.upper(): v for k, v in ip.parameters.items()}
    expected = {**{k.upper(): v for k, v in params.items()},
                "CONFIG_HASH": manifest.get("config_hash")}
    for name, value in expected.items():
        if value is None:
            continue
        for spelled in (name, "C_" + name):
            if spelled in upper:
                have = upper[spelled]
                try:
                    same = _int(str(have)) == int(value)
                except (TypeError, ValueError):
                    same = str(have).strip().lower() == str(value).strip().lower()
                if not same:
                    problems.append(f"IP {ip.name!r} was built with {name}={have}, the manifest "
                                    f"says {name}={value}")
                break
    offsets = {r["name"]: r["offset"] for r in manifest.get("register_map", [])} or \
        {r.name: r.offset for r in REGMAP}
    for name, offset in offsets.items():
        for spelled in _hls_names(name):
            if spelled in ip.registers:
                if ip.registers[spelled] != offset:
                    problems.append(f"IP {ip.name!r} has {spelled} at "
                                    f"0x{ip.registers[spelled]:02X}, the manifest says "
                                    f"0x{offset:02X}")
                break
    return problems


def check_overlay(folder: Path, manifest: Mapping[str, Any]) -> OverlayFiles:
    """Check the overlay under ``folder`` against ``manifest`` (see the module docstring).

    Raises:
        OverlayNotFound: a file is missing.
        BitstreamMismatch: a recorded hash, the part or the IP type differ.
        UnsupportedConfiguration: the IP states array parameters or offsets that differ.
    """
    files = find_overlay(folder)
    record = manifest.get("overlay") or {}
    for key, path in (("bit_sha256", files.bit), ("hwh_sha256", files.hwh)):
        want = record.get(key)
        if want and file_sha256(path) != want:
            raise BitstreamMismatch(f"{path} does not match the manifest (its SHA-256 differs "
                                    f"from the packaged one); copy the package's "
                                    f"{OVERLAY_DIR}/ again or repackage with 'fracfpga package'")
    header = read_bit_header(files.bit)
    part = (manifest.get("board") or {}).get("part")
    if part and part_key(header.part) != part_key(part):
        raise BitstreamMismatch(f"{files.bit} was built for part {header.part}, the manifest's "
                                f"board needs {part}; rebuild the bitstream for "
                                f"{manifest.get('name', 'this project')}")
    ip = read_hwh(files.hwh)
    if ip is None:
        raise BitstreamMismatch(f"{files.hwh} holds no {VLNV} IP; this overlay was not built "
                                f"from this project, rebuild it with bd/build_bd.tcl")
    problems = ip_problems(ip, manifest)
    if problems:
        raise UnsupportedConfiguration(f"{files.hwh}: {problems[0]}; regenerate and rebuild the "
                                       f"overlay for this manifest")
    return files
