"""Register access in layers: checked read32/write32, names and fields, the emulated ap_ctrl_hs."""

from __future__ import annotations

import numpy as np
import pytest

from fpga_model import ArrayConfig
from fpga_model.kernel import run_kernel
from fpga_model.memory import MemoryImage
from fpga_model.regmap import CTRL_BITS, REGMAP, register
from host.accel.buffers import DeviceMemory
from host.accel.emulator import ACCESS_CYCLES, EmulatedKernel
from host.accel.errors import RegisterAccessError
from host.accel.regfile import WINDOW_BYTES, IpRegisters, RegisterFile, check_access

START, DONE, IDLE, READY = (1 << CTRL_BITS[k] for k in ("AP_START", "AP_DONE", "AP_IDLE",
                                                         "AP_READY"))


class Recorder(RegisterFile):
    """A register file that records every access (and answers reads from a dict)."""

    def __init__(self, values: dict[int, int] | None = None) -> None:
        super().__init__()
        self.values = dict(values or {})
        self.log: list[tuple[str, int, int]] = []

    def _read(self, offset: int) -> int:
        v = self.values.get(offset, 0)
        self.log.append(("r", offset, v))
        return v

    def _write(self, offset: int, value: int) -> None:
        self.values[offset] = value
        self.log.append(("w", offset, value))


def test_window_covers_every_register():
    assert all(r.offset + 4 <= WINDOW_BYTES for r in REGMAP)
    assert WINDOW_BYTES & (WINDOW_BYTES - 1) == 0


@pytest.mark.parametrize("offset, value, message", [
    (0x11, None, r"^register offset 0x11 is not 32-bit aligned; use a multiple of 4$"),
    (WINDOW_BYTES, None, (rf"^register offset 0x{WINDOW_BYTES:X} is outside the "
                          rf"0x{WINDOW_BYTES:X}-byte control window; registers: CTRL, GIE, ")),
    (-4, None, r"^register offset -0x4 is outside"),
    (0x18, None, r"^no register at offset 0x18; registers: CTRL@0x00, GIE@0x04, "),
    (register("STATUS").offset, 1, r"^register STATUS \(0x2C\) is read-only; read it instead$"),
    (register("DESC_COUNT").offset, 1 << 32,
     r"^value 4294967296 for DESC_COUNT does not fit 32 bits; write an integer 0..0xFFFFFFFF$"),
    (register("DESC_COUNT").offset, -1, r"^value -1 for DESC_COUNT does not fit 32 bits"),
    ("16", None, r"^register offset '16' is not an integer"),
])
def test_check_access_refuses(offset, value, message):
    with pytest.raises(RegisterAccessError, match=message):
        check_access(offset, value)


def test_checks_happen_before_the_backend_is_called():
    regs = Recorder()
    with pytest.raises(RegisterAccessError):
        regs.write32(0x2C, 5)
    with pytest.raises(RegisterAccessError):
        regs.read32(0x13)
    assert regs.log == []


def test_names_fields_and_repr():
    regs = Recorder({0x00: IDLE | READY, register("DESC_COUNT").offset: 7})
    text = repr(regs)
    assert "CTRL = Register(AP_START=?, AP_DONE=?, AP_IDLE=?, AP_READY=?, AUTO_RESTART=?)" in text
    assert regs.field("CTRL", "AP_IDLE") == 1 and regs.field("CTRL", "AP_DONE") == 0
    regs.write("MEM_LO", 0x1234)
    assert regs.read("DESC_COUNT") == 7
    text = repr(regs)
    assert "CTRL = Register(AP_START=0, AP_DONE=0, AP_IDLE=1, AP_READY=1, AUTO_RESTART=0)" in text
    assert "MEM_LO = 0x1234," in text and "DESC_COUNT = 0x7," in text and "STATUS = ?," in text
    assert [r.name for r in REGMAP if f"  {r.name} =" in text] == [r.name for r in REGMAP]
    # repr reads nothing: CTRL's clear-on-read bits are safe
    assert regs.log == [("r", 0, IDLE | READY), ("r", 0, IDLE | READY),
                        ("w", register("MEM_LO").offset, 0x1234),
                        ("r", register("DESC_COUNT").offset, 7)]
    with pytest.raises(RegisterAccessError, match=r"^no register 'NOPE'; registers: CTRL, "):
        regs.read("NOPE")
    with pytest.raises(RegisterAccessError, match=r"^register CTRL has no field 'GO'; fields: "
                                                  r"AP_START, AP_DONE, AP_IDLE, AP_READY, "
                                                  r"AUTO_RESTART$"):
        regs.field("CTRL", "GO")


