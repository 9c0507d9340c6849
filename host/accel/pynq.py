"""The pynq target: the kernel on a PYNQ board (``pynq.Overlay``, ``pynq.allocate``, MMIO).

``pynq`` is an optional extra (it pins numpy<2), so it is imported here only, and only when a
function needs it. Accessing ``FracArray`` (or calling ``register_driver()``) defines the PYNQ
driver class: ``FracArray(DefaultIP)`` with ``bindto = [VLNV]``, which PYNQ then binds to the
kernel IP of any overlay. It refuses, with PYNQ's ``UnsupportedConfiguration``, an IP whose
.hwh parameters or register offsets disagree with the manifest the target set on it.

Training on this target (``for_training``): every pass the driver hands over (its K chunks)
becomes one program on the board's kernel, its values, stop masks and counters checked against
the model's on every pass. The overlay comes from the project folder ``FRACFPGA_PYNQ_PROJECT``
(default ``build/<config name>``, where ``fracfpga generate`` puts it), checked against its
manifest, whose config must be the training run's array; ``FRACFPGA_PYNQ_LAYERS``/
``FRACFPGA_PYNQ_BATCHES`` select passes as for the rtl target (default: all of them).

Target-specific usage:

- needs a PYNQ image (``pip install fracfpga[pynq]`` or the runtime wheel of ``fracfpga
  package``) and the overlay files in ``<project>/overlay/`` (``frac_array.bit``, ``.hwh``);
- the files are checked against the manifest before anything is downloaded
  (``host.accel.overlay.check_overlay``);
- poll bounds are kernel cycles, measured as wall time times the manifest's array clock;
- ``recover()`` after a timeout downloads the bitstream again, which resets the kernel.
"""

from __future__ import annotations

import importlib
import os
import warnings
import weakref
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

import numpy as np

from fpga_model.regmap import VLNV

from .errors import (
    AcceleratorUnavailable,
    BitstreamMismatch,
    OverlayNotFound,
    UnsupportedConfiguration,
)
from .overlay import IP_NAME, IpFacts, check_overlay, ip_problems
from .regfile import IpRegisters
from .target import Availability, RegisterTarget

__all__ = ["PynqTarget", "probe", "register_driver", "import_pynq"]

# pynq module -> its FracArray class (weak: a test's fake pynq may come and go)
_DRIVERS: weakref.WeakKeyDictionary[ModuleType, type] = weakref.WeakKeyDictionary()


def import_pynq() -> ModuleType:
    """Import pynq (the only place that does).

    Raises:
        AcceleratorUnavailable: pynq is not installed or does not load.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return importlib.import_module("pynq")
    except ImportError:
        raise AcceleratorUnavailable("pynq is not installed; on a PYNQ board install the "
                                     "runtime with 'pip install fracfpga[pynq]'") from None
    except Exception as exc:  # noqa: BLE001 - e.g. OSError from a missing XRT library
        raise AcceleratorUnavailable(f"pynq does not load ({type(exc).__name__}: {exc})") from None


def probe(project: Any = None) -> Availability:
    """Whether this machine is a PYNQ board: pynq imports and finds a device."""
    try:
        pynq = import_pynq()
    except AcceleratorUnavailable as exc:
        reason = str(exc).split(";")[0]
        return Availability(False, reason)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            devices = list(pynq.Device.devices)
    except Exception as exc:  # noqa: BLE001 - RuntimeError("No Devices Found") off-board
        return Availability(False, f"pynq found no device ({exc})")
    if not devices:
        return Availability(False, "pynq found no device (this is not a PYNQ board)")
    return Availability(True, f"PYNQ device {getattr(devices[0], 'name', devices[0])!s}")


def _unsupported_class(pynq: ModuleType) -> type[Exception]:
    """An exception that is both ours and PYNQ's ``UnsupportedConfiguration`` (when it has one)."""
    theirs = getattr(pynq, "UnsupportedConfiguration", None)
    if theirs is None:
        theirs = getattr(getattr(pynq, "overlay", None), "UnsupportedConfiguration", None)
    if not isinstance(theirs, type) or issubclass(UnsupportedConfiguration, theirs):
        return UnsupportedConfiguration
    return type("UnsupportedConfiguration", (UnsupportedConfiguration, theirs),
                {"__module__": __name__})


