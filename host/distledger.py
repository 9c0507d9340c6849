"""The ledger of a data-parallel run: every step charged as one process would charge it.

Each rank runs its slice of the global mini-batch, so its passes have fewer rows (M for FW and
EB, the reduction K for GC) than the single-process passes. Charging each rank's passes would
count every per-pass overhead once per rank. Instead the ranks send their executed descriptors
to rank 0 after every step; rank 0 merges the passes that differ only in the batch dimension
(same layer, pass, widths and other dimensions), splits GC's reduction again where the array's
max K needs it (as the driver does), and charges the merged passes with the model's counters
(``fpga_model.pass_counters``). Passes that stopped early (PSG) depend on their data; they are
charged as each rank ran them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fpga_model import Descriptor, Pass, pass_counters

from .dist import SINGLE
from .ledger import Cost, Ledger

__all__ = ["DistLedger"]


@dataclass
class DistLedger(Ledger):
    """A ``Ledger`` whose ``record`` waits for ``flush`` (once per step, on every rank)."""

    dist: Any = SINGLE
    _pending: list = field(default_factory=list, repr=False)

    def record(self, d: Descriptor, counters: dict[str, int], stopped=None) -> Cost:
        self._pending.append((d, (dict(counters), stopped) if d.early_stop else None))
        return Cost()

    def flush(self) -> None:
        """Charge this step's passes of every rank (on rank 0; the others keep nothing)."""
        everything = self.dist.gather(self._pending)
        self._pending = []
        if not self.dist.main:
            return
        rows: dict[tuple, int] = {}
        for passes in everything:
            seen: dict[tuple, int] = {}
            for d, ran in passes:
                if ran is not None:
                    Ledger.record(self, d, *ran)
                    continue
                if d.pass_ == Pass.GC:  # the batch is GC's reduction: all chunks sum
                    key = (d.layer, d.pass_, d.a_bits, d.b_bits, d.a_signed, d.b_signed, d.m,
                           d.n)
                    rows[key] = rows.get(key, 0) + d.k
                    continue
                base = (d.layer, d.pass_, d.a_bits, d.b_bits, d.a_signed, d.b_signed, d.n, d.k)
                nth = seen[base] = seen.get(base, -1) + 1  # K chunks of one pass stay apart
                rows[(*base, nth)] = rows.get((*base, nth), 0) + d.m
        for key, total in rows.items():
            layer, p, a, b, a_signed, b_signed = key[:6]
            if p == Pass.GC:
                m, n = key[6], key[7]
                step = self.cfg.max_k
                shapes = [(m, n, min(step, total - k0)) for k0 in range(0, total, step)]
            else:
                shapes = [(total, key[6], key[7])]
            for m, n, k in shapes:
                d = Descriptor(m=m, n=n, k=k, a_bits=a, b_bits=b, a_signed=a_signed,
                               b_signed=b_signed, pass_=p, layer=layer)
                Ledger.record(self, d, pass_counters(self.cfg, m, n, k, a, b, None, None))
