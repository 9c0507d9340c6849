"""Resource model of the array: LUT/FF/DSP/BRAM36 from the tile grid and the widths it supports.

Per-tile costs follow ref/hardware.md §7.9 (16 LUT bricks of about 6 LUT, a 16-input adder tree,
one shifter, the accumulator in one DSP48) plus a fixed control and interface part. The numbers
are estimates until a synthesis run (``fracfpga estimate``) calibrates them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["ResourceEstimate", "estimate_resources", "RESOURCE_COSTS"]

# One place for the per-unit costs; ``fracfpga estimate`` compares them with yosys.
RESOURCE_COSTS = {
    "lut_per_brick": 6,
    "lut_tree_per_tile": 90,
    "lut_shift_per_step": 8,  # a shifter by 0, 2, 4, ..., max_shift costs this per step
    "lut_tile_ctrl": 20,
    "ff_per_tile_pipeline": 100,
    "lut_control": 3000,  # descriptor walker, AXI-Lite, AXI masters
    "ff_control": 4000,
    "bram_fixed": 4,
}


@dataclass(frozen=True)
class ResourceEstimate:
    lut: int
    ff: int
    dsp: int
    bram36: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def over(self, capacity: dict[str, int]) -> list[str]:
        """Names of the resources that exceed ``capacity``."""
        return [k for k, v in self.as_dict().items() if v > capacity.get(k, 0)]


def estimate_resources(tm: int, tn: int, bricks: int, acc_width: int, max_shift: int,
                       code_width: int = 16) -> ResourceEstimate:
    """Estimate the array's resources from its shape (pure function of the numbers given)."""
    c = RESOURCE_COSTS
    tiles = tm * tn
    shift_steps = max_shift // 2 + 1
    lut_tile = (bricks * c["lut_per_brick"] + c["lut_tree_per_tile"]
                + shift_steps * c["lut_shift_per_step"] + c["lut_tile_ctrl"])
    ff_tile = c["ff_per_tile_pipeline"] + acc_width
    dsp_tile = 1 if acc_width <= 48 else 2
    # operand buffers: a row (column) buffer per tile row (column), double-buffered, plus the
    # output buffer of TM*TN accumulators
    bram = 2 * (tm + tn) + -(-(tiles * acc_width) // 36864) + c["bram_fixed"]
    return ResourceEstimate(
        lut=tiles * lut_tile + c["lut_control"],
        ff=tiles * ff_tile + c["ff_control"],
        dsp=tiles * dsp_tile,
        bram36=bram,
    )
