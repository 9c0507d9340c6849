"""GEMM shapes of the benchmark network: ResNet-38 on CIFAR, 3x3 convolutions, per stage.

Used by the generated README's cycle table (RTL design model against the HLS estimate) so
the shapes it shows are the ones bench/ measures.
"""

from __future__ import annotations

__all__ = ["STAGE_HW", "BATCH", "conv_pass_shapes"]

STAGE_HW = {16: 32, 32: 16, 64: 8}  # ResNet-38 CIFAR: channels -> feature map side
BATCH = 128


def conv_pass_shapes(channels: int, scale: int = 1) -> list[tuple[str, int, int, int]]:
    """(pass, M, K, N) of one 3x3 conv of the stage, the batch dimension divided by scale."""
    hw = STAGE_HW[channels]
    rows = max(1, BATCH * hw * hw // scale)
    return [("fw", rows, 9 * channels, channels), ("eb", rows, 9 * channels, channels),
            ("gc", 9 * channels, rows, channels)]
