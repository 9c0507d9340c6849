"""A DDR window as the kernel sees it: placing operands and descriptors, reading results back.

``MemoryImage`` lays out a descriptor list and its buffers (64-byte aligned) in one byte array,
the way the host driver fills DDR before it starts the kernel. The same image goes to the model
(``fpga_model.kernel``), the HLS C-sim, the RTL simulation and a board.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .config import CODE_WIDTH
from .descriptor import DESC_BYTES, STAT_BYTES, STAT_FIELDS, Descriptor, Pass

__all__ = ["MemoryImage", "PassResult", "read_pass", "code_words", "read_codes", "ALIGN",
           "WORD_BITS", "BUFFERS", "OUTPUT_BUFFERS", "buffer_spans"]

ALIGN = 64
# bits of one word of each buffer of a descriptor: the one place for these sizes
WORD_BITS: dict[str, int] = {"A": CODE_WIDTH, "B": CODE_WIDTH, "C": 64, "MASK": 8, "STAT": 64}
BUFFERS = tuple(WORD_BITS)
OUTPUT_BUFFERS = ("C", "MASK", "STAT")


def buffer_spans(d: Descriptor) -> dict[str, tuple[int, int]]:
    """(byte address, byte count) of each buffer of ``d``: A, B, C, MASK and STAT."""
    words = {"A": d.m * d.k, "B": d.k * d.n, "C": d.m * d.n, "MASK": d.m * d.n,
             "STAT": STAT_BYTES * 8 // WORD_BITS["STAT"]}
    addrs = {"A": d.a_addr, "B": d.b_addr, "C": d.c_addr, "MASK": d.mask_addr,
             "STAT": d.stat_addr}
    return {name: (addrs[name], words[name] * WORD_BITS[name] // 8) for name in BUFFERS}


def _align(x: int) -> int:
    return -(-x // ALIGN) * ALIGN


def code_words(x: np.ndarray) -> np.ndarray:
    """Codes as the 16-bit words in DDR (two's-complement bits; the signed flag reads them)."""
    x = np.asarray(x)
    if x.size and (int(x.min()) < -(1 << (CODE_WIDTH - 1)) or int(x.max()) >= (1 << CODE_WIDTH)):
        raise ValueError(f"operand codes do not fit {CODE_WIDTH}-bit words; widths above "
                         f"{CODE_WIDTH} bits are not supported")
    return np.ascontiguousarray(x.astype(np.int64) & ((1 << CODE_WIDTH) - 1), dtype="<u2")


def read_codes(mem, offset: int, rows: int, cols: int, signed: bool) -> np.ndarray:
    """Read a rows x cols matrix of 16-bit code words, sign- or zero-extended."""
    return np.frombuffer(mem, dtype="<i2" if signed else "<u2", count=rows * cols,
                         offset=offset).reshape(rows, cols)


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
                 tau: int | None = None, pass_: Pass = Pass.FW, layer: int = 0) -> Descriptor:
        """Place A (M x K) and B (K x N) as 16-bit code words and room for C, MASK, STAT."""
        if len(self.descriptors) >= self.max_descriptors:
            raise ValueError(f"more than {self.max_descriptors} descriptors; "
                             f"create MemoryImage(max_descriptors=...) larger")
        a16, b16 = code_words(a), code_words(b)
        (m, k), (_, n) = a16.shape, b16.shape
        d = Descriptor(m=m, n=n, k=k, a_bits=a_bits, b_bits=b_bits, a_signed=a_signed,
                       b_signed=b_signed, stop_ring=stop_ring, tau=tau, pass_=pass_,
                       layer=layer)
        size = {name: n for name, (_, n) in buffer_spans(d).items()}
        d = replace(d, a_addr=self.alloc(size["A"], a16.tobytes()),
                    b_addr=self.alloc(size["B"], b16.tobytes()), c_addr=self.alloc(size["C"]),
                    mask_addr=self.alloc(size["MASK"]), stat_addr=self.alloc(size["STAT"]))
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
    values: np.ndarray  # int64 M x N
    stopped: np.ndarray  # bool M x N
    stats: dict[str, int]


def read_pass(mem: bytes | bytearray | np.ndarray, d: Descriptor) -> PassResult:
    """Read one descriptor's outputs, stop mask and statistics record from a DDR image."""
    buf = memoryview(mem if not isinstance(mem, np.ndarray) else mem.tobytes())
    span = {name: buf[at:at + n] for name, (at, n) in buffer_spans(d).items()}
    values = np.frombuffer(span["C"], dtype="<i8").reshape(d.m, d.n)
    mask = np.frombuffer(span["MASK"], dtype=np.uint8).reshape(d.m, d.n)
    raw = np.frombuffer(span["STAT"], dtype="<u8")
    stats = {name: int(v) for (name, _), v in zip(STAT_FIELDS, raw)}
    return PassResult(values.astype(np.int64), mask.astype(bool), stats)
