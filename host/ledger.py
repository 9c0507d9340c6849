"""The cost ledger: effective MACs, modeled cycles, latency and energy per layer and pass.

Every executed descriptor is charged with its counters from the backend; beside it the ledger
keeps the static FW8/BW8 baseline on the same array, whose counters come from
``fpga_model.pass_counters`` at 8x8 for the full program of every mini-batch (dropped batches and
skipped blocks included), without running any GEMM a second time.

Latency is the RTL's wall clock: ``fpga_model.pipeline.rtl_wall`` walks the descriptor as the
generated hardware runs it (laid out in DDR as ``MemoryImage`` lays it out) on the board's
memory port (``fpga_model.pipeline.board_port_timing``: its duty and read latency), divided by the
array clock; energy takes those seconds for its static share and the bytes that walk moves on
the AXI bus for DRAM. A pass with a relative tau is one descriptor whose walk has two sweeps:
the prefix of every block (nothing written), then the pass with the threshold it derived.
Walks are cached by everything they depend on (shape, widths, pass, prefix, and the block-skip
grid of early stop), so a training step pays for a walk only when a new shape or grid comes.

Effective MACs follow FracTrain: MACs x b_a/32 x b_b/32 per GEMM, counting what the array
computed: an output that stopped early (PSG) is charged at the prefix widths it used, because its
tile stops issuing for the rest of the block (operand-gated, ``fpga_model.cycles``); the cycles
and energy come from the same counters (a block's cycles shrink only when all of it stopped).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Iterable

import numpy as np

from fpga_model import ArrayConfig, Descriptor, Pass, energy_joules, needs_c64, pass_counters
from fpga_model.digits import prefix_keep
from fpga_model.cycles import block_skip_grid
from fpga_model.pipeline import board_port_timing, rtl_wall

__all__ = ["Cost", "Ledger", "GemmShape", "PassWall", "effective_macs", "pass_wall",
           "rtl_program"]

GemmShape = tuple[int, Pass, int, int, int]  # (layer, pass, m, n, k)


@dataclass
class Cost:
    """Accumulated cost of some passes."""

    macs: int = 0
    eff_macs: float = 0.0
    cycles: int = 0  # engine cycles (the RTL's CYCLES counter)
    wall_cycles: int = 0  # the RTL's wall clock on the board's port: latency = this / clock
    latency_s: float = 0.0
    energy_j: float = 0.0
    passes: int = 0

    def add(self, other: "Cost") -> None:
        self.macs += other.macs
        self.eff_macs += other.eff_macs
        self.cycles += other.cycles
        self.wall_cycles += other.wall_cycles
        self.latency_s += other.latency_s
        self.energy_j += other.energy_j
        self.passes += other.passes

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def effective_macs(cfg: ArrayConfig, d: Descriptor, stopped: int = 0) -> float:
    """FracTrain's effective MACs of one pass: M*N*K * b_a/32 * b_b/32 (prefix widths if stopped),
    as the array computed them: a relative tau's prefix sweep computes every prefix once more."""
    full = d.a_bits * d.b_bits
    if not d.early_stop:
        return d.m * d.n * d.k * full / 1024.0
    p, q = prefix_keep(cfg.digits(d.a_bits), cfg.digits(d.b_bits), d.stop_ring, d.prefix)
    pre = min(d.a_bits, cfg.brick_width * p) * min(d.b_bits, cfg.brick_width * q)
    outputs = d.m * d.n
    total = stopped * pre + (outputs - stopped) * full
    if d.tau_rel is not None:
        total += outputs * pre
    return d.k * total / 1024.0


@dataclass(frozen=True)
class PassWall:
    """What the ledger takes from the RTL's walk of a pass."""

    cycles: int  # wall-clock cycles, start to done
    bus_bytes: int  # bytes read and written on the AXI bus


def rtl_program(cfg: ArrayConfig, d: Descriptor, stopped: np.ndarray | None
                ) -> tuple[list[Descriptor], list[np.ndarray | None]]:
    """The descriptor (and its stop mask) the RTL runs for ``d``: laid out as ``MemoryImage``
    lays a pass out (buffers aligned, C int32 where the pair and K allow it)."""
    tau = None
    if d.early_stop and d.tau_rel is None:
        tau = d.tau or 0
    one = replace(d, a_addr=0, b_addr=0, c_addr=0, mask_addr=0, stat_addr=0,
                  c64=needs_c64(d.a_bits, d.b_bits, d.k), tau=tau)
    return [one], [stopped]


