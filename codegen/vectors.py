"""Shared test vectors: descriptor lists in DDR images with the model's expected results.

The same vector jobs go through every tier (model, HLS C-sim, RTL, the deployment self-test)
and are compared byte for byte. A vector job is one kernel run: a DDR image holding a
descriptor list and its operands (``fpga_model.job.Job``s, see ``VectorJob.jobs``), and the
image the model leaves after running it. ``read_jobs`` is the one reader of a project's
``vectors/`` folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fpga_model import ArrayConfig, Descriptor, Pass, code_range, gemm, needs_c64
from fpga_model.descriptor import DESC_BYTES, STAT_BYTES, STAT_FIELDS
from fpga_model.job import Job
from fpga_model.kernel import KernelStatus, run_kernel
from fpga_model.memory import MemoryImage, mask_row_bytes, operand_planes, read_operand

__all__ = ["VectorJob", "JobOutcome", "standard_jobs", "make_job", "write_jobs", "read_jobs",
           "descriptors_in", "unaligned_job"]


def descriptors_in(image: bytes, desc_addr: int, desc_count: int) -> tuple[Descriptor, ...]:
    """The descriptor list stored in a DDR image (it stops at words the kernel cannot parse)."""
    out = []
    for i in range(desc_count):
        raw = image[desc_addr + i * DESC_BYTES:desc_addr + (i + 1) * DESC_BYTES]
        try:
            out.append(Descriptor.unpack(bytes(raw)))
        except ValueError:
            break
    return tuple(out)


@dataclass(frozen=True)
class VectorJob:
    """One kernel run: the DDR image before, the model's image after, and its registers."""

    name: str
    memory: bytes
    expected: bytes
    desc_addr: int
    desc_count: int
    status: KernelStatus
    descriptors: tuple[Descriptor, ...]

    def meta(self) -> dict:
        return {
            "name": self.name, "mem_bytes": len(self.memory), "desc_addr": self.desc_addr,
            "desc_count": self.desc_count, "status": self.status.status,
            "error": self.status.error, "cycles": self.status.cycles,
            "digit_products": self.status.digit_products,
            "descriptors": [repr(d) for d in self.descriptors],
        }

    @property
    def completed(self) -> tuple[Descriptor, ...]:
        """The descriptors the kernel runs (those before a refused one)."""
        return self.descriptors if self.status.ok else self.descriptors[:self.status.status - 1]

    @property
    def pairs(self) -> list[tuple[int, int]]:
        return sorted({(d.a_bits, d.b_bits) for d in self.descriptors})

    @property
    def early_stop(self) -> int:
        return sum(d.early_stop for d in self.descriptors)

    @property
    def macs(self) -> int:
        """Multiply-accumulates of the completed descriptors."""
        return sum(d.m * d.n * d.k for d in self.completed)

    def jobs(self) -> list[Job]:
        """Each completed descriptor with its operands, read from the image."""
        out = []
        for d in self.completed:
            a = read_operand(self.memory, d.a_addr, d.m, d.k, d.a_bits, d.a_signed)
            b = read_operand(self.memory, d.b_addr, d.n, d.k, d.b_bits, d.b_signed).T
            out.append(Job(d, a, b))
        return out


@dataclass(frozen=True)
class JobOutcome:
    """How one tier (csim, icarus, verilator, ...) did on one job (or one descriptor of it)."""

    tier: str
    job: str
    passed: bool
    detail: str  # first mismatch, or "" when equal
    seconds: float  # time the tier took to run the job (build excluded)
    cycles: int  # engine cycles the tier reported (or counted)
    macs: int  # multiply-accumulates in the job
    descriptor: int | None = None  # the descriptor's index for a per-descriptor outcome
    pair: tuple[int, int] | None = None  # its (A, B) widths


def make_job(cfg: ArrayConfig, name: str, image: MemoryImage) -> VectorJob:
    """Freeze an image into a job: run the model on a copy to get the expected image."""
    mem = image.to_bytes()
    after = bytearray(mem)
    status = run_kernel(cfg, after, image.desc_addr, len(image.descriptors))
    return VectorJob(name, bytes(mem), bytes(after), image.desc_addr, len(image.descriptors),
                     status, tuple(image.descriptors))


