"""The kernel as a memory-mapped machine: walk a descriptor list in a DDR image, like the HLS top.

``run_kernel`` is what the HLS kernel and the RTL do, in the model: per descriptor it checks the
fields (``ERROR_CODES``, in order), reads A and B from their digit planes, computes the pass with
``gemm``, and writes C (int32 or int64), the packed stop mask and the statistics record. A
refused descriptor stops the walk; the totals cover the descriptors that completed.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from .config import ArrayConfig
from .descriptor import DESC_BYTES, STAT_FIELDS, Descriptor, Pass, needs_c64
from .fast import gemm
from .memory import pack_mask, read_operand, value_bytes
from .operands import TAU_REL_ONE

__all__ = ["KernelStatus", "run_kernel", "check_descriptor"]


@dataclass(frozen=True)
class KernelStatus:
    """Registers after a run: STATUS (0 ok, else 1 + refused index), ERROR, CYCLES, DIGIT_PRODUCTS."""

    status: int
    error: int
    cycles: int
    digit_products: int

    @property
    def ok(self) -> bool:
        return self.status == 0

    @property
    def registers(self) -> dict[str, int]:
        """The values by register name (64-bit counters whole)."""
        return {"STATUS": self.status, "ERROR": self.error, "CYCLES": self.cycles,
                "DIGIT_PRODUCTS": self.digit_products}


def check_descriptor(cfg: ArrayConfig, d: Descriptor) -> int:
    """Error code of a descriptor's fields (0 when the kernel accepts it); no memory access."""
    if d.pass_ not in tuple(Pass):
        return 1
    if d.a_bits not in cfg.bits:
        return 2
    if d.b_bits not in cfg.bits:
        return 3
    if d.m == 0 or d.n == 0:
        return 4
    if d.k == 0 or d.k > cfg.max_k:
        return 5
    if d.early_stop:
        da, db = cfg.digits(d.a_bits), cfg.digits(d.b_bits)
        if d.prefix is not None:
            bad = not (1 <= d.prefix[0] <= da and 1 <= d.prefix[1] <= db)
        else:
            bad = d.stop_ring >= max(da, db)
        if d.tau_rel is not None:
            bad = bad or d.tau_rel > TAU_REL_ONE
        elif d.tau is None or d.tau >= (1 << 63):
            bad = True
        if bad:
            return 6
    if not d.c64 and needs_c64(d.a_bits, d.b_bits, d.k):
        return 7
    return 0


def run_kernel(cfg: ArrayConfig, mem: bytearray, desc_addr: int, desc_count: int) -> KernelStatus:
    """Run a descriptor list in place on ``mem`` (a bytearray DDR image) and return the registers."""
    cycles = digit_products = 0
    for i in range(desc_count):
        off = desc_addr + i * DESC_BYTES
        words = struct.unpack_from("<16I", mem, off)
        if (words[1] & 0xFF) > max(Pass):
            return KernelStatus(1 + i, 1, cycles, digit_products)
        d = Descriptor.unpack(bytes(mem[off:off + DESC_BYTES]))
        err = check_descriptor(cfg, d)
        if err:
            return KernelStatus(1 + i, err, cycles, digit_products)
        a = read_operand(mem, d.a_addr, d.m, d.k, d.a_bits, d.a_signed)
        b = read_operand(mem, d.b_addr, d.n, d.k, d.b_bits, d.b_signed).T
        r = gemm(cfg, a, b, d.a_bits, d.b_bits, a_signed=d.a_signed, b_signed=d.b_signed,
                 stop_ring=d.stop_ring, tau=d.tau, prefix=d.prefix, tau_rel=d.tau_rel)
        vb = value_bytes(d)
        values = np.ascontiguousarray(r.values, dtype="<i8" if vb == 8 else "<i4").tobytes()
        mem[d.c_addr:d.c_addr + len(values)] = values
        mask = pack_mask(r.stopped)
        mem[d.mask_addr:d.mask_addr + len(mask)] = mask
        stats = [r.counters[name] for name, _ in STAT_FIELDS]
        struct.pack_into(f"<{len(stats)}Q", mem, d.stat_addr, *stats)
        cycles += r.counters["cycles"]
        digit_products += r.counters["digit_products"]
    return KernelStatus(0, 0, cycles, digit_products)
