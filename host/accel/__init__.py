"""One driver for the kernel on a PYNQ board, in RTL simulation and in the emulator.

``Accelerator`` (open, write descriptors and buffers, run, read results and counters, close) is
written once against a small PYNQ-shaped layer (``Target``: ``allocate()`` with physical
addresses and syncs, ``execute(program)``); each backend implements that layer:
``emulator`` (the model behind an in-memory ``ap_ctrl_hs`` register file), ``rtl`` (the
generated Verilog under cocotb, replaying the run's ``Program`` through cocotbext-axi) and
``pynq`` (``pynq.Overlay``, ``pynq.allocate``, MMIO; pynq is imported only there).
"""

from .accelerator import Accelerator, RunResult, check_layout, default_timeout_cycles
from .buffers import Buffer, DeviceMemory
from .errors import (
    AcceleratorClosed,
    AcceleratorError,
    AcceleratorUnavailable,
    BitstreamMismatch,
    BufferMismatch,
    KernelBusy,
    KernelRefused,
    KernelTimeout,
    OverlayNotFound,
    RegisterAccessError,
    UnsupportedConfiguration,
)
from .program import Poll, Program, ProgramResult, Read, Write, kernel_program
from .regfile import IpRegisters, RegisterFile
from .registry import TARGETS, choose_target, open_target, probe_all, target_class, target_names
from .target import Availability, RegisterTarget, Target

__all__ = [
    # the driver
    "Accelerator", "RunResult", "check_layout", "default_timeout_cycles",
    # backends
    "Target", "RegisterTarget", "Availability", "TARGETS", "target_names", "target_class",
    "probe_all", "choose_target", "open_target", "probe_board",
    # programs, registers, buffers
    "Program", "ProgramResult", "Write", "Read", "Poll", "kernel_program",
    "RegisterFile", "IpRegisters", "Buffer", "DeviceMemory",
    # errors
    "AcceleratorError", "AcceleratorUnavailable", "AcceleratorClosed", "KernelTimeout",
    "KernelBusy", "KernelRefused", "BufferMismatch", "RegisterAccessError", "OverlayNotFound",
    "BitstreamMismatch", "UnsupportedConfiguration",
]


def probe_board() -> Availability:
    """Whether this machine is a PYNQ board (pynq imports and finds a device), and why not."""
    from .pynq import probe

    return probe()