def unaligned_job(cfg: ArrayConfig, n: int | None = None, name: str = "unaligned") -> VectorJob:
    """Two descriptors at an odd offset, operands and outputs at odd addresses, early stop on:
    every mover's byte alignment (the reader's rows start mid-beat, the writer's strobes)."""
    rng = np.random.default_rng(6)
    base, size = 3, 1 << 16
    memory = bytearray(size)
    top = base + 2 * DESC_BYTES + 5
    descs = []
    for i, (ab, bb) in enumerate([(max(cfg.bits), min(cfg.bits)), (min(cfg.bits), max(cfg.bits))]):
        m, k, n_ = 2 * cfg.tm + 1, cfg.bricks + 3, (n or cfg.tn + 1) + i
        a = rng.integers(-(1 << (ab - 1)), 1 << (ab - 1), (m, k))
        b = rng.integers(0, 1 << bb, (k, n_))
        addrs = []
        c64 = needs_c64(ab, bb, k)
        for blob in (operand_planes(a, ab), operand_planes(b.T, bb),
                     bytes((8 if c64 else 4) * m * n_), bytes(m * mask_row_bytes(n_)),
                     bytes(8 * len(STAT_FIELDS))):
            memory[top:top + len(blob)] = blob
            addrs.append(top)
            top += len(blob) + 3
        ring = min(i, max(cfg.digits(ab), cfg.digits(bb)) - 1)
        prefix = gemm(cfg, a, b, ab, bb, b_signed=False, stop_ring=ring, tau=0).values
        tau = int(np.median(np.abs(prefix))) if i == 0 else 1 << 62
        descs.append(Descriptor(m=m, n=n_, k=k, a_bits=ab, b_bits=bb, a_addr=addrs[0],
                                b_addr=addrs[1], c_addr=addrs[2], mask_addr=addrs[3],
                                stat_addr=addrs[4], a_signed=True, b_signed=False,
                                stop_ring=ring, tau=tau, pass_=Pass.EB if i == 0 else Pass.GC,
                                layer=i, c64=c64))
    if top >= size:
        raise ValueError(f"unaligned_job: the operands need {top} bytes, more than {size}")
    for i, d in enumerate(descs):
        memory[base + i * DESC_BYTES:base + (i + 1) * DESC_BYTES] = d.pack()
    after = bytearray(memory)
    status = run_kernel(cfg, after, base, len(descs))
    return VectorJob(name, bytes(memory), bytes(after), base, len(descs), status, tuple(descs))


def _codes(rng: np.random.Generator, shape: tuple[int, int], bits: int, signed: bool,
           edge: str | None = None) -> np.ndarray:
    lo, hi = code_range(bits, signed)
    if edge == "min":
        return np.full(shape, lo, dtype=np.int32)
    if edge == "max":
        return np.full(shape, hi, dtype=np.int32)
    if edge == "extremes":
        return rng.choice(np.array([lo, hi, 0], dtype=np.int32), size=shape)
    return rng.integers(lo, hi + 1, size=shape).astype(np.int32)


def _tau_for(cfg: ArrayConfig, a, b, ab, bb, sa, sb, ring, rng, prefix=None) -> int:
    """A threshold that stops some outputs: 0 (all stop), a median, or above every partial."""
    r = gemm(cfg, a, b, ab, bb, a_signed=sa, b_signed=sb, stop_ring=ring, tau=0, prefix=prefix)
    mags = np.abs(r.values)
    pick = rng.integers(0, 4)
    if pick == 0:
        return 0
    if pick == 3:
        return int(mags.max()) + 1
    return int(np.median(mags))


