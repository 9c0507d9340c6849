"""The recurrent gate DFQ and SLU share: per-block pooled features into one LSTM over depth."""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["RecurrentGate"]


class RecurrentGate(nn.Module):
    """Global average pool -> the block's feature module -> one LSTM shared over depth -> linear.

    ``reset()`` starts a new forward pass through the network (the LSTM state runs over depth,
    block by block); ``logits(i, x)`` is block ``i``'s head output for its input ``x``.
    """

    def __init__(self, features: Sequence[nn.Module], width: int, hidden: int,
                 outputs: int) -> None:
        super().__init__()
        self.features = nn.ModuleList(features)
        self.lstm = nn.LSTM(width, hidden)
        self.fc = nn.Linear(hidden, outputs)
        self.state = None

    def reset(self) -> None:
        self.state = None

    def logits(self, i: int, x: torch.Tensor) -> torch.Tensor:
        f = self.features[i](F.adaptive_avg_pool2d(x, 1)).flatten(1)
        out, self.state = self.lstm(f.unsqueeze(0), self.state)
        return self.fc(out[0])
