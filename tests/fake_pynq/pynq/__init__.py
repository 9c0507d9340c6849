"""A stand-in for the ``pynq`` package in tests: a "board" whose kernel is the emulator.

Only what the fracfpga driver touches: ``Device.devices``, ``Overlay`` (ip_dict from the .hwh,
drivers bound by VLNV through ``DefaultIP``'s metaclass, fallback to ``DefaultIP`` with a
warning when a driver raises ``UnsupportedConfiguration``), ``allocate`` and ``DefaultIP``
read/write. Every register access and download is appended to ``DEVICE.log``, so tests can
assert the exact transactions (PYNQ's ``check_transactions`` idea).

``FAKE_PYNQ_DEVICES=0`` in the environment makes it a machine without a device. Tests swap
``DEVICE`` for a ``ScriptedDevice`` to answer reads from a script.
"""

from __future__ import annotations

import os
import time
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

__version__ = "0+fake"

_drivers: dict[str, type] = {}


class UnsupportedConfiguration(Exception):
    """A driver that cannot handle the IP's configuration."""


class EmulatedDevice:
    """The board: device memory and the emulated kernel behind the MMIO window."""

    name = "fake-zynq"

    def __init__(self) -> None:
        self.log: list[tuple] = []
        self.kernel = None
        self.memory = None
        self.downloads = 0

    def attach(self, cfg) -> None:
        from host.accel.buffers import DeviceMemory
        from host.accel.emulator import EmulatedKernel

        self.memory = DeviceMemory(base=0x1800_0000)
        self.kernel = EmulatedKernel(cfg, self.memory)
        self.clock_hz = cfg.clock_hz
        self.t0 = time.monotonic()

    def _catch_up(self) -> None:
        """The kernel runs in real time at the array clock, as on a board."""
        now = int((time.monotonic() - self.t0) * self.clock_hz)
        if now > self.kernel.cycle_count():
            self.kernel.wait(now - self.kernel.cycle_count())

    def download(self, bitfile: str) -> None:
        self.downloads += 1
        self.log.append(("download", Path(bitfile).name))
        if self.kernel is not None:
            self.kernel.reset()

    def read(self, offset: int) -> int:
        self._catch_up()
        value = self.kernel._read(offset)
        self.log.append(("read", offset, value))
        return value

    def write(self, offset: int, value: int) -> None:
        self._catch_up()
        self.log.append(("write", offset, value))
        self.kernel._write(offset, value)

    def allocate(self, shape, dtype):
        return self.memory.allocate(shape, dtype)


class ScriptedDevice(EmulatedDevice):
    """Answers register reads from a script of (offset, value); checks that reads match it."""

    def __init__(self, reads: list[tuple[int, int]]) -> None:
        super().__init__()
        self.script = list(reads)

    def attach(self, cfg) -> None:
        from host.accel.buffers import DeviceMemory

        self.memory = DeviceMemory(base=0x1800_0000)

    def read(self, offset: int) -> int:
        want, value = self.script.pop(0)
        assert offset == want, f"read 0x{offset:X}, the script expected 0x{want:X}"
        self.log.append(("read", offset, value))
        return value

    def write(self, offset: int, value: int) -> None:
        self.log.append(("write", offset, value))


DEVICE = EmulatedDevice()


class _DeviceMeta(type):
    @property
    def devices(cls):
        return [] if os.environ.get("FAKE_PYNQ_DEVICES") == "0" else [DEVICE]


class Device(metaclass=_DeviceMeta):
    """``pynq.Device``: ``Device.devices`` lists the devices found."""


class _RegisterIP(type):
    def __init__(cls, name, bases, attrs):
        for vlnv in attrs.get("bindto", []):
            _drivers[vlnv] = cls
            _drivers[vlnv.rpartition(":")[0]] = cls
        super().__init__(name, bases, attrs)


class DefaultIP(metaclass=_RegisterIP):
    """``pynq.DefaultIP``: 32-bit read/write at offsets of the IP's window."""

    def __init__(self, description: dict) -> None:
        self.description = description

    def read(self, offset: int = 0) -> int:
        return DEVICE.read(offset)

    def write(self, offset: int, value: int) -> None:
        DEVICE.write(offset, value)


def _config_json(manifest: Path) -> str:
    import json

    return json.dumps(json.loads(manifest.read_text())["config"])


def _ip_dict(hwh: Path) -> dict:
    out = {}
    for mod in ET.parse(hwh).getroot().iter("MODULE"):
        regs = {}
        for r in mod.iter("REGISTER"):
            for p in r.iter("PROPERTY"):
                if p.get("NAME") == "ADDRESS_OFFSET":
                    regs[r.get("NAME")] = {"address_offset": int(p.get("VALUE"), 0)}
        out[mod.get("INSTANCE")] = {
            "fullpath": mod.get("INSTANCE"), "type": mod.get("VLNV"), "phys_addr": 0x43C0_0000,
            "addr_range": 0x1_0000, "registers": regs,
            "parameters": {p.get("NAME"): p.get("VALUE") for p in mod.iter("PARAMETER")}}
    return out


class Overlay:
    """``pynq.Overlay``: parses the .hwh beside the bitstream, downloads, builds drivers."""

    def __init__(self, bitfile_name: str, download: bool = True, ignore_version: bool = False):
        if not Device.devices:
            raise RuntimeError("No Devices Found")
        self.bitfile_name = str(bitfile_name)
        self.ip_dict = _ip_dict(Path(bitfile_name).with_suffix(".hwh"))
        if DEVICE.memory is None:  # the board's array: the project's manifest beside overlay/
            from fpga_model import ArrayConfig

            manifest = Path(bitfile_name).resolve().parent.parent / "manifest.json"
            DEVICE.attach(ArrayConfig.from_json(_config_json(manifest)))
        if download:
            self.download()

    def download(self) -> None:
        DEVICE.download(self.bitfile_name)

    def __getattr__(self, name: str):
        if name not in self.__dict__.get("ip_dict", {}):
            raise AttributeError(f"Could not find IP or hierarchy {name} in overlay")
        desc = self.ip_dict[name]
        driver = _drivers.get(desc["type"], DefaultIP)
        try:
            ip = driver(desc)
        except UnsupportedConfiguration as exc:
            warnings.warn(f"Could not use driver for {name}: {exc}; using DefaultIP",
                          UserWarning, stacklevel=2)
            ip = DefaultIP(desc)
        setattr(self, name, ip)
        return ip


def allocate(shape, dtype="u4", target=None, **kwargs):
    """``pynq.allocate``: a numpy array with ``physical_address`` and the sync methods."""
    if not Device.devices:
        raise RuntimeError("No Devices Found")
    return DEVICE.allocate(shape, dtype)
