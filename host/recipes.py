"""Training recipes: the official CIFAR schedules of FracTrain and E2-Train, and a quick one.

A recipe fixes the optimizer settings, the learning-rate schedule, the batch and the run length;
explicit ``fracfpga train`` options override its fields. Learning-rate milestones are
fractions of the run, so a shortened run keeps the schedule's shape (FracTrain: x0.1 at
32k and 48k of 64k iterations; E2-Train: x0.1 at 42,666 of 64k, its x0.01 at 64k never
happens). Torch-free: the command reads it before the heavy imports.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .errors import ChoiceError
from .names import RECIPES

__all__ = ["Recipe", "recipe", "RECIPE_TABLE"]


@dataclass(frozen=True)
class Recipe:
    """SGD settings, schedule ("cosine" or "piecewise" at ``milestones`` x ``gamma``), batch,
    and the run length in epochs or iterations (one of them)."""

    lr: float
    momentum: float
    weight_decay: float
    batch_size: int
    schedule: str
    milestones: tuple[float, ...] = ()
    gamma: float = 0.1
    epochs: int = 40
    iterations: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


RECIPE_TABLE: dict[str, Recipe] = {
    # the fast digits run (cosine, wd 5e-4, batch 64, 40 epochs): what `make run` trains
    "quick": Recipe(lr=0.1, momentum=0.9, weight_decay=5e-4, batch_size=64, schedule="cosine",
                    epochs=40),
    # fractrain_cifar/train_*.py: 64k iterations, batch 128, wd 1e-4, x0.1 at 32k and 48k
    "fractrain": Recipe(lr=0.1, momentum=0.9, weight_decay=1e-4, batch_size=128,
                        schedule="piecewise", milestones=(0.5, 0.75), iterations=64000),
    # E2Train main_all.py: 64k iterations, batch 128, wd 1e-4, x0.1 at int(32000*4/3)
    "e2train": Recipe(lr=0.1, momentum=0.9, weight_decay=1e-4, batch_size=128,
                      schedule="piecewise", milestones=(42666 / 64000,), iterations=64000),
}
assert tuple(RECIPE_TABLE) == RECIPES


def recipe(name: str) -> Recipe:
    if name not in RECIPE_TABLE:
        raise ChoiceError(f"unknown recipe {name!r}; use {', '.join(RECIPE_TABLE)}")
    return RECIPE_TABLE[name]
