"""The HLS kernel's on-chip buffers and its cycle estimate (hls_templates/hls/include/frac_*.h).

The HLS kernel is a DATAFLOW region of fetch -> execute -> result (frac_pass.h) that walks the
steps of ``frac_plan.h``: a step is one output block with one K segment and one ring group.
``HlsBuffers`` sizes its buffers from the design model's budget (``pipeline.buffer_plan``) and
is rendered into frac_config.h, so the kernel and this model choose the same order per pass:

* output stationary (FW, EB; GC that does not fit): A rows stay on chip across column blocks
  and B stays on chip across row blocks when K fits one segment and B fits the store;
* K outer (GC whose M x N accumulators fit ``acc_outputs``): segments outermost, every block's
  accumulators kept on chip, B's segment of every column on chip when it fits.

``hls_pass_cycles`` predicts the kernel's cycles from that stage structure (trip counts,
initiation intervals, pipeline depths, burst latency): each stage's cycles summed over the
steps, and the dataflow region costs the slowest stage plus the fill of the other two.
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import ArrayConfig
from .planes import PLANE_BYTES, PLANE_K
from .pipeline import ACC_BYTES, buffer_plan

__all__ = ["HlsBuffers", "hls_buffers", "OUT_COLS"]

OUT_COLS = 1024  # columns of the result stage's row buffer (wider passes go in slices)


@dataclass(frozen=True)
class HlsBuffers:
    """On-chip buffer sizes of the HLS kernel (rendered into frac_config.h)."""

    seg_planes: int  # plane words per line and digit plane in one K segment
    b_depth: int  # plane words per bank of the stationary B store (one bank per tile column)
    acc_outputs: int  # outputs whose accumulators fit on chip (the K-outer order for GC)
    acc_blocks: int  # output blocks of accumulators on chip
    out_cols: int = OUT_COLS

    def __post_init__(self) -> None:
        if self.out_cols < 64:  # a sliced mask row must span a whole beat (frac_result.h)
            raise ValueError(f"out_cols {self.out_cols} must be at least 64")

    def hdl_parameters(self) -> dict[str, int]:
        return {"SEG_PLANES": self.seg_planes, "B_DEPTH": self.b_depth,
                "ACC_OUTPUTS": self.acc_outputs, "ACC_BLOCKS": self.acc_blocks,
                "OUT_COLS": self.out_cols}


def hls_buffers(cfg: ArrayConfig) -> HlsBuffers:
    """The design model's budget in the kernel's units: half the BRAM for B, a quarter for the
    accumulators, ``segment_chunks`` plane words per line and plane in a K segment."""
    plan = buffer_plan(cfg)
    acc_outputs = plan.acc_bytes // ACC_BYTES
    return HlsBuffers(seg_planes=plan.segment_chunks,
                      b_depth=plan.stationary_bytes // (PLANE_BYTES * cfg.tn),
                      acc_outputs=acc_outputs,
                      acc_blocks=max(1, acc_outputs // cfg.num_tiles))
