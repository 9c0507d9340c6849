"""The Accelerator on the emulator backend: equal to the model, faults, layout and buffer checks."""

from __future__ import annotations

import numpy as np
import pytest

from codegen.vectors import standard_jobs
from fpga_model import ArrayConfig, Descriptor, gemm
from fpga_model.descriptor import DESC_BYTES
from fpga_model.memory import MemoryImage
from host.accel import (
    Accelerator,
    AcceleratorClosed,
    AcceleratorUnavailable,
    BufferMismatch,
    KernelRefused,
    KernelTimeout,
    Program,
    choose_target,
    default_timeout_cycles,
    kernel_program,
)
from host.accel.buffers import DeviceMemory
from host.accel.emulator import EmulatorTarget
from host.accel.program import Poll, Read, Write

CONFIGS = [dict(bits=(3, 4, 8), tiles=(2, 2), max_k=64),
           dict(bits=(2, 5, 7, 16), tiles=(3, 1), bricks=4, acc_width=56, max_k=100)]


@pytest.fixture(params=range(len(CONFIGS)), ids=lambda i: "b" + "-".join(
    map(str, CONFIGS[i]["bits"])))
def cfg(request) -> ArrayConfig:
    return ArrayConfig(**CONFIGS[request.param])


@pytest.fixture
def acc(cfg):
    with Accelerator.open(cfg, "emulator") as a:
        yield a


def test_every_standard_job_equals_the_model(cfg, acc):
    for job in standard_jobs(cfg, seed=3):
        acc.write(job.memory, job.descriptors, desc_addr=job.desc_addr)
        status = acc.run()
        assert status == job.status, job.name
        assert acc.memory() == job.expected, job.name
        assert acc.counters() == {"cycles": job.status.cycles,
                                  "digit_products": job.status.digit_products}


def test_results_are_the_models_gemms(cfg, acc):
    rng = np.random.default_rng(0)
    img = MemoryImage(max_descriptors=4)
    passes = []
    for a_bits, b_bits, ring in ((cfg.bits[0], cfg.bits[-1], None), (cfg.bits[-1], cfg.bits[1], 0)):
        a = rng.integers(-(1 << (a_bits - 1)), 1 << (a_bits - 1), size=(5, 33))
        b = rng.integers(-(1 << (b_bits - 1)), 1 << (b_bits - 1), size=(33, 4))
        tau = None if ring is None else 3
        img.add_pass(a, b, a_bits, b_bits, stop_ring=ring, tau=tau)
        passes.append(gemm(cfg, a, b, a_bits, b_bits, stop_ring=ring, tau=tau))
    acc.write(img)
    acc.run_checked()
    for got, want in zip(acc.read_results(), passes):
        assert np.array_equal(got.values, want.values)
        assert np.array_equal(got.stopped, want.stopped)
        assert got.stats == {k: want.counters[k] for k in got.stats}


def test_a_hung_kernel_times_out_and_the_driver_stays_usable(cfg, acc):
    job = standard_jobs(cfg)[0]
    acc.write(job.memory, job.descriptors, desc_addr=job.desc_addr)
    acc.target.kernel.inject_hang()
    with pytest.raises(KernelTimeout, match=r"^the kernel on emulator did not raise ap_done "
                                            r"within \d+ cycles \(running \d+ descriptors\) and "
                                            r"was reset; raise timeout_cycles or check the "
                                            r"descriptors$") as err:
        acc.run()
    assert err.value.waited_cycles >= default_timeout_cycles(cfg, job.descriptors)
    assert acc.run() == job.status  # the same list again, now the kernel finishes
    assert acc.memory() == job.expected


def test_a_poll_bound_below_the_run_times_out(cfg, acc):
    job = standard_jobs(cfg)[0]
    acc.write(job.memory, job.descriptors, desc_addr=job.desc_addr)
    with pytest.raises(KernelTimeout, match=r"within 50 cycles"):
        acc.run(timeout_cycles=50)
    assert acc.run(timeout_cycles=job.status.cycles + 2000) == job.status


def test_refused_descriptor(cfg, acc):
    job = next(j for j in standard_jobs(cfg) if j.name == "refused")
    acc.write(job.memory, job.descriptors, desc_addr=job.desc_addr)
    assert acc.run().status == 2
    assert len(acc.read_results()) == 1
    assert acc.last.refusal() == "descriptor 1 was refused: a_bits not in the generated set " \
                                 "(ERROR=2)"
    with pytest.raises(KernelRefused, match=r"^descriptor 1 was refused: a_bits not in the "
                                            r"generated set \(ERROR=2\); fix the descriptor"):
        acc.run_checked()


def test_layout_mismatches_are_one_line_errors(cfg, acc):
    img = MemoryImage(max_descriptors=1)
    d = img.add_pass(np.ones((2, 3)), np.ones((3, 2)), cfg.bits[0], cfg.bits[0])
    data = bytes(img.to_bytes())
    with pytest.raises(BufferMismatch, match=r"^raw DDR bytes need their descriptors"):
        acc.write(data)
    past = Descriptor(**{**d.__dict__, "c_addr": len(data) - 8})
    with pytest.raises(BufferMismatch, match=r"^descriptor 0 .*: C at 0x[0-9A-F]+ needs 16 bytes "
                                             r"and ends past the \d+-byte DDR window; "):
        acc.write(data[:0] + past.pack() + data[DESC_BYTES:], [past])
    over = Descriptor(**{**d.__dict__, "stat_addr": 8})
    with pytest.raises(BufferMismatch, match=r"STAT at 0x8 overlaps the descriptor list"):
        acc.write(over.pack() + data[DESC_BYTES:], [over])
    with pytest.raises(BufferMismatch, match=r"^descriptor 0 .* is not packed at 0x0"):
        acc.write(data, [Descriptor(**{**d.__dict__, "layer": 5})])
    with pytest.raises(BufferMismatch, match=r"^the list of 2 descriptors at 0x0 ends at 0x80, "
                                             r"past the 64-byte DDR window"):
        acc.write(data[:64], [d, d])
    with pytest.raises(BufferMismatch, match=r"^nothing to run: write a descriptor list first"):
        acc.run()


