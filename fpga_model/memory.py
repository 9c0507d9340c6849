"""A DDR window as the kernel sees it: placing operands and descriptors, reading results back.

``MemoryImage`` lays out a descriptor list and its buffers (64-byte aligned) in one byte array,
the way the host driver fills DDR before it starts the kernel. The same image goes to the model
(``fpga_model.kernel``), the HLS C-sim, the RTL simulation and a board.

Memory contract v2: operands as digit planes (``fpga_model.planes``; A by rows, B by columns),
results as int32 where ``needs_c64`` allows (else int64; the descriptor's c64 flag says which),
the stop mask as packed bits (rows padded to bytes). ``buffer_spans`` is the one place that
sizes a descriptor's buffers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .descriptor import DESC_BYTES, STAT_BYTES, STAT_FIELDS, Descriptor, Pass, needs_c64
from .digits import code_range
from .planes import operand_bytes, pack_planes, unpack_planes

__all__ = ["MemoryImage", "PassResult", "read_pass", "buffer_spans", "operand_planes",
           "read_operand", "mask_row_bytes", "value_bytes", "pack_mask", "unpack_mask",
           "ALIGN", "BUFFERS", "OUTPUT_BUFFERS", "word_bytes"]

ALIGN = 64
BUFFERS = ("A", "B", "C", "MASK", "STAT")  # the buffers a descriptor names, in buffer_spans order
OUTPUT_BUFFERS = ("C", "MASK", "STAT")

def _align(x: int) -> int:
    return -(-x // ALIGN) * ALIGN


def operand_planes(x, bits: int) -> bytes:
    """The DDR bytes of an operand given as lines x K codes (A as is, B transposed)."""
    return pack_planes(x, bits).tobytes()


def read_operand(mem, offset: int, lines: int, k: int, bits: int, signed: bool) -> np.ndarray:
    """The lines x K codes an operand's digit planes hold (pad bit and lanes past K masked)."""
    return unpack_planes(mem, offset, lines, k, bits, signed)


def value_bytes(d: Descriptor) -> int:
    """Bytes per result value: 8 with the c64 flag, else 4."""
    return 8 if d.c64 else 4


def word_bytes(d: Descriptor, buffer: str) -> int:
    """Bytes of one word of a buffer: a plane word (A, B), a value (C), a mask byte, a STAT field."""
    return {"A": 4, "B": 4, "C": value_bytes(d), "MASK": 1, "STAT": 8}[buffer]


