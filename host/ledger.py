"""The cost ledger: effective MACs, modeled cycles, latency and energy per layer and pass.

Every executed descriptor is charged with its counters from the backend; beside it the ledger
keeps the static FW8/BW8 baseline on the same array, whose counters come from
``fpga_model.pass_counters`` at 8x8 for the full program of every mini-batch (dropped batches and
skipped blocks included), without running any GEMM a second time.

Effective MACs follow FracTrain: MACs x b_a/32 x b_b/32 per GEMM, counting what the array
computed: an output that stopped early (PSG) is charged at the prefix widths it used, because its
tile stops issuing for the rest of the block (operand-gated, ``fpga_model.cycles``); the cycles
and energy come from the same counters (a block's cycles shrink only when all of it stopped).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Iterable

from fpga_model import ArrayConfig, Descriptor, Pass, energy_joules, latency_seconds, pass_counters
from fpga_model.digits import prefix_keep

__all__ = ["Cost", "Ledger", "GemmShape", "effective_macs"]

GemmShape = tuple[int, Pass, int, int, int]  # (layer, pass, m, n, k)


@dataclass
class Cost:
    """Accumulated cost of some passes."""

    macs: int = 0
    eff_macs: float = 0.0
    cycles: int = 0
    latency_s: float = 0.0
    energy_j: float = 0.0
    passes: int = 0

    def add(self, other: "Cost") -> None:
        self.macs += other.macs
        self.eff_macs += other.eff_macs
        self.cycles += other.cycles
        self.latency_s += other.latency_s
        self.energy_j += other.energy_j
        self.passes += other.passes

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def effective_macs(cfg: ArrayConfig, d: Descriptor, stopped: int = 0) -> float:
    """FracTrain's effective MACs of one pass: M*N*K * b_a/32 * b_b/32 (prefix widths if stopped)."""
    full = d.a_bits * d.b_bits
    if not d.early_stop or not stopped:
        return d.m * d.n * d.k * full / 1024.0
    p, q = prefix_keep(cfg.digits(d.a_bits), cfg.digits(d.b_bits), d.stop_ring, d.prefix)
    pa = min(d.a_bits, cfg.brick_width * p)
    pb = min(d.b_bits, cfg.brick_width * q)
    return d.k * (stopped * pa * pb + (d.m * d.n - stopped) * full) / 1024.0


def _cost(cfg: ArrayConfig, d: Descriptor, counters: dict[str, int]) -> Cost:
    lat = latency_seconds(cfg, counters)
    energy = energy_joules(cfg, counters, lat)["total"]
    return Cost(macs=counters["macs"], eff_macs=effective_macs(cfg, d, counters.get("stopped", 0)),
                cycles=counters["cycles"], latency_s=lat, energy_j=energy, passes=1)


@dataclass
class Ledger:
    """Per (layer, pass) costs of the method and of the FW8/BW8 baseline on the same array."""

    cfg: ArrayConfig
    baseline_bits: tuple[int, int] = (8, 8)
    method: dict[tuple[int, Pass], Cost] = field(default_factory=dict)
    baseline: dict[tuple[int, Pass], Cost] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._base_cost = lru_cache(maxsize=4096)(self._baseline_cost)
        self._full_costs: dict[tuple, Cost] = {}

    def record(self, d: Descriptor, counters: dict[str, int]) -> Cost:
        """Charge one executed descriptor with its counters."""
        if d.early_stop:
            c = _cost(self.cfg, d, counters)
        else:  # without early stop the same descriptor shape and counters repeat every batch
            key = (d.m, d.n, d.k, d.a_bits, d.b_bits, *counters.items())
            c = self._full_costs.get(key)
            if c is None:
                c = self._full_costs[key] = _cost(self.cfg, d, counters)
        self.method.setdefault((d.layer, d.pass_), Cost()).add(c)
        return c

    def _baseline_cost(self, m: int, n: int, k: int) -> Cost:
        a, b = self.baseline_bits
        d = Descriptor(m=m, n=n, k=k, a_bits=a, b_bits=b)
        return _cost(self.cfg, d, pass_counters(self.cfg, m, n, k, a, b, None, None))

    def record_baseline(self, shapes: Iterable[GemmShape]) -> None:
        """Charge the baseline with one mini-batch's full static program."""
        for layer, p, m, n, k in shapes:
            self.baseline.setdefault((layer, p), Cost()).add(self._base_cost(m, n, k))

    @staticmethod
    def _total(costs: dict[tuple[int, Pass], Cost]) -> Cost:
        t = Cost()
        for c in costs.values():
            t.add(c)
        return t

    def totals(self) -> tuple[Cost, Cost]:
        """(method, baseline) totals over all layers and passes."""
        return self._total(self.method), self._total(self.baseline)

    def savings(self) -> dict[str, float]:
        """1 - method/baseline for effective MACs, cycles, latency and energy."""
        m, b = self.totals()
        out = {}
        for key in ("eff_macs", "cycles", "latency_s", "energy_j"):
            base = getattr(b, key)
            out[key] = 1.0 - getattr(m, key) / base if base else 0.0
        return out

    def per_layer(self) -> list[dict]:
        """Rows (layer, pass, method cost, baseline cost) sorted by layer then pass."""
        keys = sorted(set(self.method) | set(self.baseline), key=lambda k: (k[0], int(k[1])))
        return [{"layer": layer, "pass": p.name,
                 "method": self.method.get((layer, p), Cost()).as_dict(),
                 "baseline": self.baseline.get((layer, p), Cost()).as_dict()}
                for layer, p in keys]