def test_buffers_need_syncs_like_on_a_board():
    mem = DeviceMemory(base=0x2000_0000)
    a = mem.allocate((4, 4), np.int32)
    b = mem.allocate(100)
    assert a.physical_address == 0x2000_0000 and b.physical_address == 0x2000_1000
    assert a[1:].physical_address == 0x2000_0010
    a[:] = 7
    assert not mem.window(a.physical_address, 64).any()  # not flushed yet
    a.sync_to_device()
    assert (mem.window(a.physical_address, 64).view(np.int32) == 7).all()
    mem.window(a.physical_address, 4)[:] = 0
    assert a[0, 0] == 7
    a.sync_from_device()
    assert a[0, 0] == 0
    a.freebuffer()
    c = mem.allocate(16)
    assert c.physical_address == 0x2000_0000  # first fit reuses the freed page
    with pytest.raises(BufferMismatch, match=r"^this buffer has been freed"):
        a.sync_to_device()
    with pytest.raises(BufferMismatch, match=r"which is not inside an allocated buffer"):
        mem.window(0x1000_0000, 4)


def test_a_closed_accelerator_refuses(cfg):
    acc = Accelerator.open(cfg, "emulator")
    acc.close()
    acc.close()
    with pytest.raises(AcceleratorClosed, match=r"^this accelerator is closed"):
        acc.write(b"")


def test_program_is_data():
    p = kernel_program((1 << 32) + 0x40, 4096, 0x80, 3, timeout_cycles=999, interval=32)
    assert p.steps[:6] == (
        Poll("CTRL", "AP_IDLE", 1, 256, 32, "ap_idle before start"), Write("MEM_LO", 0x40),
        Write("MEM_HI", 1), Write("DESC_ADDR", 0x80), Write("DESC_COUNT", 3), Write("CTRL", 1))
    assert p.steps[6] == Poll("CTRL", "AP_DONE", 1, 999, 32, "running 3 descriptors")
    assert p.steps[7:] == tuple(Read(r) for r in ("STATUS", "ERROR", "CYCLES_LO", "CYCLES_HI",
                                                   "DIGIT_PRODUCTS_LO", "DIGIT_PRODUCTS_HI"))
    assert Program.from_dict(p.to_dict()) == p
    assert "MEM_HI<=0x1" in repr(p)
    with pytest.raises(KeyError):
        Write("NOPE", 1)
    with pytest.raises(KeyError):
        Poll("STATUS", "AP_DONE", 1, 10)


def test_auto_orders_cover_every_target_once():
    from host.accel import AUTO_ORDER, TARGETS, backend_choices

    for purpose, order in AUTO_ORDER.items():
        assert sorted(order) == sorted(TARGETS), purpose
    assert AUTO_ORDER["deploy"][0] == "pynq" and AUTO_ORDER["train"][0] == "emulator"
    assert backend_choices() == (*TARGETS, "auto")


def test_auto_falls_back_to_the_emulator(monkeypatch, cfg):
    from host.accel.rtl import RtlTarget
    from host.accel.target import Availability

    monkeypatch.setattr(RtlTarget, "probe", classmethod(
        lambda cls, project=None: Availability(False, "no simulator here")))
    name, reason = choose_target("auto", cfg)
    assert name == "emulator"
    assert reason.startswith("no pynq: ") and "; no rtl: no simulator here; chose emulator: " \
        in reason
    with pytest.raises(AcceleratorUnavailable, match=r"^backend 'rtl' is not available: no "
                                                     r"simulator here$"):
        choose_target("rtl", cfg)
    with pytest.raises(AcceleratorUnavailable, match=r"^unknown backend 'fpga'; backends: "
                                                     r"emulator, rtl, pynq, auto$"):
        choose_target("fpga", cfg)
    assert isinstance(Accelerator.open(cfg).target, EmulatorTarget)
    # training: the emulator is the fastest exact target, so auto takes it at once
    assert choose_target("auto", cfg, "train") == ("emulator", "chose emulator: the "
                                                   "bit-accurate Python model is always available")


def test_a_window_past_the_kernels_addresses_is_refused(cfg):
    """The movers add offsets in ``cfg.mem_addr_bits`` bits: a window ending past 2^that would
    wrap on the bus, so the driver refuses it before the kernel starts."""
    job = standard_jobs(cfg)[0]
    top = 1 << cfg.mem_addr_bits
    high = Accelerator(EmulatorTarget(cfg, DeviceMemory(base=top, limit=1 << 20)), cfg)
    high.write(job.memory, job.descriptors, desc_addr=job.desc_addr)
    with pytest.raises(BufferMismatch, match=rf"^the DDR window ends at 0x[0-9A-F]+, past the "
                                             rf"kernel's {cfg.mem_addr_bits}-bit addresses; "
                                             rf"allocate the buffer below 0x{top:X}$"):
        high.run()
    low = Accelerator(EmulatorTarget(cfg, DeviceMemory(base=top - (1 << 20), limit=1 << 20)),
                      cfg)
    low.write(job.memory, job.descriptors, desc_addr=job.desc_addr)
    assert low.run() == job.status  # the same list ending below 2^bits runs
