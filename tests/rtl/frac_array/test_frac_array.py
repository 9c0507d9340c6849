"""The generated RTL (``frac_array_top``) under cocotb on Icarus and Verilator, against the model.

The DDR is a cocotbext-axi ``AxiRam``, the kernel is started through an ``AxiLiteMaster`` with
the register map, and after every run the whole DDR image is compared byte for byte with the
model's image, then STATUS/ERROR/CYCLES/DIGIT_PRODUCTS; the RTL's measured engine cycles must
equal ``fpga_model.cycles`` with ``==``. The cocotb coroutines are the ``run_*`` functions; the
pytest launcher at the bottom builds one simulation per (simulator, config) and runs them all
in it. The ArrayConfig reaches the cocotb side as JSON in ``FRACFPGA_CONFIG``.
"""

from __future__ import annotations

import os
from pathlib import Path

import cocotb
import numpy as np
import pytest

from codegen import rtlsim
from codegen.render import render_project
from codegen.vectors import VectorJob, make_job, standard_jobs
from fpga_model import ArrayConfig, Descriptor, Pass, code_range, gemm, needs_c64
from fpga_model.descriptor import DESC_BYTES, STAT_BYTES
from fpga_model.kernel import run_kernel
from fpga_model.memory import MemoryImage, operand_planes
from fpga_model.regmap import CTRL_BITS

pytestmark = pytest.mark.sim

HERE = Path(__file__).resolve().parent
BASE = 0x1000  # DDR window in the simulated address space
ODD_BASE = (1 << 32) + 0x2003  # MEM_HI in use, every buffer off its natural alignment


def config() -> ArrayConfig:
    return ArrayConfig.from_json(os.environ[rtlsim.CONFIG_ENV])


async def start(dut) -> rtlsim.RtlBench:
    bench = rtlsim.RtlBench(dut)
    await bench.reset()
    return bench


async def check_jobs(bench: rtlsim.RtlBench, jobs: list[VectorJob], *,
                     base: int = BASE) -> None:
    """Run each job; its image, registers and engine cycles must equal the model's."""
    for job in jobs:
        run = await bench.run(job.memory, job.desc_addr, job.desc_count, base=base)
        detail = rtlsim.check_run(run, job.expected, job.meta(), job.descriptors)
        assert detail == "", f"{job.name}: {detail}"
        assert run.registers["CYCLES"] == job.status.cycles, job.name
        bench.dut._log.info("%s: equal to the model (%d engine cycles, %d clock cycles)",
                            job.name, job.status.cycles, run.clock_cycles)


def _codes(rng, shape, bits, signed, edge=None):
    lo, hi = code_range(bits, signed)
    if edge == "min":
        return np.full(shape, lo, dtype=np.int32)
    if edge == "max":
        return np.full(shape, hi, dtype=np.int32)
    return rng.integers(lo, hi + 1, size=shape).astype(np.int32)


def _some_stop_tau(cfg, a, b, ab, bb, sa, sb, ring) -> int:
    part = gemm(cfg, a, b, ab, bb, a_signed=sa, b_signed=sb, stop_ring=ring, tau=0).values
    return int(np.median(np.abs(part)))