def pass_wall(cfg: ArrayConfig, d: Descriptor, stopped: np.ndarray | None = None) -> PassWall:
    """The RTL's wall-clock cycles and bus bytes of ``d`` on the board's port (uncached)."""
    descs, masks = rtl_program(cfg, d, stopped)
    w = rtl_wall(cfg, descs, masks, port=board_port_timing(cfg))
    return PassWall(w.wall_cycles, w.read_bytes + w.write_bytes)


def _cost(cfg: ArrayConfig, d: Descriptor, counters: dict[str, int], wall: PassWall) -> Cost:
    lat = wall.cycles / cfg.clock_hz
    energy = energy_joules(cfg, {**counters, "dram_bits": 8 * wall.bus_bytes}, lat)["total"]
    return Cost(macs=counters["macs"], eff_macs=effective_macs(cfg, d, counters.get("stopped", 0)),
                cycles=counters["cycles"], wall_cycles=wall.cycles, latency_s=lat,
                energy_j=energy, passes=1)


CACHE_SIZE = 4096  # walks and costs kept (a new tau every batch does not grow it: tau is no key)


@dataclass
class Ledger:
    """Per (layer, pass) costs of the method and of the FW8/BW8 baseline on the same array."""

    cfg: ArrayConfig
    baseline_bits: tuple[int, int] = (8, 8)
    method: dict[tuple[int, Pass], Cost] = field(default_factory=dict)
    baseline: dict[tuple[int, Pass], Cost] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._walls: dict[tuple, PassWall] = {}
        self._full_costs: dict[tuple, Cost] = {}
        self._base_costs: dict[tuple, Cost] = {}

    def _wall_key(self, d: Descriptor, stopped: np.ndarray | None,
                  counters: dict[str, int]) -> tuple:
        """Everything the walk of ``d`` depends on (not its layer, tau or addresses)."""
        grid = None
        if d.early_stop:
            if stopped is None:
                if counters.get("blocks_skipped", 0):
                    raise ValueError(f"{d!r} skipped blocks; record it with its stop mask")
            elif stopped.any():
                g = block_skip_grid(self.cfg, stopped)
                grid = (g.shape, np.packbits(g).tobytes()) if g.any() else None
        return (d.m, d.n, d.k, d.a_bits, d.b_bits, d.a_signed, d.b_signed, int(d.pass_),
                d.stop_ring, d.prefix, d.tau_rel is not None, grid)

    def wall(self, d: Descriptor, stopped: np.ndarray | None = None,
             counters: dict[str, int] | None = None) -> PassWall:
        """``pass_wall`` of ``d``, cached (``stopped``: its M x N stop mask under early stop)."""
        key = self._wall_key(d, stopped, counters or {})
        w = self._walls.get(key)
        if w is None:
            if len(self._walls) >= CACHE_SIZE:
                self._walls.clear()
            if d.early_stop and stopped is None:  # no block skipped (checked by the key)
                stopped = np.zeros((d.m, d.n), dtype=bool)
            w = self._walls[key] = pass_wall(self.cfg, d, stopped)
        return w

    def record(self, d: Descriptor, counters: dict[str, int],
               stopped: np.ndarray | None = None) -> Cost:
        """Charge one executed descriptor with its counters (and its stop mask under early
        stop: the walk depends on which blocks skipped)."""
        if d.early_stop:
            c = _cost(self.cfg, d, counters, self.wall(d, stopped, counters))
        else:  # without early stop the same descriptor shape and counters repeat every batch
            key = (d.m, d.n, d.k, d.a_bits, d.b_bits, d.a_signed, d.b_signed, int(d.pass_),
                   *counters.items())
            c = self._full_costs.get(key)
            if c is None:
                if len(self._full_costs) >= CACHE_SIZE:
                    self._full_costs.clear()
                c = self._full_costs[key] = _cost(self.cfg, d, counters, self.wall(d))
        self.method.setdefault((d.layer, d.pass_), Cost()).add(c)
        return c

    def _base_cost(self, p: Pass, m: int, n: int, k: int) -> Cost:
        key = (p, m, n, k)
        c = self._base_costs.get(key)
        if c is None:
            a, b = self.baseline_bits
            d = Descriptor(m=m, n=n, k=k, a_bits=a, b_bits=b, pass_=p)
            if len(self._base_costs) >= CACHE_SIZE:
                self._base_costs.clear()
            c = self._base_costs[key] = _cost(
                self.cfg, d, pass_counters(self.cfg, m, n, k, a, b, None, None), self.wall(d))
        return c

    def record_baseline(self, shapes: Iterable[GemmShape]) -> None:
        """Charge the baseline with one mini-batch's full static program."""
        for layer, p, m, n, k in shapes:
            self.baseline.setdefault((layer, p), Cost()).add(self._base_cost(p, m, n, k))

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
        """1 - method/baseline for effective MACs, engine cycles, latency and energy."""
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
