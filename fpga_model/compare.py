"""The one comparison of a kernel run with the model: the first difference, in words.

Every tier that runs a DDR image (RTL simulation, the deployment self-test on a board or the
emulator) compares the image the kernel left with the model's byte for byte, and the registers
with ``==``. A difference is named by descriptor, buffer and word (``descriptor 2 C[1,1]``,
``MASK[r,c]``, ``STAT.cycles``), with the word's value on both sides, from the spans of
``fpga_model.memory.buffer_spans``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .descriptor import STAT_FIELDS, Descriptor
from .memory import BUFFERS, OUTPUT_BUFFERS, buffer_spans, mask_row_bytes, word_bytes

__all__ = ["first_difference", "descriptor_difference", "locate"]

_SEARCH = (OUTPUT_BUFFERS, tuple(b for b in BUFFERS if b not in OUTPUT_BUFFERS))


def _word_name(d: Descriptor, buffer: str, word: int) -> str:
    if buffer == "STAT":
        return f"STAT.{STAT_FIELDS[word][0]}" if word < len(STAT_FIELDS) else f"STAT word {word}"
    if buffer in ("A", "B"):
        return f"{buffer} plane word {word}"
    if buffer == "MASK":
        r, c = divmod(word, mask_row_bytes(d.n))
        return f"MASK[{r},{8 * c}:{8 * c + 8}]"
    r, c = divmod(word, max(d.n, 1))
    return f"{buffer}[{r},{c}]"


def _word(i: int, d: Descriptor, buffer: str, offset: int) -> tuple[str, int, int]:
    at = buffer_spans(d)[buffer][0]
    width = word_bytes(d, buffer)
    word = (offset - at) // width
    return f"descriptor {i} {_word_name(d, buffer, word)}", at + word * width, width


def locate(offset: int, descriptors: Sequence[Descriptor]) -> tuple[str, int, int] | None:
    """(the word's name, its byte address, its bytes) at ``offset``; None outside every buffer.

    Output buffers are searched before inputs, so a buffer that aliases another is named by
    what the kernel writes there.
    """
    for pick in _SEARCH:
        for i, d in enumerate(descriptors):
            spans = buffer_spans(d)
            for name in pick:
                at, size = spans[name]
                if at <= offset < at + size:
                    return _word(i, d, name, offset)
    return None


def _values(expected: bytes, actual: bytes, name: str, at: int, width: int) -> str:
    signed = " C[" in name
    got = int.from_bytes(actual[at:at + width], "little", signed=signed)
    want = int.from_bytes(expected[at:at + width], "little", signed=signed)
    return f"{got}, model {want}"


def _pair(d: Descriptor) -> str:
    return f"{d.a_bits}x{d.b_bits}"


def first_difference(expected: bytes, actual: bytes, descriptors: Sequence[Descriptor] = (),
                     registers: tuple[Mapping[str, int], Mapping[str, int]] | None = None
                     ) -> str:
    """'' when ``actual`` equals the model's ``expected`` image (and registers), else where not.

    Args:
        expected, actual: the DDR images (the model's, the tier's).
        descriptors: the run's descriptor list, to name the buffer and word of a difference.
        registers: (the model's, the tier's) register values by name, compared after the image.
    """
    expected, actual = bytes(expected), bytes(actual)
    if len(expected) != len(actual):
        return f"image is {len(actual)} bytes, expected {len(expected)}"
    if expected != actual:
        diff = next(i for i, (x, y) in enumerate(zip(expected, actual)) if x != y)
        count = sum(1 for x, y in zip(expected, actual) if x != y)
        head = f"{count} byte(s) differ; first at offset 0x{diff:x}"
        where = locate(diff, descriptors)
        if where is None:
            return (f"{head} (outside every buffer): 0x{actual[diff]:02x}, "
                    f"model 0x{expected[diff]:02x}")
        name, at, width = where
        d = descriptors[int(name.split()[1])]
        return f"{head} ({name}, {_pair(d)}): {_values(expected, actual, name, at, width)}"
    if registers is not None:
        model, have = registers
        for name, want in model.items():
            if have.get(name) != want:
                return f"{name} = {have.get(name)}, model {want}"
    return ""


def descriptor_difference(expected: bytes, actual: bytes, descriptors: Sequence[Descriptor],
                          i: int) -> str:
    """'' when descriptor ``i``'s outputs (C, MASK, STAT) are equal, else its first difference."""
    d = descriptors[i]
    for buffer in OUTPUT_BUFFERS:
        at, size = buffer_spans(d)[buffer]
        want, got = expected[at:at + size], actual[at:at + size]
        if want != got:
            off = at + next(j for j, (x, y) in enumerate(zip(want, got)) if x != y)
            name, w_at, width = _word(i, d, buffer, off)
            return f"{name} ({_pair(d)}): {_values(expected, actual, name, w_at, width)}"
    return ""