def long_k_job(cfg: ArrayConfig, seed: int = 7) -> VectorJob:
    """K beyond one buffered segment, several output blocks, early stop in every flavour."""
    rng = np.random.default_rng(seed)
    tm, tn = cfg.tiles
    lo, hi = min(cfg.bits), max(cfg.bits)
    mid = cfg.bits[len(cfg.bits) // 2]
    k_long = cfg.max_k
    img = MemoryImage(max_descriptors=8)
    cases = [  # a_bits, b_bits, a_signed, b_signed, (m, k, n), stop ring, tau
        (hi, lo, True, False, (2 * tm + 1, k_long, tn + 1), None, None),
        (lo, hi, False, True, (tm + 1, k_long - 3, 2 * tn), 0, "some"),
        (mid, mid, True, True, (tm, k_long, tn), 0, 0),  # every output stops: blocks skip
        (hi, hi, True, True, (tm + 2, k_long - 1, tn), 0, 1 << 62),  # none stops
        (hi, mid, True, True, (3, 2 * cfg.bricks + 1, 2),
         max(cfg.digits(hi), cfg.digits(mid)) - 1, "some"),  # stop at the last ring
    ]
    for ab, bb, sa, sb, (m, k, n), ring, tau in cases:
        a, b = _codes(rng, (m, k), ab, sa), _codes(rng, (k, n), bb, sb)
        if tau == "some":
            tau = _some_stop_tau(cfg, a, b, ab, bb, sa, sb, ring)
        img.add_pass(a, b, ab, bb, a_signed=sa, b_signed=sb, stop_ring=ring, tau=tau,
                     pass_=Pass.EB, layer=3)
    return make_job(cfg, "long-k", img)


def refusal_jobs(cfg: ArrayConfig) -> list[VectorJob]:
    """One job per error code: a valid descriptor, then one the kernel must refuse."""
    rng = np.random.default_rng(3)
    lo = min(cfg.bits)
    missing = next(b for b in range(2, 17) if b not in cfg.bits)
    jobs = []
    hi = max(cfg.bits)
    last = 7 if needs_c64(hi, hi, cfg.max_k) else 6  # int32 may hold every pair at every K
    for code in range(1, last + 1):
        img = MemoryImage(max_descriptors=2)
        img.add_pass(_codes(rng, (3, 5), lo, True), _codes(rng, (5, 2), lo, True), lo, lo)
        a, b = _codes(rng, (2, 4), lo, False), _codes(rng, (4, 2), lo, True)
        pa, pb = operand_planes(a, lo), operand_planes(b.T, lo)
        fields = {1: {}, 2: {"a_bits": missing}, 3: {"b_bits": missing}, 4: {"n": 0},
                  5: {"k": cfg.max_k + 1}, 6: {"stop_ring": cfg.digits(lo), "tau": 5},
                  7: {"a_bits": hi, "b_bits": hi, "k": cfg.max_k, "c64": False}}[code]
        img.add_descriptor(Descriptor(**{
            **dict(m=2, n=2, k=4, a_bits=lo, b_bits=lo, a_signed=False,
                   a_addr=img.alloc(len(pa), pa), b_addr=img.alloc(len(pb), pb),
                   c_addr=img.alloc(32), mask_addr=img.alloc(4),
                   stat_addr=img.alloc(STAT_BYTES)),
            **fields}))
        mem = img.to_bytes()
        if code == 1:  # a pass byte no Descriptor can hold
            mem[img.desc_addr + DESC_BYTES + 4] = 7
        after = bytearray(mem)
        status = run_kernel(cfg, after, img.desc_addr, 2)
        assert (status.status, status.error) == (2, code), (code, status)
        jobs.append(VectorJob(f"refused-{code}", bytes(mem), bytes(after), img.desc_addr, 2,
                              status, tuple(img.descriptors)))
    return jobs


# ------------------------------------------------------------------------------ cocotb tests
@cocotb.test()
async def run_standard_jobs(dut):
    """The shared vectors: every width pair, precision changing per descriptor, early stop,
    edges and a refused descriptor, back to back without a reset."""
    bench = await start(dut)
    await check_jobs(bench, standard_jobs(config()))


@cocotb.test()
async def run_backpressure(dut):
    """Random stalls on every AXI channel and a misaligned 64-bit DDR base: same bytes, same
    engine cycles (bus stalls are not engine cycles)."""
    bench = await start(dut)
    bench.set_backpressure(True, seed=11)
    jobs = {j.name: j for j in standard_jobs(config(), seed=5)}
    await check_jobs(bench, [jobs["early-stop"], jobs["edges"], jobs["refused"]],
                     base=ODD_BASE)


@cocotb.test()
async def run_long_k(dut):
    """K longer than the on-chip segment, at MAX_K; stop rings from 0 to the last."""
    bench = await start(dut)
    await check_jobs(bench, [long_k_job(config())])


@cocotb.test()
async def run_refusals(dut):
    """Every ERROR code in its order; the totals cover only the descriptor that completed."""
    bench = await start(dut)
    await check_jobs(bench, refusal_jobs(config()))


@cocotb.test()
async def run_corrupted_expectation_fails(dut):
    """The comparison is live: one flipped byte or a wrong register makes it report."""
    bench = await start(dut)
    job = next(j for j in standard_jobs(config()) if j.name == "edges")
    run = await bench.run(job.memory, job.desc_addr, job.desc_count)
    assert rtlsim.check_run(run, job.expected, job.meta(), job.descriptors) == ""
    d = job.descriptors[1]
    for offset, region in ((d.c_addr + 3, "C"), (d.mask_addr, "MASK"),
                           (d.stat_addr, "STAT.cycles")):
        bad = bytearray(job.expected)
        bad[offset] ^= 0x10
        detail = rtlsim.check_run(run, bytes(bad), job.meta(), job.descriptors)
        assert f"descriptor 1 {region}" in detail, detail
    meta = {**job.meta(), "cycles": job.meta()["cycles"] + 1}
    assert rtlsim.check_run(run, job.expected, meta, job.descriptors).startswith("CYCLES")


@cocotb.test()
async def run_control_registers(dut):
    """ap_ctrl_hs: idle after reset, AP_DONE clears on read, registers read back, an empty
    descriptor list finishes at once, the interrupt follows GIE/IER/ISR."""
    bench = await start(dut)
    idle, done = 1 << CTRL_BITS["AP_IDLE"], 1 << CTRL_BITS["AP_DONE"]
    assert await bench.read_reg("CTRL") & (idle | done) == idle
    for name, value in (("MEM_LO", 0x89ABCDEF), ("MEM_HI", 0x1234), ("DESC_ADDR", 0x40),
                        ("DESC_COUNT", 0)):
        await bench.write_reg(name, value)
        assert await bench.read_reg(name) == value, name
    await bench.write_reg("GIE", 0)
    await bench.write_reg("CTRL", 1 << CTRL_BITS["AP_START"])
    from cocotb.triggers import ClockCycles

    await ClockCycles(dut.ap_clk, 10)
    assert int(dut.interrupt.value) == 0  # GIE off
    ctrl = await bench.read_reg("CTRL")
    assert ctrl & (idle | done) == (idle | done)
    assert await bench.read_reg("CTRL") & done == 0  # cleared on read
    assert await bench.read_reg("STATUS") == 0 and await bench.read_reg64("CYCLES") == 0
    isr = await bench.read_reg("ISR")
    assert isr == 0  # IER was off
    job = standard_jobs(config())[-1]  # after this, a real run raises the interrupt
    run = await bench.run(job.memory, job.desc_addr, job.desc_count)
    assert run.registers["STATUS"] == job.status.status
    assert int(dut.interrupt.value) == 0  # ISR toggled back by the bench


# ------------------------------------------------------------------------------ launcher
CONFIGS = {
    # the default bit set on a small grid; 2-chunk K segments so that K = 64 takes four
    "b3-4-6-8-12": (dict(bits=(3, 4, 6, 8, 12), tiles=(2, 3), max_k=64), {"SEG_CHUNKS": 2},
                    None),
    # odd widths, 16 bits, 3x1 tiles of 4 bricks, a 56-bit accumulator, non-power-of-2 depth
    "b2-5-7-16": (dict(bits=(2, 5, 7, 16), tiles=(3, 1), bricks=4, acc_width=56, max_k=100), {},
                  "run_standard_jobs,run_long_k,run_refusals"),
}


@pytest.mark.parametrize("name", list(CONFIGS))
@pytest.mark.parametrize("sim", rtlsim.SIMULATORS)
def test_frac_array(request, sim, name):
    reason = rtlsim.simulator_available(sim)
    if reason:
        pytest.skip(reason)
    fields, parameters, testcase = CONFIGS[name]
    cfg = ArrayConfig(**fields)
    build_dir = HERE / "sim_build" / request.node.name.replace("[", "-").replace("]", "")
    project = render_project(cfg, build_dir / "project")
    build = rtlsim.build_rtl(project, sim, build_dir=build_dir / sim, parameters=parameters)
    rtlsim.run_rtl(build, "test_frac_array", test_dir=HERE, testcase=testcase,
                   extra_env={rtlsim.CONFIG_ENV: cfg.to_json()})
