"""The accelerator layer: one registry of targets, one driver, for deployment and training.

A ``Target`` is one way to run the kernel: ``emulator`` (the model behind an in-memory
``ap_ctrl_hs`` register file), ``rtl`` (the generated Verilog under cocotb, replaying the run's
``Program`` through cocotbext-axi) and ``pynq`` (``pynq.Overlay``, ``pynq.allocate``, MMIO; pynq
is imported only there). Each offers two ways in: ``accelerator()``, the register-level
``Accelerator`` (open, write descriptors and buffers, run, read results and counters, close)
written once against the target's small PYNQ-shaped layer, and ``run(jobs)``, training's GEMM
passes (the emulator runs them straight through ``fpga_model.gemm``). ``registry`` names the
targets, probes them and says what ``auto`` means; ``passes.Offload`` sends selected passes to
a device and the rest to the emulator.
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
from .registry import (
    AUTO_ORDER,
    TARGETS,
    backend_choices,
    choose_target,
    open_for_training,
    open_target,
    probe_all,
    target_class,
    target_names,
)
from .target import Availability, RegisterTarget, Target

__all__ = [
    # the driver
    "Accelerator", "RunResult", "check_layout", "default_timeout_cycles",
    # targets
    "Target", "RegisterTarget", "Availability", "TARGETS", "AUTO_ORDER", "target_names",
    "backend_choices", "target_class", "probe_all", "choose_target", "open_target",
    "open_for_training", "probe_board",
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
