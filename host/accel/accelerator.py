"""``Accelerator``: one driver for the kernel on a board, in RTL simulation or in the emulator.

The driver lays a descriptor list and its buffers into one DDR window (a
``fpga_model.memory.MemoryImage``), checks the layout, builds the run's ``Program`` and hands it
to a backend (``Target``). It is written once against the target's PYNQ-shaped layer:
``allocate()`` for the window, ``sync_to_device()``/``sync_from_device()`` around the run, and
``execute(program)``. Results are read back from the window with ``fpga_model.memory.read_pass``,
so they are the kernel's bytes, compared with the model's with ``==``.

Typical use::

    with Accelerator.open(project, backend="auto") as acc:
        acc.write(image)                 # descriptors and buffers
        status = acc.run()               # STATUS, ERROR, CYCLES, DIGIT_PRODUCTS
        outputs = acc.read_results()     # one PassResult per descriptor
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from fpga_model import ERROR_CODES, ArrayConfig, Descriptor
from fpga_model.cycles import pass_counters
from fpga_model.descriptor import DESC_BYTES
from fpga_model.kernel import KernelStatus, check_descriptor
from fpga_model.memory import OUTPUT_BUFFERS, MemoryImage, PassResult, buffer_spans, read_pass

from .errors import AcceleratorClosed, BufferMismatch, KernelRefused
from .program import Program, ProgramResult, kernel_program
from .target import Target

__all__ = ["Accelerator", "RunResult", "check_layout", "default_timeout_cycles",
           "expected_work", "poll_interval"]


def check_layout(descriptors: Sequence[Descriptor], size: int, desc_addr: int = 0) -> None:
    """Refuse a descriptor whose buffers leave the DDR window or overwrite the descriptor list.

    Raises:
        BufferMismatch: one line naming the descriptor, the buffer and the fix.
    """
    list_end = desc_addr + len(descriptors) * DESC_BYTES
    if desc_addr < 0 or list_end > size:
        raise BufferMismatch(f"the list of {len(descriptors)} descriptors at 0x{desc_addr:X} "
                             f"ends at 0x{list_end:X}, past the {size}-byte DDR window; "
                             f"allocate a larger window")
    for i, d in enumerate(descriptors):
        for name, (addr, nbytes) in buffer_spans(d).items():
            output = name in OUTPUT_BUFFERS
            if addr + nbytes > size:
                raise BufferMismatch(
                    f"descriptor {i} {d!r}: {name} at 0x{addr:X} needs {nbytes} bytes and ends "
                    f"past the {size}-byte DDR window; lay the buffers out with MemoryImage "
                    f"or allocate a larger window")
            if output and nbytes and addr < list_end and desc_addr < addr + nbytes:
                raise BufferMismatch(
                    f"descriptor {i} {d!r}: {name} at 0x{addr:X} overlaps the descriptor list "
                    f"(0x{desc_addr:X}..0x{list_end:X}); place outputs after the list")


def expected_work(cfg: ArrayConfig, descriptors: Sequence[Descriptor]) -> int:
    """Modeled engine cycles (no early stops) plus DDR words of a list: what a run costs."""
    work = 0
    for d in descriptors:
        if check_descriptor(cfg, d):
            continue  # the kernel refuses it at once
        c = pass_counters(cfg, d.m, d.n, d.k, d.a_bits, d.b_bits, None, None)
        work += c["cycles"] + c["dram_bits"] // 32
    return work


def default_timeout_cycles(cfg: ArrayConfig, descriptors: Sequence[Descriptor]) -> int:
    """A generous ap_done bound: 16x the expected work plus 100k cycles.

    DDR latency and bus stalls (pause generators in simulation) come on top of the model's
    engine cycles, hence the margin; a kernel that hangs costs the whole bound.
    """
    return 16 * expected_work(cfg, descriptors) + 100_000


def poll_interval(cfg: ArrayConfig, descriptors: Sequence[Descriptor]) -> int:
    """Cycles between two ap_done polls: an eighth of the expected work, within 16..1024.

    Each poll is a bus transaction (in simulation a costly one), so long runs poll seldom.
    """
    return min(1024, max(16, expected_work(cfg, descriptors) // 8))


@dataclass
class RunResult:
    """One run's registers, how its polls went, and the DDR window after it."""

    status: KernelStatus
    program: Program
    trace: ProgramResult

    @property
    def ok(self) -> bool:
        return self.status.ok

    @property
    def counters(self) -> dict[str, int]:
        return {"cycles": self.status.cycles, "digit_products": self.status.digit_products}

    def refusal(self) -> str:
        """'' when every descriptor ran, else which one was refused and why."""
        s = self.status
        if s.ok:
            return ""
        reason = ERROR_CODES.get(s.error, f"unknown error code {s.error}")
        return f"descriptor {s.status - 1} was refused: {reason} (ERROR={s.error})"