def test_ip_registers_wrap_a_pynq_style_ip():
    class Ip:
        def __init__(self):
            self.log = []

        def read(self, offset=0):
            self.log.append(("r", offset))
            return 0x4

        def write(self, offset, value):
            self.log.append(("w", offset, value))

    ip = Ip()
    regs = IpRegisters(ip, clock_hz=100e6)
    regs.write("DESC_ADDR", 0x40)
    assert regs.field("CTRL", "AP_IDLE") == 1
    assert ip.log == [("w", 0x1C, 0x40), ("r", 0x00)]
    a = regs.cycle_count()
    regs.wait(100_000)  # 1 ms at 100 MHz
    assert regs.cycle_count() - a >= 100_000


@pytest.fixture
def kernel():
    cfg = ArrayConfig(bits=(4, 8), tiles=(2, 2), max_k=64)
    return EmulatedKernel(cfg, DeviceMemory())


def test_emulated_kernel_resets_idle(kernel):
    assert kernel.read32(0) == IDLE
    assert kernel.read("STATUS") == 0 and kernel.read("CYCLES_LO") == 0


def test_emulated_kernel_reads_the_rtl_counters_as_zero(kernel):
    from fpga_model.regmap import REGMAP

    rtl_only = [r.name for r in REGMAP if r.rtl_only]
    assert "WALL_CYCLES_LO" in rtl_only
    assert [kernel.read(name) for name in rtl_only] == [0] * len(rtl_only)


def test_emulated_kernel_handshake(kernel):
    img = MemoryImage(max_descriptors=1)
    img.add_pass(np.ones((5, 20), dtype=np.int16), np.ones((20, 3), dtype=np.int16), 8, 4)
    data = img.to_bytes()
    expected = bytearray(data)
    status = run_kernel(kernel.cfg, expected, 0, 1)
    mem = kernel.memory.allocate(len(data))
    mem[:] = np.frombuffer(bytes(data), dtype=np.uint8)
    mem.sync_to_device()
    kernel.write("MEM_LO", mem.physical_address)
    kernel.write("DESC_COUNT", 1)
    kernel.write("IER", 1)
    kernel.write32(0, START)
    assert status.cycles > 2 * ACCESS_CYCLES
    assert kernel.read32(0) == START  # busy: not idle, not done
    kernel.wait(status.cycles)
    ctrl = kernel.read32(0)
    assert ctrl == DONE | IDLE | READY
    assert kernel.read32(0) == IDLE  # done and ready clear on read
    assert (kernel.read("STATUS"), kernel.read("ERROR"), kernel.read("CYCLES_LO")) == (
        0, 0, status.cycles)
    mem.sync_from_device()
    assert mem.tobytes() == bytes(expected)
    assert kernel.read("ISR") == 1
    kernel.write("ISR", 1)  # toggle on write
    assert kernel.read("ISR") == 0


def test_emulated_kernel_counts_cycles_and_ignores_start_while_busy(kernel):
    mem = kernel.memory.allocate(4096)
    kernel.write("MEM_LO", mem.physical_address)
    kernel.write("DESC_COUNT", 1)
    kernel.inject_hang()
    t0 = kernel.cycle_count()
    kernel.write32(0, START)
    assert kernel.cycle_count() - t0 == ACCESS_CYCLES
    kernel.wait(10_000)
    assert kernel.read32(0) & (IDLE | DONE) == 0
    kernel.write32(0, START)  # busy: ignored
    assert kernel.starts == 1
    kernel.reset()
    assert kernel.read32(0) == IDLE
