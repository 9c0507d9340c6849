"""Per-thread reusable buffers for temporaries that live inside one call.

A fresh multi-megabyte tensor costs its page faults every time; reusing one buffer per named
slot keeps a temporary's memory mapped and warm. A slot's buffer is valid only until the next
call that asks for the same slot on the same thread, so results never live in one.
"""

from __future__ import annotations

import threading

__all__ = ["scratch_flat", "scratch_like"]

_local = threading.local()


def scratch_flat(slot: str, n: int, dtype):
    """A 1-D CPU tensor view of at least ``n`` elements of ``dtype`` from the slot's buffer."""
    import torch

    bufs = getattr(_local, "bufs", None)
    if bufs is None:
        bufs = _local.bufs = {}
    buf = bufs.get(slot)
    if buf is None or buf.dtype != dtype or buf.numel() < n:
        buf = bufs[slot] = torch.empty(n, dtype=dtype)
    return buf[:n]


def scratch_like(slot: str, x, dtype=None):
    """A scratch tensor with ``x``'s shape and memory layout (strides), or None if ``x`` has
    no dense layout to copy (overlapping or gapped strides) or does not live on the CPU."""
    if x.device.type != "cpu":
        return None
    dims = sorted(range(x.dim()), key=lambda d: (x.stride(d), x.shape[d]), reverse=True)
    if not x.permute(dims).is_contiguous():  # not a permutation of a dense layout
        return None
    flat = scratch_flat(slot, x.numel(), dtype or x.dtype)
    return flat.as_strided(x.shape, x.stride())