def register_driver(pynq: ModuleType | None = None) -> type:
    """Define (once per pynq module) and return ``FracArray``, PYNQ's driver for the kernel."""
    pynq = pynq or import_pynq()
    cls = _DRIVERS.get(pynq)
    if cls is not None:
        return cls
    unsupported = _unsupported_class(pynq)

    class FracArray(pynq.DefaultIP):
        """PYNQ driver of the recursive digit array kernel (bound by VLNV).

        ``manifest`` (a class attribute the target sets before loading an overlay) is what the
        IP is checked against; ``registers`` gives checked, named register access.
        """

        bindto = [VLNV]  # noqa: RUF012 - PYNQ reads a list
        manifest: ClassVar[Mapping[str, Any] | None] = None
        clock_hz: ClassVar[float] = 100e6

        def __init__(self, description: Mapping[str, Any]) -> None:
            manifest = type(self).manifest
            if manifest is not None:
                name = str(description.get("fullpath", IP_NAME))
                problems = ip_problems(IpFacts.from_description(name, description), manifest)
                if problems:
                    raise unsupported(f"{problems[0]}; rebuild the overlay for this manifest")
            super().__init__(description)
            self.registers = IpRegisters(self, clock_hz=type(self).clock_hz, label="FracArray")

        def __repr__(self) -> str:
            return repr(self.registers)

    FracArray.__module__ = __name__
    FracArray.unsupported = unsupported
    _DRIVERS[pynq] = FracArray
    return FracArray


def __getattr__(name: str) -> Any:  # PEP 562: FracArray exists once pynq is imported
    if name == "FracArray":
        return register_driver()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class PynqTarget(RegisterTarget):
    """Runs programs on the kernel of a loaded overlay (see the module docstring).

    Args:
        project: the generated project or package folder (``Project``: root, cfg, manifest).
        download: load the bitstream (False: use the one already loaded).
        ip_name: the kernel's instance name in the block design.
    """

    name: ClassVar[str] = "pynq"

    def __init__(self, project: Any, *, download: bool = True, ip_name: str = IP_NAME) -> None:
        if not hasattr(project, "manifest"):
            raise OverlayNotFound("the pynq backend needs a project folder with a manifest and "
                                  "an overlay; pass build/<name>, not a bare ArrayConfig")
        files = check_overlay(project.root, project.manifest)
        self.pynq = import_pynq()
        self.cfg = project.cfg
        driver = register_driver(self.pynq)
        driver.manifest = project.manifest
        driver.clock_hz = self.cfg.clock_hz
        self.overlay = self.pynq.Overlay(str(files.bit), download=download)
        try:
            ip = getattr(self.overlay, ip_name)
        except AttributeError:
            raise BitstreamMismatch(f"the overlay {files.bit} has no IP {ip_name!r}; the kernel "
                                    f"must be the block design cell '{IP_NAME}'") from None
        if not isinstance(ip, driver):  # PYNQ fell back to DefaultIP: say why
            desc = self.overlay.ip_dict.get(ip_name, {})
            problems = ip_problems(IpFacts.from_description(ip_name, desc), project.manifest)
            raise UnsupportedConfiguration(
                f"{files.hwh}: {problems[0] if problems else 'the kernel IP has another type'}; "
                f"rebuild the overlay for this manifest")
        self.ip = ip
        self._regs = ip.registers

    @classmethod
    def probe(cls, project: Any = None) -> Availability:
        return probe(project)

    @classmethod
    def create(cls, project: Any, **options: Any) -> PynqTarget:
        return cls(project, **options)

    @classmethod
    def for_training(cls, cfg: Any, *, project: Path | str | None = None,
                     layers: str | None = None, batches: str | int | None = None) -> Any:
        """Training's passes on the board (default: all of them; see the module docstring)."""
        from codegen.render import load_project

        from .emulator import EmulatorTarget
        from .passes import Offload, PassSelection

        env = os.environ
        folder = Path(project or env.get("FRACFPGA_PYNQ_PROJECT") or Path("build") / cfg.name)
        proj = load_project(folder)
        if proj.cfg.config_hash() != cfg.config_hash():
            raise AcceleratorUnavailable(f"{folder} was generated for {proj.cfg!r}, training "
                                         f"uses {cfg!r}; set FRACFPGA_PYNQ_PROJECT to a "
                                         f"matching project")
        selection = PassSelection.parse(
            layers if layers is not None else env.get("FRACFPGA_PYNQ_LAYERS"),
            batches if batches is not None else env.get("FRACFPGA_PYNQ_BATCHES"))
        return Offload(cls(proj), selection, EmulatorTarget(cfg))

    @property
    def clock_hz(self) -> float:
        return self.cfg.clock_hz

    @property
    def registers(self) -> IpRegisters:
        return self._regs

    def allocate(self, shape: int | tuple[int, ...], dtype: Any = np.uint8) -> np.ndarray:
        return self.pynq.allocate(shape=shape, dtype=dtype)

    def recover(self) -> None:
        self.overlay.download()

    def __repr__(self) -> str:
        return f"PynqTarget({self.overlay.bitfile_name if hasattr(self.overlay, 'bitfile_name') else self.overlay!r})"
