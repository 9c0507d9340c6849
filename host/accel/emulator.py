"""The emulator backend: the kernel model behind an in-memory ``ap_ctrl_hs`` register file.

``EmulatedKernel`` behaves like the Vitis HLS control slave: writing AP_START to CTRL starts a
run (ignored while busy), ap_idle drops, and after the run's engine cycles ap_done and ap_ready
rise; reading CTRL clears both (clear on read), ISR bits toggle on write. The run itself is
``fpga_model.kernel.run_kernel`` on the device memory at MEM, so results, STATUS/ERROR and the
counters are exactly the model's. Time is counted in kernel cycles: every register access
costs ``ACCESS_CYCLES`` and polls wait on top, so a poll bound below the run's cycles times out
here just as it does on the RTL.

Training runs its passes on this target's fast path (``run(jobs)``): each descriptor straight
through ``fpga_model.gemm`` in the training process, no DDR image and no registers; the counters
are the model's, which equal the RTL's cycle counts for the same descriptor.

Target-specific usage:

- always available (the model is pure Python and numpy);
- ``run(jobs)`` takes numpy arrays or torch tensors and returns values in kind. Torch CPU
  tensors of codes wider than a byte are handed to the model as zero-copy numpy views (its
  cache-blocked exact path); byte codes and CUDA tensors stay torch tensors;
- ``inject_hang(runs)`` makes the next ``runs`` starts never finish (fault tests); ``recover()``
  resets the kernel as ap_rst_n would;
- memory lives in a ``DeviceMemory``: buffers must be synced like on a board.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from fpga_model import ArrayConfig, ConfigError, gemm
from fpga_model.job import Job, PassOutput
from fpga_model.operands import is_torch
from fpga_model.kernel import KernelStatus, run_kernel
from fpga_model.regmap import CTRL_BITS, register

from .buffers import DeviceMemory
from .regfile import RegisterFile
from .target import Availability, RegisterTarget

__all__ = ["EmulatedKernel", "EmulatorTarget", "ACCESS_CYCLES"]

ACCESS_CYCLES = 4  # an AXI4-Lite read or write, address to response
_NEVER = float("inf")
_OFF = {name: register(name).offset for name in (
    "CTRL", "GIE", "IER", "ISR", "MEM_LO", "MEM_HI", "DESC_ADDR", "DESC_COUNT", "STATUS",
    "ERROR", "CYCLES_LO", "CYCLES_HI", "DIGIT_PRODUCTS_LO", "DIGIT_PRODUCTS_HI")}
_BIT = {name: 1 << bit for name, bit in CTRL_BITS.items()}


def _wide_cpu_codes(x) -> bool:
    """Codes wider than a byte in a CPU tensor: the model's cache-blocked numpy path is faster
    for them (1-byte codes stay torch tensors and go to the int8 GEMM as they are)."""
    return is_torch(x) and x.device.type == "cpu" and x.element_size() > 1


_TORCH = None


def _torch():
    """torch, imported on first use (only torch operands need it; a board has no torch)."""
    global _TORCH
    if _TORCH is None:
        import torch

        _TORCH = torch
    return _TORCH


@dataclass
class _Run:
    finish: float  # cycle at which ap_done rises
    status: KernelStatus
    mem_base: int
    after: bytearray


class EmulatedKernel(RegisterFile):
    """The kernel's AXI4-Lite slave and its engine, in Python (see the module docstring)."""

    label = "emulated kernel"

    def __init__(self, cfg: ArrayConfig, memory: DeviceMemory) -> None:
        super().__init__()
        self.cfg = cfg
        self.memory = memory
        self.now = 0
        self._hangs = 0
        self.starts = 0
        self.reset()

    # ------------------------------------------------------------------ control
    def reset(self) -> None:
        """Return every register to its reset value (what ap_rst_n does)."""
        self._regs = {off: 0 for off in _OFF.values()}
        self._ctrl = _BIT["AP_IDLE"]
        self._run: _Run | None = None

    def inject_hang(self, runs: int = 1) -> None:
        """Make the next ``runs`` starts never raise ap_done."""
        self._hangs += runs

    def _advance(self, cycles: int) -> None:
        self.now += cycles
        run = self._run
        if run is not None and self.now >= run.finish:
            self._finish(run)

    def _finish(self, run: _Run) -> None:
        window = self.memory.window(run.mem_base, len(run.after))
        window[:] = np.frombuffer(run.after, dtype=np.uint8)
        st = run.status
        for name, value in (("STATUS", st.status), ("ERROR", st.error),
                            ("CYCLES_LO", st.cycles & 0xFFFFFFFF),
                            ("CYCLES_HI", st.cycles >> 32),
                            ("DIGIT_PRODUCTS_LO", st.digit_products & 0xFFFFFFFF),
                            ("DIGIT_PRODUCTS_HI", st.digit_products >> 32)):
            self._regs[_OFF[name]] = value & 0xFFFFFFFF
        self._ctrl = (self._ctrl & ~_BIT["AP_START"]) | _BIT["AP_DONE"] | _BIT["AP_IDLE"] \
            | _BIT["AP_READY"]
        if self._regs[_OFF["IER"]] & 1:
            self._regs[_OFF["ISR"]] |= 1
        self._run = None

    def _start(self) -> None:
        base = self._regs[_OFF["MEM_LO"]] | (self._regs[_OFF["MEM_HI"]] << 32)
        desc_addr = self._regs[_OFF["DESC_ADDR"]]
        count = self._regs[_OFF["DESC_COUNT"]]
        mem = bytearray(self.memory.tail(base).tobytes())
        status = run_kernel(self.cfg, mem, desc_addr, count)
        finish: float = self.now + max(1, status.cycles)
        if self._hangs:
            self._hangs -= 1
            finish = _NEVER
        self.starts += 1
        self._ctrl = (self._ctrl | _BIT["AP_START"]) & ~_BIT["AP_IDLE"]
        self._run = _Run(finish, status, base, mem)

    # ------------------------------------------------------------------ RegisterFile hooks
    def _read(self, offset: int) -> int:
        self._advance(ACCESS_CYCLES)
        if offset == _OFF["CTRL"]:
            value = self._ctrl
            self._ctrl &= ~(_BIT["AP_DONE"] | _BIT["AP_READY"])  # clear on read
            return value
        return self._regs.get(offset, 0)  # the RTL kernel's own counters (rtl_only) read 0

    def _write(self, offset: int, value: int) -> None:
        self._advance(ACCESS_CYCLES)
        if offset == _OFF["CTRL"]:
            self._ctrl = (self._ctrl & ~_BIT["AUTO_RESTART"]) | (value & _BIT["AUTO_RESTART"])
            if value & _BIT["AP_START"] and self._ctrl & _BIT["AP_IDLE"]:
                self._start()
        elif offset == _OFF["ISR"]:
            self._regs[offset] ^= value & 0x3  # toggle on write
        else:
            self._regs[offset] = value

    def _wait(self, cycles: int) -> None:
        self._advance(cycles)

    def cycle_count(self) -> int:
        return self.now


