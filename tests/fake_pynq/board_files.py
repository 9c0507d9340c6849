"""Overlay files for tests: a .bit with a real header layout, and a .hwh with the kernel IP."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from fpga_model.regmap import VLNV

# .bit header: a length-prefixed magic, then 0x0001, then fields a..d, then e (bitstream data)
_MAGIC = bytes.fromhex("0ff00ff00ff00ff000")


def bit_bytes(part: str, design: str = "design_1_wrapper;UserID=0XFFFFFFFF;Version=2022.1",
              payload: bytes = b"\xff" * 64) -> bytes:
    out = len(_MAGIC).to_bytes(2, "big") + _MAGIC + (1).to_bytes(2, "big")
    for key, text in (("a", design), ("b", part), ("c", "2026/11/22"), ("d", "12:00:00")):
        raw = text.encode() + b"\0"
        out += key.encode() + len(raw).to_bytes(2, "big") + raw
    return out + b"e" + len(payload).to_bytes(4, "big") + payload


def hwh_text(parameters: Mapping[str, object] | None = None,
             registers: Mapping[str, int] | None = None, vlnv: str = VLNV,
             instance: str = "frac") -> str:
    params = {"C_S_AXI_CONTROL_ADDR_WIDTH": 7, "C_M_AXI_GMEM_DATA_WIDTH": 64,
              **(parameters or {})}
    regs = registers if registers is not None else {
        "CTRL": 0, "MEM_1": 16, "MEM_2": 20, "DESC_ADDR": 28, "DESC_COUNT": 36, "STATUS": 44}
    p = "\n".join(f'        <PARAMETER NAME="{k}" VALUE="{v}"/>' for k, v in params.items())
    r = "\n".join(f'            <REGISTER NAME="{k}"><PROPERTY NAME="ADDRESS_OFFSET" '
                  f'VALUE="{v}"/><PROPERTY NAME="SIZE" VALUE="32"/></REGISTER>'
                  for k, v in regs.items())
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<EDKSYSTEM EDWVERSION="1.2" TIMESTAMP="Sun Nov 22 12:00:00 2026" VIVADOVERSION="2022.1">
  <MODULES>
    <MODULE FULLNAME="/ps" INSTANCE="ps" MODTYPE="processing_system7"
            VLNV="xilinx.com:ip:processing_system7:5.5">
      <PARAMETERS><PARAMETER NAME="C_FCLK_CLK0_FREQ" VALUE="200000000"/></PARAMETERS>
    </MODULE>
    <MODULE FULLNAME="/{instance}" INSTANCE="{instance}" MODTYPE="frac_array_top" VLNV="{vlnv}">
      <ADDRESSBLOCKS>
        <ADDRESSBLOCK INTERFACE="s_axi_control" NAME="Reg" RANGE="128" USAGE="register">
          <REGISTERS>
{r}
          </REGISTERS>
        </ADDRESSBLOCK>
      </ADDRESSBLOCKS>
      <PARAMETERS>
{p}
      </PARAMETERS>
    </MODULE>
  </MODULES>
</EDKSYSTEM>
"""


def write_overlay(root: Path, part: str, **hwh: object) -> tuple[Path, Path]:
    """Write ``root/overlay/frac_array.bit`` and ``.hwh``; return their paths."""
    d = Path(root) / "overlay"
    d.mkdir(parents=True, exist_ok=True)
    bit, hwh_path = d / "frac_array.bit", d / "frac_array.hwh"
    bit.write_bytes(bit_bytes(part))
    hwh_path.write_text(hwh_text(**hwh))
    return bit, hwh_path
