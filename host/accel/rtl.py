"""The rtl backend: the generated Verilog under cocotb, driven through its AXI4-Lite registers.

cocotb runs inside the simulator's process, so this backend does not hold a register port: it
writes each ``Program`` with its DDR image to a run folder, runs the one generic cocotb test
``host.accel.rtl_replay`` on a build made once by ``codegen.rtlsim.build_rtl``, and copies the
DDR window the simulation left back into its device memory. The driver above cannot tell it
from the emulator or a board.

Training on this target (``for_training``): each selected pass the driver hands over (its K
chunks) becomes one program on the RTL, replayed over the AXI4-Lite register map; the values,
stop masks and counters equal the emulator's exactly (the kernel's STAT records are checked
against the model on every pass), so a training run here gives the emulator's numbers. A
simulation is slow (an 8x8 array runs about a thousand cycles per second on Icarus), so by
default only the classifier (``last``: the layer where backward starts) of the first 2
mini-batches runs on the RTL and the rest on the emulator; set ``FRACFPGA_RTL_LAYERS``
(``last``, ``all`` or ids such as ``0,9``), ``FRACFPGA_RTL_BATCHES`` (``0``: every
mini-batch) and ``FRACFPGA_RTL_SIM`` (``icarus`` or ``verilator``), or pass ``layers=``,
``batches=``, ``sim=``. AXI pause generators are off there (they change timing, never
values); ``FRACFPGA_RTL_PAUSE=1`` turns them on.

Target-specific usage:

- needs cocotb, cocotbext-axi and a simulator (``icarus`` by default; ``sim="verilator"``
  builds slower and runs faster), and a project with ``rtl/``; given a bare ``ArrayConfig`` it
  generates one under ``build/.accel/`` (reused while the config is the same);
- ``pause=True`` (default) turns on cocotbext-axi pause generators on every AXI channel;
- every run is a fresh simulation from reset, so ``recover()`` has nothing to do and
  ``registers`` is None (read results through the ``Accelerator``);
- poll bounds are simulated clock cycles; a kernel that never finishes costs the whole bound
  in simulation time, so keep ``timeout_cycles`` small in tests.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from .buffers import DeviceMemory
from .errors import AcceleratorUnavailable
from .program import Program, ProgramResult
from .target import Availability, Target

__all__ = ["RtlTarget", "project_for", "DEFAULT_SIM", "CACHE_DIR", "MEMORY_BASE"]

DEFAULT_SIM = "icarus"
# DDR window of the simulated address space: above 4 GiB, so MEM_HI is exercised too
MEMORY_BASE = (1 << 32) + 0x10_0000
CACHE_DIR = Path("build") / ".accel"
TEST_MODULE = "host.accel.rtl_replay"


def project_for(cfg: Any, root: Path = CACHE_DIR) -> Any:
    """A generated project for ``cfg`` under ``root``, rendered again only when it changed.

    The project is rendered to a scratch folder and compared file by file (manifest hashes)
    with the one in place; an unchanged project keeps its files and their times, so the
    simulator builds stay valid, while new templates (a fixed RTL) replace it.
    """
    from codegen.render import load_project, render_project

    folder = Path(root) / f"{cfg.name}-{cfg.config_hash()[:8]}"
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".render-", dir=folder.parent) as tmp:
        fresh = render_project(cfg, Path(tmp) / "project")
        if (folder / "manifest.json").is_file():
            current = load_project(folder)
            if current.manifest.get("files") == fresh.manifest["files"]:
                return current
    return render_project(cfg, folder)


def _sim_reason(sim: str) -> str | None:
    try:
        from codegen.rtlsim import simulator_available
    except ImportError as exc:  # cocotb-free import fails only if codegen itself is broken
        return f"the RTL simulation wrapper does not load ({exc})"
    try:
        return simulator_available(sim)
    except Exception as exc:  # noqa: BLE001 - an unknown simulator name
        return str(exc)


SIMULATOR_ORDER = (DEFAULT_SIM, "verilator")  # Icarus first: it builds in a blink


def _simulators() -> tuple[list[str], str]:
    """The simulators that can run here, in preference order, and why the first one cannot."""
    found, first = [], ""
    for sim in SIMULATOR_ORDER:
        reason = _sim_reason(sim)
        if reason:
            first = first or reason
        else:
            found.append(sim)
    return found, first


def _first_simulator() -> tuple[str | None, str]:
    """The first simulator that can run here, or why none can."""
    found, reason = _simulators()
    return (found[0], "") if found else (None, reason)


class RtlTarget(Target):
    """Runs programs on the RTL in a simulator (see the module docstring).

    Args:
        project: a generated ``Project`` (with ``rtl/``) or an ``ArrayConfig``.
        sim: "icarus" or "verilator" (default: the first installed, Icarus first).
        pause: pause generators on every AXI channel.
        seed: seed of the pause patterns.
        memory_base: physical address of the first buffer in the simulated DDR.
    """

    name: ClassVar[str] = "rtl"

    def __init__(self, project: Any, *, sim: str | None = None, pause: bool = True,
                 seed: int = 1, memory_base: int = MEMORY_BASE) -> None:
        if sim is None:
            sim, reason = _first_simulator()
        else:
            reason = _sim_reason(sim)
        if sim is None or reason:
            raise AcceleratorUnavailable(f"backend 'rtl' is not available: {reason}")
        self.project = project if hasattr(project, "manifest") else project_for(project)
        self.cfg = self.project.cfg
        self.sim = sim
        self.pause = pause
        self.seed = seed
        self.memory = DeviceMemory(base=memory_base)
        self._build = None
        self._work: Path | None = None
        self.runs = 0

    @classmethod
    def probe(cls, project: Any = None) -> Availability:
        sims, reason = _simulators()
        if not sims:
            return Availability(False, reason)
        names = ["cocotb", *sims]
        have = f"{', '.join(names[:-1])} and {names[-1]} are installed"
        if project is not None and hasattr(project, "manifest"):
            top = project.rtl / "frac_array_top.v"
            if not top.is_file():
                return Availability(False, f"{project.root} has no rtl/frac_array_top.v; "
                                           f"regenerate it with 'fracfpga generate'")
            return Availability(True, f"{have} and {project.root} has rtl/")
        return Availability(True, have)

    @classmethod
    def create(cls, project: Any, **options: Any) -> RtlTarget:
        return cls(project, **options)

    @classmethod
    def for_training(cls, cfg: Any, *, layers: str | None = None,
                     batches: str | int | None = None, sim: str | None = None,
                     pause: bool | None = None) -> Any:
        """Selected passes on the RTL, the rest on the emulator (see the module docstring)."""
        from .emulator import EmulatorTarget
        from .passes import Offload, PassSelection

        env = os.environ
        selection = PassSelection.parse(
            layers if layers is not None else env.get("FRACFPGA_RTL_LAYERS"),
            batches if batches is not None else env.get("FRACFPGA_RTL_BATCHES", "2"),
            default_layers="last")
        if pause is None:
            pause = env.get("FRACFPGA_RTL_PAUSE", "0") not in ("", "0")
        device = cls(cfg, sim=sim or env.get("FRACFPGA_RTL_SIM") or None, pause=pause)
        return Offload(device, selection, EmulatorTarget(cfg))

    @property
    def clock_hz(self) -> float:
        return self.cfg.clock_hz

    @property
    def build(self):
        """The simulator build, made on first use (``codegen.rtlsim.build_rtl``)."""
        if self._build is None:
            from codegen.rtlsim import build_rtl

            self._build = build_rtl(self.project, self.sim)
        return self._build

    def prepare(self) -> None:
        self.build  # noqa: B018 - builds once, here rather than in the first run

    def allocate(self, shape: int | tuple[int, ...], dtype: Any = np.uint8) -> np.ndarray:
        return self.memory.allocate(shape, dtype)

    def execute(self, program: Program) -> ProgramResult:
        from codegen.rtlsim import run_rtl

        build = self.build
        if self._work is None:
            self._work = Path(tempfile.mkdtemp(prefix="accel-", dir=build.build_dir))
        run = self._work
        for stale in ("result.json", "image.out.bin"):
            (run / stale).unlink(missing_ok=True)
        window = self.memory.window(program.base, program.size)
        program.save(run / "program.json")
        (run / "image.bin").write_bytes(window.tobytes())
        (run / "options.json").write_text(json.dumps({"pause": self.pause,
                                                      "seed": self.seed + self.runs}))
        self.runs += 1
        run_rtl(build, TEST_MODULE, testcase="run_program",
                extra_env={"FRACFPGA_RUN": str(run)}, log_name="accel.log")
        window[:] = np.frombuffer((run / "image.out.bin").read_bytes(), dtype=np.uint8)
        return ProgramResult.from_dict(json.loads((run / "result.json").read_text()))

    def close(self) -> None:
        if self._work is not None:
            shutil.rmtree(self._work, ignore_errors=True)
            self._work = None

    def __repr__(self) -> str:
        return f"RtlTarget({self.sim}, {self.project.root})"
