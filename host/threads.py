"""CPU thread count for torch and the BLAS under numpy (the emulator's GEMMs run there)."""

from __future__ import annotations

import torch

__all__ = ["set_threads"]


def set_threads(n: int | None) -> None:
    """Use ``n`` threads in torch and in numpy's BLAS (None: leave the defaults).

    On a shared machine, more threads than free cores makes every parallel region wait for a
    descheduled thread; one thread per free core is usually fastest.
    """
    if n is None:
        return
    torch.set_num_threads(max(1, n))
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # the BLAS keeps its default
        return
    threadpool_limits(max(1, n))