class EmulatorTarget(RegisterTarget):
    """Runs programs on ``EmulatedKernel`` over a ``DeviceMemory`` (see the module docstring)."""

    name: ClassVar[str] = "emulator"

    def __init__(self, cfg: ArrayConfig, memory: DeviceMemory | None = None) -> None:
        self.cfg = cfg
        self.memory = memory or DeviceMemory()
        self.kernel = EmulatedKernel(cfg, self.memory)

    @classmethod
    def probe(cls, project: Any = None) -> Availability:
        return Availability(True, "the bit-accurate Python model is always available")

    @classmethod
    def create(cls, project: Any, **options: Any) -> EmulatorTarget:
        return cls(getattr(project, "cfg", project), **options)

    def run(self, jobs: Sequence[Job]) -> list[PassOutput]:
        """The training fast path: each job through ``fpga_model.gemm`` (exact, with counters)."""
        out = []
        for job in jobs:
            d = job.descriptor
            m, k = job.a.shape
            n = job.b.shape[1]
            if (m, n, k) != (d.m, d.n, d.k):
                raise ConfigError(f"{d!r} does not match its operands {m}x{k} and "
                                  f"{job.b.shape[0]}x{n}; rebuild the descriptor from them")
            a, b, to_torch = job.a, job.b, False
            if _wide_cpu_codes(a) or _wide_cpu_codes(b):
                a, b, to_torch = a.numpy(), b.numpy(), True
            res = gemm(self.cfg, a, b, d.a_bits, d.b_bits, a_signed=d.a_signed,
                       b_signed=d.b_signed, stop_ring=d.stop_ring, tau=d.tau, prefix=d.prefix,
                       tau_rel=d.tau_rel)
            values = _torch().from_numpy(res.values) if to_torch else res.values
            out.append(PassOutput(d, values, res.stopped, res.counters))
        return out

    @property
    def clock_hz(self) -> float:
        return self.cfg.clock_hz

    @property
    def registers(self) -> EmulatedKernel:
        return self.kernel

    def allocate(self, shape: int | tuple[int, ...], dtype: Any = np.uint8) -> np.ndarray:
        return self.memory.allocate(shape, dtype)

    def recover(self) -> None:
        self.kernel.reset()

    def __repr__(self) -> str:
        return f"EmulatorTarget({self.cfg!r}, {self.memory!r})"