def mask_row_bytes(n: int) -> int:
    """Bytes of one row of the packed stop mask: ceil(N / 8)."""
    return -(-n // 8)


def pack_mask(stopped: np.ndarray) -> bytes:
    """The packed stop mask: per row ceil(N/8) bytes, output j at bit j%8 of byte j/8."""
    return np.packbits(np.asarray(stopped, dtype=bool), axis=1, bitorder="little").tobytes()


def unpack_mask(mem, offset: int, m: int, n: int) -> np.ndarray:
    """The M x N bool stop mask from its packed bytes."""
    raw = np.frombuffer(mem, dtype=np.uint8, count=m * mask_row_bytes(n), offset=offset)
    return np.unpackbits(raw.reshape(m, -1), axis=1, count=n, bitorder="little").astype(bool)


def _check_range(x: np.ndarray, name: str, bits: int, signed: bool) -> None:
    """Refuse codes the planes cannot hold (packing would drop their high bits silently)."""
    lo, hi = code_range(bits, signed)
    if x.size and (int(x.min()) < lo or int(x.max()) > hi):
        bad = int(x.min()) if int(x.min()) < lo else int(x.max())
        kind = "signed" if signed else "unsigned"
        raise ValueError(f"{name} code {bad} is out of range [{lo}, {hi}] for {bits}-bit "
                         f"{kind} operands; quantize to that range first")


def buffer_spans(d: Descriptor) -> dict[str, tuple[int, int]]:
    """(byte address, byte count) of each buffer a descriptor names: A, B, C, MASK, STAT."""
    return {
        "A": (d.a_addr, operand_bytes(d.m, d.k, d.a_bits)),
        "B": (d.b_addr, operand_bytes(d.n, d.k, d.b_bits)),
        "C": (d.c_addr, value_bytes(d) * d.m * d.n),
        "MASK": (d.mask_addr, d.m * mask_row_bytes(d.n)),
        "STAT": (d.stat_addr, STAT_BYTES),
    }


@dataclass
class MemoryImage:
    """Builder of a DDR image: descriptors first (room for ``max_descriptors``), then buffers."""

    max_descriptors: int = 64
    descriptors: list[Descriptor] = field(default_factory=list)
    _chunks: list[tuple[int, bytes]] = field(default_factory=list)
    _top: int = 0

    def __post_init__(self) -> None:
        self._top = _align(self.max_descriptors * DESC_BYTES)

    @property
    def desc_addr(self) -> int:
        return 0

    def alloc(self, nbytes: int, data: bytes | None = None) -> int:
        """Reserve ``nbytes`` (aligned); optionally fill them; return the byte offset."""
        addr = self._top
        self._top = _align(addr + max(nbytes, 1))
        if data is not None:
            self._chunks.append((addr, data))
        return addr

    def add_pass(self, a: np.ndarray, b: np.ndarray, a_bits: int, b_bits: int, *,
                 a_signed: bool = True, b_signed: bool = True, stop_ring: int | None = None,
                 tau: int | None = None, pass_: Pass = Pass.FW, layer: int = 0,
                 prefix: tuple[int, int] | None = None,
                 tau_rel: int | None = None) -> Descriptor:
        """Place A (M x K) by rows and B (K x N) by columns as digit planes, and room for C
        (int32 when the pair and K allow it), the packed MASK and STAT."""
        if len(self.descriptors) >= self.max_descriptors:
            raise ValueError(f"more than {self.max_descriptors} descriptors; "
                             f"create MemoryImage(max_descriptors=...) larger")
        a, b = np.asarray(a), np.asarray(b)
        (m, k), (_, n) = a.shape, b.shape
        _check_range(a, "A", a_bits, a_signed)
        _check_range(b, "B", b_bits, b_signed)
        pa, pb = operand_planes(a, a_bits), operand_planes(b.T, b_bits)
        c64 = needs_c64(a_bits, b_bits, k)
        d = Descriptor(
            m=m, n=n, k=k, a_bits=a_bits, b_bits=b_bits,
            a_addr=self.alloc(len(pa), pa), b_addr=self.alloc(len(pb), pb),
            c_addr=self.alloc((8 if c64 else 4) * m * n),
            mask_addr=self.alloc(m * mask_row_bytes(n)),
            stat_addr=self.alloc(STAT_BYTES), a_signed=a_signed, b_signed=b_signed,
            stop_ring=stop_ring, tau=tau, pass_=pass_, layer=layer, c64=c64, prefix=prefix,
            tau_rel=tau_rel)
        self.descriptors.append(d)
        return d

    def add_descriptor(self, d: Descriptor) -> Descriptor:
        """Append a descriptor as given (e.g. a deliberately bad one for fault tests)."""
        self.descriptors.append(d)
        return d

    @property
    def size(self) -> int:
        return self._top

    def to_bytes(self) -> bytearray:
        mem = bytearray(self._top)
        for i, d in enumerate(self.descriptors):
            mem[self.desc_addr + i * DESC_BYTES:self.desc_addr + (i + 1) * DESC_BYTES] = d.pack()
        for addr, data in self._chunks:
            mem[addr:addr + len(data)] = data
        return mem


@dataclass
class PassResult:
    values: np.ndarray  # int64 M x N (read from int32 or int64 words)
    stopped: np.ndarray  # bool M x N
    stats: dict[str, int]


def read_pass(mem: bytes | bytearray | np.ndarray, d: Descriptor) -> PassResult:
    """Read one descriptor's outputs, stop mask and statistics record from a DDR image."""
    buf = memoryview(mem if not isinstance(mem, np.ndarray) else mem.tobytes())
    mn = d.m * d.n
    dt = "<i8" if d.c64 else "<i4"
    values = np.frombuffer(buf, dtype=dt, count=mn, offset=d.c_addr).reshape(d.m, d.n)
    mask = unpack_mask(buf, d.mask_addr, d.m, d.n)
    raw = np.frombuffer(buf[d.stat_addr:d.stat_addr + STAT_BYTES], dtype="<u8")
    stats = {name: int(v) for (name, _), v in zip(STAT_FIELDS, raw)}
    return PassResult(values.astype(np.int64), mask, stats)
