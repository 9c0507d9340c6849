"""The rtl backend: Programs replayed on the generated RTL through cocotbext-axi, against the model.

The cocotb test is the backend's own generic replay (``host.accel.rtl_replay.run_program``);
this launcher drives it through the ``Accelerator`` exactly as ``fracfpga deploy`` and
``fracfpga train --backend rtl`` do, with pause generators on every AXI channel and the DDR
window above 4 GiB (MEM_HI in use). One project and one build per simulator, reused.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from codegen import rtlsim
from codegen.vectors import standard_jobs
from fpga_model import ArrayConfig, gemm
from fpga_model.memory import MemoryImage
from host.accel import Accelerator, KernelTimeout
from host.accel.rtl import RtlTarget, project_for

pytestmark = pytest.mark.sim

HERE = Path(__file__).resolve().parent
CFG = ArrayConfig(bits=(3, 4, 8), tiles=(2, 2), max_k=64)
SIMS = [pytest.param("icarus"), pytest.param("verilator", marks=pytest.mark.slow)]


@pytest.fixture(scope="module", params=SIMS)
def acc(request):
    reason = rtlsim.simulator_available(request.param)
    if reason:
        pytest.skip(reason)
    project = project_for(CFG, HERE / "sim_build")
    target = RtlTarget(project, sim=request.param, pause=True, seed=7)
    with Accelerator(target, CFG) as a:
        yield a


def test_standard_jobs_equal_the_model(acc):
    for job in standard_jobs(CFG, seed=5):
        acc.write(job.memory, job.descriptors, desc_addr=job.desc_addr)
        status = acc.run()
        assert acc.last.program.base >= 1 << 32  # MEM_HI carries part of the address
        assert status == job.status, job.name
        assert acc.memory() == job.expected, job.name
        polls = acc.last.trace.polls
        assert [p.what for p in polls] == ["ap_idle before start",
                                           f"running {len(job.descriptors)} descriptors"]
        assert polls[-1].cycles >= job.status.cycles  # engine cycles are part of the run


def test_results_read_back_are_the_models_gemms(acc):
    rng = np.random.default_rng(11)
    img = MemoryImage(max_descriptors=2)
    a = rng.integers(-4, 4, size=(3, 70 - 6))
    b = rng.integers(0, 16, size=(64, 5))
    img.add_pass(a, b, 3, 4, b_signed=False)
    img.add_pass(b.T.copy(), a.T.copy(), 4, 3, a_signed=False, stop_ring=0, tau=6)
    acc.write(img)
    acc.run_checked()
    want = [gemm(CFG, a, b, 3, 4, b_signed=False),
            gemm(CFG, b.T, a.T, 4, 3, a_signed=False, stop_ring=0, tau=6)]
    for got, w in zip(acc.read_results(), want):
        assert np.array_equal(got.values, w.values) and np.array_equal(got.stopped, w.stopped)
        assert got.stats == {k: w.counters[k] for k in got.stats}


def test_a_poll_bound_too_small_times_out_and_the_driver_stays_usable(acc):
    job = standard_jobs(CFG, seed=6)[1]  # early stop on every pair
    acc.write(job.memory, job.descriptors, desc_addr=job.desc_addr)
    with pytest.raises(KernelTimeout, match=r"^the kernel on rtl did not raise ap_done within "
                                            r"40 cycles \(running 9 descriptors\) and was "
                                            r"reset; raise timeout_cycles") as err:
        acc.run(timeout_cycles=40)
    assert 40 <= err.value.waited_cycles < job.status.cycles
    assert acc.run() == job.status  # a fresh run from reset, same list
    assert acc.memory() == job.expected