def standard_jobs(cfg: ArrayConfig, seed: int = 0, *, max_dim: int | None = None,
                  max_k: int = 40) -> list[VectorJob]:
    """The standard verification set for a config.

    ``all-pairs``: every width pair, precision changing on every descriptor, mixed signedness;
    ``early-stop``: every pair with a random stop ring and threshold, every other one with an
    asymmetric prefix (top p digits of A x top q of B) instead; ``edges``: min/max codes,
    K=1, K not a multiple of the brick count, shapes not multiples of the tile grid; ``refused``:
    a valid descriptor followed by one whose width is not in the set; ``relative-tau``: early
    stop with tau relative to the pass's prefix maximum (two sweeps in the kernels).
    """
    rng = np.random.default_rng(seed)
    tm, tn = cfg.tiles
    max_dim = max_dim or max(2 * max(tm, tn) + 1, 3)
    k_cap = min(max_k, cfg.max_k)
    pairs = cfg.pairs()
    jobs = []

    def shape() -> tuple[int, int, int]:
        return (int(rng.integers(1, max_dim + 1)), int(rng.integers(1, k_cap + 1)),
                int(rng.integers(1, max_dim + 1)))

    img = MemoryImage(max_descriptors=len(pairs))
    for i, (ab, bb) in enumerate(pairs):
        m, k, n = shape()
        sa, sb = bool(rng.integers(0, 2)), bool(rng.integers(0, 2))
        img.add_pass(_codes(rng, (m, k), ab, sa), _codes(rng, (k, n), bb, sb), ab, bb,
                     a_signed=sa, b_signed=sb, pass_=Pass(i % 3), layer=i)
    jobs.append(make_job(cfg, "all-pairs", img))

    img = MemoryImage(max_descriptors=len(pairs))
    for i, (ab, bb) in enumerate(pairs):
        m, k, n = shape()
        sa, sb = bool(rng.integers(0, 2)), bool(rng.integers(0, 2))
        a, b = _codes(rng, (m, k), ab, sa), _codes(rng, (k, n), bb, sb)
        ring = int(rng.integers(0, max(cfg.digits(ab), cfg.digits(bb))))
        prefix = None
        if i % 2:  # an asymmetric prefix instead of the stop ring
            prefix = (int(rng.integers(1, cfg.digits(ab) + 1)),
                      int(rng.integers(1, cfg.digits(bb) + 1)))
            ring = None
        tau = _tau_for(cfg, a, b, ab, bb, sa, sb, ring, rng, prefix)
        img.add_pass(a, b, ab, bb, a_signed=sa, b_signed=sb, stop_ring=ring, tau=tau,
                     pass_=Pass.GC, layer=i, prefix=prefix)
    jobs.append(make_job(cfg, "early-stop", img))

    lo_b, hi_b = min(cfg.bits), max(cfg.bits)
    img = MemoryImage(max_descriptors=8)
    edge_cases = [
        (hi_b, hi_b, True, True, "min", "min", (tm + 1, 1, tn + 1)),
        (hi_b, hi_b, True, True, "max", "min", (1, k_cap, 1)),
        (lo_b, hi_b, False, True, "max", "extremes", (tm, cfg.bricks + 1, tn)),
        (hi_b, lo_b, False, False, "max", "max", (2 * tm + 1, min(k_cap, 17), 1)),
        (lo_b, lo_b, True, False, "extremes", "extremes", (3, 5, 2 * tn + 1)),
    ]
    for ab, bb, sa, sb, ea, eb, (m, k, n) in edge_cases:
        img.add_pass(_codes(rng, (m, k), ab, sa, ea), _codes(rng, (k, n), bb, sb, eb), ab, bb,
                     a_signed=sa, b_signed=sb)
    jobs.append(make_job(cfg, "edges", img))

    # a width outside the set; with every width 2..16 in it, 1 (never in a set) is refused too
    missing = next((b for b in range(2, 17) if b not in cfg.bits), 1)
    img = MemoryImage(max_descriptors=2)
    m, k, n = shape()
    img.add_pass(_codes(rng, (m, k), lo_b, True), _codes(rng, (k, n), lo_b, True), lo_b, lo_b)
    img.add_descriptor(Descriptor(m=1, n=1, k=1, a_bits=missing, b_bits=lo_b,
                                  c_addr=img.alloc(8), mask_addr=img.alloc(1),
                                  stat_addr=img.alloc(STAT_BYTES)))
    jobs.append(make_job(cfg, "refused", img))

    # tau relative to each pass's prefix maximum (the kernels' two sweeps), beta in 0.03..0.6
    few = pairs[::max(1, len(pairs) // 4)][:4]
    img = MemoryImage(max_descriptors=len(few))
    for i, (ab, bb) in enumerate(few):
        m, k, n = shape()
        sa, sb = bool(rng.integers(0, 2)), bool(rng.integers(0, 2))
        ring = int(rng.integers(0, max(cfg.digits(ab), cfg.digits(bb))))
        prefix = None
        if i % 2:
            prefix = (int(rng.integers(1, cfg.digits(ab) + 1)),
                      int(rng.integers(1, cfg.digits(bb) + 1)))
            ring = None
        img.add_pass(_codes(rng, (m, k), ab, sa), _codes(rng, (k, n), bb, sb), ab, bb,
                     a_signed=sa, b_signed=sb, stop_ring=ring, pass_=Pass(i % 3), layer=i,
                     prefix=prefix, tau_rel=int(rng.integers(2000, 40000)))
    jobs.append(make_job(cfg, "relative-tau", img))
    return jobs


def write_jobs(jobs: list[VectorJob], folder: Path) -> None:
    """Write ``<name>.mem.bin``, ``<name>.expected.bin``, ``<name>.json`` and ``jobs.json``."""
    folder.mkdir(parents=True, exist_ok=True)
    for j in jobs:
        (folder / f"{j.name}.mem.bin").write_bytes(j.memory)
        (folder / f"{j.name}.expected.bin").write_bytes(j.expected)
        (folder / f"{j.name}.json").write_text(json.dumps(j.meta(), indent=2) + "\n")
    (folder / "jobs.json").write_text(json.dumps([j.name for j in jobs], indent=2) + "\n")


def read_jobs(folder: Path) -> list[VectorJob]:
    """The vector jobs of a ``vectors/`` folder, in its ``jobs.json`` order: the one reader
    C-sim, RTL simulation, the self-test, deploy and verify use."""
    folder = Path(folder)
    out = []
    for name in json.loads((folder / "jobs.json").read_text()):
        meta = json.loads((folder / f"{name}.json").read_text())
        memory = (folder / f"{name}.mem.bin").read_bytes()
        status = KernelStatus(meta["status"], meta["error"], meta["cycles"],
                              meta["digit_products"])
        out.append(VectorJob(name, memory, (folder / f"{name}.expected.bin").read_bytes(),
                             meta["desc_addr"], meta["desc_count"], status,
                             descriptors_in(memory, meta["desc_addr"], meta["desc_count"])))
    return out
