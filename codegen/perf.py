"""Wall-clock performance of one GEMM pass on the RTL, against the model and the two roofs.

``run_perf`` builds one random pass (a descriptor list of one) for a generated project, runs it
on the RTL in simulation with the board's memory-port model (beats served at the port's
sustained share of the bus, reads and writes together: one R or W beat per serving cycle,
``fpga_model.wall.MemoryPort``), counts the bytes on the AXI bus,
and reports them beside the model's numbers. DDR is the AXI memory inside the simulation
(``build_rtl(memory="hdl")``: no Python per beat), or cocotbext-axi's with ``memory="cocotb"``.
The report:

  wall_cycles          measured: the RTL's WALL_CYCLES counter (accepted start to DONE)
  counters             the RTL's stage counters (``fpga_model.regmap.COUNTERS``)
  model_wall_cycles    the model of the RTL as built (``fpga_model.pipeline.rtl_wall``): equal
                       to wall_cycles on a port that serves a beat per cycle (``port=False``);
                       on the board's slower port the expected waits of its duty and of
                       the turns reads and writes take (``board_port_timing(latency=False)``;
                       within 2.5% on the default array's ResNet-38 cells)
  model_counters       the same model's stage counters
  model_roofline_cycles  the roofline (``fpga_model.latency_seconds``: the larger of the engine
                       cycles and the DRAM bytes at the port) in array cycles; the ledger
                       charges the wall clock instead (``host.ledger``)
  engine_cycles        the RTL's CYCLES register (== the model's, checked as part of ``exact``)
  axi_read_bytes, axi_write_bytes   counted on the bus in simulation
  model_dram_bytes     the model's DDR traffic (``dram_bits`` / 8): == the bytes on the bus
  compute_roof_cycles, memory_roof_cycles, port_bytes_per_cycle   (``fpga_model.wall``)
  exact                the DDR image and the registers equal the model's

The memory-port model leaves out the port's read latency (the simulated RAM answers at once).
``run_perf(..., port=False)`` serves a beat every cycle instead (the bus's own rate), where the
wall-clock model is exact.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fpga_model import ArrayConfig, ConfigError, Pass, code_range, latency_seconds, pass_counters
from fpga_model.memory import MemoryImage, read_pass
from fpga_model.operands import TAU_REL_ONE
from fpga_model.pipeline import PortTiming, board_port_timing, rtl_wall
from fpga_model.wall import compute_roof_cycles, memory_port, memory_roof_cycles, port_duty

from .render import Project
from .rtlsim import build_rtl, job_results, run_rtl_jobs, sim_memory_words
from .simulators import simulator_name
from .vectors import make_job, write_jobs

__all__ = ["PerfRequest", "perf_image", "port_duty", "run_perf"]

PASSES = {"fw": Pass.FW, "eb": Pass.EB, "gc": Pass.GC}


@dataclass(frozen=True)
class PerfRequest:
    """One pass to measure: shape, width pair, pass, optional early stop (an absolute ``tau``
    or ``tau_rel`` = beta * 2^16, relative to the pass's largest prefix: two sweeps),
    simulator, seed."""

    m: int
    k: int
    n: int
    a_bits: int
    b_bits: int
    pass_: str = "fw"
    stop_ring: int | None = None
    tau: int | None = None
    sim: str = "verilator"
    seed: int = 0
    prefix: tuple[int, int] | None = None  # early stop on the top (p, q) digits of A and B
    tau_rel: int | None = None  # instead of tau: beta * 2^16 of the pass's largest |prefix|

    def check(self, cfg: ArrayConfig) -> None:
        """Refuse a request the project cannot run, naming the fix (ConfigError)."""
        if self.pass_ not in PASSES:
            raise ConfigError(f"unknown pass {self.pass_!r}; pass --pass fw, eb or gc")
        simulator_name(self.sim)
        if min(self.m, self.k, self.n) < 1:
            raise ConfigError(f"shape {self.m},{self.k},{self.n} has an empty dimension; pass "
                              f"--shape M,K,N with each at least 1")
        if self.k > cfg.max_k:
            raise ConfigError(f"K={self.k} exceeds the project's max K {cfg.max_k}; pass a "
                              f"smaller K or regenerate with a larger --max-k")
        cfg.check_pair(self.a_bits, self.b_bits)
        if self.stop_ring is not None and self.prefix is not None:
            raise ConfigError("--stop-ring and --prefix both name the early-stop prefix; pass "
                              "one of them")
        if self.tau is not None and self.tau_rel is not None:
            raise ConfigError("--tau and --tau-rel both set the early-stop threshold; pass one "
                              "of them")
        if (self.stop_ring is None and self.prefix is None) != (self.tau is None
                                                                 and self.tau_rel is None):
            raise ConfigError("early stop needs --tau (or --tau-rel) with --stop-ring or "
                              "--prefix (or none of them)")
        if self.prefix is not None:
            (p, q), da, db = self.prefix, cfg.digits(self.a_bits), cfg.digits(self.b_bits)
            if not (1 <= p <= da and 1 <= q <= db):
                raise ConfigError(f"prefix {p},{q} is outside 1..{da} x 1..{db} digits for the "
                                  f"{self.a_bits}x{self.b_bits} pair; pass --prefix P,Q with "
                                  f"1 <= P <= {da} and 1 <= Q <= {db}")
        rings = max(cfg.digits(self.a_bits), cfg.digits(self.b_bits))
        if self.stop_ring is not None and not 0 <= self.stop_ring < rings:
            raise ConfigError(f"stop ring {self.stop_ring} is outside 0..{rings - 1} for the "
                              f"{self.a_bits}x{self.b_bits} pair")
        if self.tau is not None and not 0 <= self.tau < (1 << 63):
            raise ConfigError(f"tau {self.tau} must be a non-negative integer below 2^63")
        if self.tau_rel is not None and not 0 <= self.tau_rel <= TAU_REL_ONE:
            raise ConfigError(f"tau_rel {self.tau_rel} is outside 0..{TAU_REL_ONE} (beta * "
                              f"2^16); pass --tau-rel with 0 <= TAU_REL <= {TAU_REL_ONE}")


def perf_image(cfg: ArrayConfig, req: PerfRequest) -> MemoryImage:
    """The DDR image of the request: random codes (signed A and B) from ``req.seed``."""
    rng = np.random.default_rng(req.seed)
    lo, hi = code_range(req.a_bits, True)
    a = rng.integers(lo, hi + 1, (req.m, req.k), dtype=np.int32)
    lo, hi = code_range(req.b_bits, True)
    b = rng.integers(lo, hi + 1, (req.k, req.n), dtype=np.int32)
    img = MemoryImage(max_descriptors=1)
    img.add_pass(a, b, req.a_bits, req.b_bits, stop_ring=req.stop_ring, tau=req.tau,
                 prefix=req.prefix, pass_=PASSES[req.pass_], tau_rel=req.tau_rel)
    return img


def run_perf(project: Project, req: PerfRequest, work: Path, *, memory: str = "hdl",
             port: bool = True) -> dict:
    """Run the request on the project's RTL (building it under ``work``); return the report.

    ``port``: serve DDR at the board's memory-port rate (else a beat every cycle)."""
    cfg = project.cfg
    req.check(cfg)
    job = make_job(cfg, "perf", perf_image(cfg, req))
    vectors = work / "vectors"
    shutil.rmtree(vectors, ignore_errors=True)
    write_jobs([job], vectors)
    d = job.descriptors[0]
    stopped = read_pass(job.expected, d).stopped if d.early_stop else None
    counters = pass_counters(cfg, d.m, d.n, d.k, d.a_bits, d.b_bits, d.stop_ring, stopped,
                             prefix=d.prefix, two_sweeps=d.tau_rel is not None)
    mport = memory_port(cfg)
    duty = port_duty(mport) if port else None
    wall = rtl_wall(cfg, [d], [stopped],
                    port=board_port_timing(cfg, latency=False) if port else PortTiming())
    model_cycles = job.status.cycles
    timeout = 64 * model_cycles + 64 * (counters["dram_bits"] // 8) + 100_000
    if memory == "hdl":
        words = sim_memory_words(req.sim, len(job.memory))
        busy, period = duty or (1, 1)
        build = build_rtl(project, req.sim, memory="hdl",
                          build_dir=work / f"{req.sim}-hdl-{words}-{busy}of{period}",
                          parameters={"WORDS": words, "BUSY": busy, "PERIOD": period})
        duty = None  # a build parameter of the HDL memory
    else:
        build = build_rtl(project, req.sim, build_dir=work / req.sim)
    (outcome,) = run_rtl_jobs(project, req.sim, build=build, vectors=vectors,
                              port_duty=duty, timeout_cycles=timeout)
    (raw,) = job_results(build)
    return {
        "shape": [req.m, req.k, req.n], "pair": [req.a_bits, req.b_bits], "pass": req.pass_,
        "stop_ring": req.stop_ring, "prefix": list(req.prefix) if req.prefix else None,
        "tau": req.tau, "tau_rel": req.tau_rel, "sim": req.sim, "seed": req.seed,
        "wall_cycles": raw["counters"]["wall_cycles"],
        "model_wall_cycles": wall.wall_cycles,
        "counters": raw["counters"],
        "model_counters": wall.counters(),
        "model_roofline_cycles": round(latency_seconds(cfg, counters) * cfg.clock_hz),
        "engine_cycles": raw["cycles"],
        "model_engine_cycles": model_cycles,
        "axi_read_bytes": raw["axi_read_bytes"],
        "axi_write_bytes": raw["axi_write_bytes"],
        "model_dram_bytes": counters["dram_bits"] // 8,
        "compute_roof_cycles": compute_roof_cycles(cfg, req.m, req.n, req.k, req.a_bits,
                                                   req.b_bits),
        "memory_roof_cycles": memory_roof_cycles(cfg, req.m, req.n, req.k, req.a_bits,
                                                 req.b_bits),
        "port": mport.name if port else "bus",
        "port_bytes_per_cycle": mport.bytes_per_cycle if port else float(mport.bus_bytes),
        "exact": outcome.passed,
        "detail": outcome.detail,
        "sim_seconds": raw["seconds"],
        "sim_cycles_per_s": round(raw["clock_cycles"] / max(raw["seconds"], 1e-9)),
        "memory_model": memory,
    }