class Accelerator:
    """The kernel behind one backend (see the module docstring).

    Args:
        target: the backend (``EmulatorTarget``, ``RtlTarget``, ``PynqTarget``).
        cfg: the array the kernel was generated for.
        timeout_cycles: ap_done bound for every run (None: ``default_timeout_cycles``).
        reason: why this backend was chosen (shown by ``fracfpga deploy``).
    """

    def __init__(self, target: Target, cfg: ArrayConfig, *, timeout_cycles: int | None = None,
                 reason: str = "") -> None:
        self.target = target
        self.cfg = cfg
        self.timeout_cycles = timeout_cycles
        self.reason = reason
        self._window: np.ndarray | None = None
        self._size = 0
        self._descriptors: tuple[Descriptor, ...] = ()
        self._desc_addr = 0
        self._closed = False
        self.last: RunResult | None = None

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, project: Any, backend: str = "auto", *, timeout_cycles: int | None = None,
             **options: Any) -> Accelerator:
        """Open the kernel of ``project`` (a generated ``Project`` or an ``ArrayConfig``).

        Args:
            backend: "pynq", "rtl", "emulator" or "auto" (probe in that order).
            options: passed to the backend (e.g. ``sim="verilator"`` for rtl).

        Raises:
            AcceleratorUnavailable: the named backend cannot run here (its probe's reason).
        """
        from .registry import open_target

        target, reason = open_target(backend, project, **options)
        cfg = getattr(project, "cfg", project)
        return cls(target, cfg, timeout_cycles=timeout_cycles, reason=reason)

    @property
    def backend(self) -> str:
        return self.target.name

    # ------------------------------------------------------------------ buffers
    def allocate(self, shape: int | tuple[int, ...], dtype: Any = np.uint8) -> np.ndarray:
        """A device buffer (numpy array with ``physical_address``) from the backend."""
        self._check_open()
        return self.target.allocate(shape, dtype)

    def write(self, image: MemoryImage | bytes, descriptors: Sequence[Descriptor] | None = None,
              *, desc_addr: int = 0) -> None:
        """Write a descriptor list and its buffers into the DDR window and sync it.

        Args:
            image: a ``MemoryImage`` (descriptors and buffers), or the window's raw bytes.
            descriptors: with raw bytes: the descriptors at ``desc_addr`` (checked against the
                layout; the bytes must hold them packed).
        """
        self._check_open()
        if isinstance(image, MemoryImage):
            data = bytes(image.to_bytes())
            descriptors = tuple(image.descriptors)
            desc_addr = image.desc_addr
        else:
            data = bytes(image)
            if descriptors is None:
                raise BufferMismatch("raw DDR bytes need their descriptors; pass "
                                     "descriptors=[...] or a MemoryImage")
            descriptors = tuple(descriptors)
            check_layout(descriptors, len(data), desc_addr)
            for i, d in enumerate(descriptors):
                at = desc_addr + i * DESC_BYTES
                if data[at:at + DESC_BYTES] != d.pack():
                    raise BufferMismatch(f"descriptor {i} {d!r} is not packed at 0x{at:X} of the "
                                         f"DDR bytes; lay them out with MemoryImage")
        check_layout(descriptors, len(data), desc_addr)
        window = self._window_for(len(data))
        window[:len(data)] = np.frombuffer(data, dtype=np.uint8)
        window[len(data):] = 0
        window.sync_to_device()
        self._size = len(data)
        self._descriptors = descriptors
        self._desc_addr = desc_addr

    def _window_for(self, nbytes: int) -> np.ndarray:
        if self._window is None or self._window.nbytes < nbytes:
            if self._window is not None:
                self._window.freebuffer()
            self._window = self.target.allocate(max(nbytes, 1), np.uint8)
        return self._window

    # ------------------------------------------------------------------ running
    def program(self, *, timeout_cycles: int | None = None) -> Program:
        """The register steps of a run of the written descriptor list."""
        if self._window is None or not self._size:
            raise BufferMismatch("nothing to run: write a descriptor list first "
                                 "(Accelerator.write)")
        end = self._window.physical_address + self._size
        if end > 1 << self.cfg.mem_addr_bits:
            raise BufferMismatch(f"the DDR window ends at 0x{end:X}, past the kernel's "
                                 f"{self.cfg.mem_addr_bits}-bit addresses; allocate the "
                                 f"buffer below 0x{1 << self.cfg.mem_addr_bits:X}")
        bound = timeout_cycles or self.timeout_cycles or default_timeout_cycles(
            self.cfg, self._descriptors)
        return kernel_program(self._window.physical_address, self._size, self._desc_addr,
                              len(self._descriptors), timeout_cycles=bound,
                              interval=poll_interval(self.cfg, self._descriptors))

    def run(self, *, timeout_cycles: int | None = None) -> KernelStatus:
        """Start the kernel on the written list, wait for ap_done, read the registers.

        A run that times out resets the kernel (``Target.recover``) before raising, so the
        accelerator stays usable: write and run again.

        Raises:
            KernelTimeout: ap_done did not rise within the bound.
            KernelBusy: the kernel was not idle before the start.
        """
        self._check_open()
        program = self.program(timeout_cycles=timeout_cycles)
        trace = self.target.execute(program)
        if trace.timed_out is not None:
            self.target.recover()
            trace.raise_for_timeout(self.backend)
        self._window.sync_from_device()
        v = trace.values
        status = KernelStatus(v["STATUS"], v["ERROR"], v["CYCLES_LO"] | (v["CYCLES_HI"] << 32),
                              v["DIGIT_PRODUCTS_LO"] | (v["DIGIT_PRODUCTS_HI"] << 32))
        self.last = RunResult(status, program, trace)
        return status

    def run_checked(self, *, timeout_cycles: int | None = None) -> KernelStatus:
        """``run()``, raising KernelRefused when a descriptor was refused."""
        status = self.run(timeout_cycles=timeout_cycles)
        if not status.ok:
            raise KernelRefused(f"{self.last.refusal()}; fix the descriptor (widths in "
                                f"{self.cfg.bits_text}, K <= {self.cfg.max_k})")
        return status

    # ------------------------------------------------------------------ results
    def memory(self) -> bytes:
        """The DDR window's bytes as the kernel left them (after the last run)."""
        self._check_open()
        if self._window is None:
            return b""
        return self._window[:self._size].tobytes()

    def read_results(self) -> list[PassResult]:
        """Values, stop masks and STAT records of the descriptors that ran."""
        mem = self.memory()
        done = len(self._descriptors)
        if self.last is not None and not self.last.status.ok:
            done = self.last.status.status - 1
        return [read_pass(mem, d) for d in self._descriptors[:done]]

    def counters(self) -> dict[str, int]:
        """CYCLES and DIGIT_PRODUCTS of the last run."""
        if self.last is None:
            raise BufferMismatch("no run yet: call run() first")
        return self.last.counters

    @property
    def registers(self):
        """The live register file (emulator, board), or None (RTL: registers live per run)."""
        return self.target.registers

    # ------------------------------------------------------------------ closing
    def close(self) -> None:
        """Free the DDR window and release the backend; later calls raise AcceleratorClosed."""
        if self._closed:
            return
        if self._window is not None:
            self._window.freebuffer()
            self._window = None
        self.target.close()
        self._closed = True

    def _check_open(self) -> None:
        if self._closed:
            raise AcceleratorClosed("this accelerator is closed; open a new one with "
                                    "Accelerator.open()")

    def __enter__(self) -> Accelerator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"{len(self._descriptors)} descriptors"
        return f"Accelerator({self.backend}, {self.cfg!r}, {state})"
