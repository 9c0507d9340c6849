"""The kernel's AXI4-Lite registers as data, accessed in layers.

``RegisterFile`` is the one checked interface the driver uses: public ``read32()``/``write32()``
check the offset (aligned, inside the window, a register of ``REGMAP``, writable when written)
and the value, then call ``_read()``/``_write()``, which are all a backend supplies. Names and
fields come from ``fpga_model.regmap.REGMAP``; nothing here re-derives an offset.

Reading CTRL has a side effect on the hardware (ap_done and ap_ready clear on read), so
``repr()`` never reads: it shows each register and field as last seen through this object.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from typing import Protocol

from fpga_model.regmap import REGMAP, Register, register

from .errors import RegisterAccessError

__all__ = ["RegisterFile", "IpRegisters", "RegisterIp", "WINDOW_BYTES", "check_access",
           "field_value"]

# Address window of the s_axilite slave: the next power of two above the last register.
WINDOW_BYTES = 1 << (max(r.offset for r in REGMAP) + 3).bit_length()
_BY_OFFSET = {r.offset: r for r in REGMAP}


def check_access(offset: int, value: int | None = None) -> Register:
    """The register at ``offset``, or RegisterAccessError naming what is wrong with the access.

    Args:
        offset: byte offset in the s_axilite window.
        value: the value to write, or None for a read.
    """
    if not isinstance(offset, int) or isinstance(offset, bool):
        raise RegisterAccessError(f"register offset {offset!r} is not an integer; pass a byte "
                                  f"offset such as 0x{REGMAP[0].offset:02X}")
    if offset % 4:
        raise RegisterAccessError(f"register offset 0x{offset:X} is not 32-bit aligned; "
                                  f"use a multiple of 4")
    if not 0 <= offset < WINDOW_BYTES:
        shown = f"0x{offset:X}" if offset >= 0 else f"-0x{-offset:X}"
        raise RegisterAccessError(f"register offset {shown} is outside the 0x{WINDOW_BYTES:X}"
                                  f"-byte control window; registers: "
                                  f"{', '.join(r.name for r in REGMAP)}")
    reg = _BY_OFFSET.get(offset)
    if reg is None:
        raise RegisterAccessError(f"no register at offset 0x{offset:02X}; registers: "
                                  + ", ".join(f"{r.name}@0x{r.offset:02X}" for r in REGMAP))
    if value is not None:
        if reg.access == "ro":
            raise RegisterAccessError(f"register {reg.name} (0x{offset:02X}) is read-only; "
                                      f"read it instead")
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 1 << 32:
            raise RegisterAccessError(f"value {value!r} for {reg.name} does not fit 32 bits; "
                                      f"write an integer 0..0xFFFFFFFF")
    elif reg.access == "wo":
        raise RegisterAccessError(f"register {reg.name} (0x{offset:02X}) is write-only")
    return reg


def field_value(reg: Register, field: str, value: int) -> int:
    """Extract ``field`` (MSB-first, inclusive, as in the datasheet) from a register value."""
    try:
        msb, lsb = reg.fields[field]
    except KeyError:
        known = ", ".join(reg.fields) or "none"
        raise RegisterAccessError(f"register {reg.name} has no field {field!r}; fields: "
                                  f"{known}") from None
    return (value >> lsb) & ((1 << (msb - lsb + 1)) - 1)


class RegisterIp(Protocol):
    """What a PYNQ-style IP offers: 32-bit ``read(offset)`` and ``write(offset, value)``."""

    def read(self, offset: int = 0) -> int: ...

    def write(self, offset: int, value: int) -> None: ...


class RegisterFile(ABC):
    """Checked access to the kernel's registers; backends override ``_read``/``_write`` only.

    The optional hooks ``_wait(cycles)`` and ``cycle_count()`` give polling a clock: the
    emulator counts modeled cycles, a board converts wall time with the array clock.
    """

    label = "registers"

    def __init__(self) -> None:
        self._seen: dict[int, int] = {}

    # ------------------------------------------------------------------ backend hooks
    @abstractmethod
    def _read(self, offset: int) -> int:
        """Read a 32-bit register (offset already checked)."""

    @abstractmethod
    def _write(self, offset: int, value: int) -> None:
        """Write a 32-bit register (offset and value already checked)."""

    def _wait(self, cycles: int) -> None:
        """Let ``cycles`` kernel clock cycles pass (between polls)."""

    def cycle_count(self) -> int:
        """A monotonic count of kernel clock cycles (what the poll bounds are counted in)."""
        return 0

    # ------------------------------------------------------------------ public interface
    def read32(self, offset: int) -> int:
        """Read the register at byte ``offset``."""
        check_access(offset)
        value = int(self._read(offset)) & 0xFFFFFFFF
        self._seen[offset] = value
        return value

    def write32(self, offset: int, value: int) -> None:
        """Write ``value`` (0..2^32-1) to the register at byte ``offset``."""
        check_access(offset, value)
        self._write(offset, value)
        self._seen[offset] = value

    def read(self, name: str) -> int:
        """Read a register by name (see ``REGMAP``)."""
        return self.read32(self._named(name).offset)

    def write(self, name: str, value: int) -> None:
        """Write a register by name."""
        self.write32(self._named(name).offset, value)

    def field(self, name: str, field: str) -> int:
        """Read register ``name`` once and return its ``field``."""
        reg = self._named(name)
        return field_value(reg, field, self.read32(reg.offset))

    def wait(self, cycles: int) -> None:
        """Let ``cycles`` kernel clock cycles pass."""
        self._wait(int(cycles))

    @staticmethod
    def _named(name: str) -> Register:
        try:
            return register(name)
        except KeyError as exc:
            raise RegisterAccessError(exc.args[0]) from None

    def __repr__(self) -> str:
        parts = []
        for r in REGMAP:
            v = self._seen.get(r.offset)
            if r.fields:
                inner = ", ".join(f"{f}={'?' if v is None else field_value(r, f, v)}"
                                  for f in r.fields)
                parts.append(f"  {r.name} = Register({inner}),")
            else:
                parts.append(f"  {r.name} = {'?' if v is None else f'0x{v:X}'},")
        return f"{type(self).__name__}({self.label}) {{\n" + "\n".join(parts) + "\n}"


class IpRegisters(RegisterFile):
    """A ``RegisterFile`` over any PYNQ-style IP (``DefaultIP``, ``FracArray``, a test fake).

    Backend-specific usage:

    - ``ip`` needs ``read(offset)`` and ``write(offset, value)`` only;
    - ``clock_hz`` turns wall time into kernel cycles for the poll bounds (a board has no cycle
      counter the host can read between runs), and ``_wait`` sleeps that long.
    """

    def __init__(self, ip: RegisterIp, *, clock_hz: float, label: str = "ip") -> None:
        super().__init__()
        self.ip = ip
        self.clock_hz = float(clock_hz)
        self.label = label
        self._t0 = time.monotonic()

    def _read(self, offset: int) -> int:
        return self.ip.read(offset)

    def _write(self, offset: int, value: int) -> None:
        self.ip.write(offset, value)

    def _wait(self, cycles: int) -> None:
        if cycles > 0:
            time.sleep(cycles / self.clock_hz)

    def cycle_count(self) -> int:
        return int((time.monotonic() - self._t0) * self.clock_hz)
