"""Device buffers the PYNQ way: numpy arrays with a physical address and explicit syncs.

``DeviceMemory`` stands in for the board's DDR on the simulated backends: allocations at
physical addresses, each with a device-side copy that only ``sync_to_device()`` and
``sync_from_device()`` move data to and from. That is how a Zynq's non-coherent buffers behave,
so a driver that forgets a sync gives wrong numbers here too, not only on the board.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import BufferMismatch

__all__ = ["Buffer", "DeviceMemory", "PAGE"]

PAGE = 4096


class Buffer(np.ndarray):
    """A numpy array in device memory (PYNQ ``PynqBuffer``-like).

    Attributes:
        physical_address: the address the kernel uses for element 0.
        device_address: the same (PYNQ spells both).
    """

    _memory: DeviceMemory | None
    _allocation: _Allocation | None

    def __array_finalize__(self, obj: Any) -> None:
        self._memory = getattr(obj, "_memory", None)
        self._allocation = getattr(obj, "_allocation", None)

    @property
    def physical_address(self) -> int:
        alloc = self._require()
        return alloc.address + self._byte_offset()

    @property
    def device_address(self) -> int:
        return self.physical_address

    def _require(self) -> _Allocation:
        if self._allocation is None or self._allocation.freed:
            raise BufferMismatch("this buffer has been freed (or was not allocated by a "
                                 "device); allocate a new one")
        return self._allocation

    def _byte_offset(self) -> int:
        base = self._allocation.host.__array_interface__["data"][0]
        return self.__array_interface__["data"][0] - base

    def _span(self) -> tuple[int, int]:
        if not self.flags["C_CONTIGUOUS"]:
            raise BufferMismatch("only contiguous buffer views can be synced; sync the whole "
                                 "buffer instead")
        off = self._byte_offset()
        return off, off + self.nbytes

    def sync_to_device(self) -> None:
        """Copy this buffer's bytes to the device (flush the CPU cache)."""
        alloc = self._require()
        lo, hi = self._span()
        alloc.device[lo:hi] = alloc.host[lo:hi]

    def sync_from_device(self) -> None:
        """Copy the device's bytes into this buffer (invalidate the CPU cache)."""
        alloc = self._require()
        lo, hi = self._span()
        alloc.host[lo:hi] = alloc.device[lo:hi]

    def freebuffer(self) -> None:
        """Give the memory back to the device."""
        if self._memory is not None and self._allocation is not None:
            self._memory.free(self._allocation)

    def close(self) -> None:
        self.freebuffer()


@dataclass(eq=False)
class _Allocation:
    address: int
    host: np.ndarray  # uint8, the CPU's view (what the Buffer array shares)
    device: np.ndarray  # uint8, what the kernel sees
    freed: bool = False

    @property
    def size(self) -> int:
        return self.host.size


class DeviceMemory:
    """Simulated DDR: page-aligned allocations at physical addresses from ``base``.

    Args:
        base: physical address of the first allocation (not 0, so that a driver that forgets
            the MEM base register reads the wrong place).
        limit: bytes the device may hand out in all.
    """

    def __init__(self, base: int = 0x1000_0000, limit: int = 1 << 30) -> None:
        self.base = base
        self.limit = limit
        self._live: list[_Allocation] = []

    def allocate(self, shape: int | tuple[int, ...], dtype: Any = np.uint8) -> Buffer:
        """A zeroed ``Buffer`` of ``shape`` and ``dtype`` (PYNQ ``allocate``)."""
        dt = np.dtype(dtype)
        count = int(np.prod(shape, dtype=np.int64)) if np.ndim(shape) else int(shape)
        nbytes = max(count * dt.itemsize, 1)
        addr = self._place(nbytes)
        host = np.zeros(nbytes, dtype=np.uint8)
        alloc = _Allocation(addr, host, np.zeros(nbytes, dtype=np.uint8))
        self._live.append(alloc)
        self._live.sort(key=lambda a: a.address)
        arr = host[:count * dt.itemsize].view(dt).reshape(shape).view(Buffer)
        arr._memory, arr._allocation = self, alloc
        return arr

    def _place(self, nbytes: int) -> int:
        span = -(-nbytes // PAGE) * PAGE
        addr = self.base
        for a in self._live:  # first fit between live allocations
            if addr + span <= a.address:
                break
            addr = a.address + -(-a.size // PAGE) * PAGE
        if addr + span - self.base > self.limit:
            raise BufferMismatch(f"device memory is full ({self.limit} bytes); free buffers "
                                 f"or allocate a smaller one")
        return addr

    def free(self, alloc: _Allocation) -> None:
        if not alloc.freed:
            alloc.freed = True
            self._live.remove(alloc)

    def window(self, address: int, nbytes: int) -> np.ndarray:
        """The device bytes at ``[address, address + nbytes)`` (a writable view).

        Raises:
            BufferMismatch: the range is not inside one live allocation (a bus error).
        """
        for a in self._live:
            if a.address <= address and address + nbytes <= a.address + a.size:
                lo = address - a.address
                return a.device[lo:lo + nbytes]
        raise BufferMismatch(f"the kernel addresses 0x{address:X}..0x{address + nbytes:X}, "
                             f"which is not inside an allocated buffer; allocate the DDR "
                             f"window with allocate() and pass its physical_address")

    def tail(self, address: int) -> np.ndarray:
        """The device bytes from ``address`` to the end of the buffer that holds it."""
        for a in self._live:
            if a.address <= address < a.address + a.size:
                return a.device[address - a.address:]
        return self.window(address, 1)  # not inside a buffer: raises BufferMismatch

    def __repr__(self) -> str:
        used = sum(a.size for a in self._live)
        return f"DeviceMemory(base=0x{self.base:X}, {len(self._live)} buffers, {used} bytes)"
