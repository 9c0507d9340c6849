"""Training data: scikit-learn's digits (embedded, offline) and CIFAR-10/100 from a local folder.

``--data`` takes ``digits``, ``cifar10:PATH`` or ``cifar100:PATH``. PATH is the standard
python-pickle folder: ``data_batch_1..5`` and ``test_batch`` (CIFAR-10, cifar-10-python.tar.gz)
or ``train`` and ``test`` (CIFAR-100, cifar-100-python.tar.gz).
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .errors import ChoiceError, DataNotFound

__all__ = ["Dataset", "load_data", "batches", "DATA_KINDS", "SHAPES"]

DATA_KINDS = ("digits", "cifar10", "cifar100")
SHAPES = {"digits": (1, 8, 10), "cifar10": (3, 32, 10), "cifar100": (3, 32, 100)}  # C, HW, classes
_CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
_CIFAR_STD = (0.2023, 0.1994, 0.2010)


@dataclass
class Dataset:
    """Normalized NCHW float tensors and labels; ``augment`` says whether to crop and flip."""

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    num_classes: int
    augment: bool = False

    @property
    def in_channels(self) -> int:
        return self.x_train.shape[1]

    @property
    def image_size(self) -> int:
        return self.x_train.shape[2]

    def __repr__(self) -> str:
        return (f"Dataset({self.name}, train {tuple(self.x_train.shape)}, "
                f"test {tuple(self.x_test.shape)}, classes={self.num_classes})")


def _digits() -> Dataset:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = (d.images.astype(np.float32) / 16.0)[:, None]
    y = d.target.astype(np.int64)
    # a fixed split, the same for every training seed, so seeds vary only the training
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.2, stratify=y, random_state=0)
    mean, std = float(xtr.mean()), float(xtr.std())
    xtr, xte = (xtr - mean) / std, (xte - mean) / std
    return Dataset("digits", torch.from_numpy(xtr), torch.from_numpy(ytr),
                   torch.from_numpy(xte), torch.from_numpy(yte), 10)


def _unpickle(path: Path) -> dict:
    with path.open("rb") as f:
        return pickle.load(f, encoding="bytes")


def _cifar_arrays(batches: list[dict], label_key: bytes) -> tuple[np.ndarray, np.ndarray]:
    x = np.concatenate([np.asarray(b[b"data"], dtype=np.uint8) for b in batches])
    y = np.concatenate([np.asarray(b[label_key], dtype=np.int64) for b in batches])
    return x.reshape(-1, 3, 32, 32), y


def _normalize(x: np.ndarray) -> torch.Tensor:
    t = torch.from_numpy(x.astype(np.float32) / 255.0)
    mean = torch.tensor(_CIFAR_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(_CIFAR_STD).view(1, 3, 1, 1)
    return (t - mean) / std


def _cifar(kind: str, path: str) -> Dataset:
    root = Path(path).expanduser()
    if kind == "cifar10":
        train_files = [root / f"data_batch_{i}" for i in range(1, 6)]
        test_files = [root / "test_batch"]
        label_key, classes, archive = b"labels", 10, "cifar-10-python.tar.gz"
    else:
        train_files, test_files = [root / "train"], [root / "test"]
        label_key, classes, archive = b"fine_labels", 100, "cifar-100-python.tar.gz"
    missing = [p.name for p in train_files + test_files if not p.is_file()]
    if not root.is_dir() or missing:
        what = "does not exist" if not root.is_dir() else f"lacks {', '.join(missing)}"
        raise DataNotFound(f"{kind} folder {str(root)!r} {what}; extract {archive} and pass "
                           f"--data {kind}:PATH_TO_ITS_FOLDER")
    try:
        xtr, ytr = _cifar_arrays([_unpickle(p) for p in train_files], label_key)
        xte, yte = _cifar_arrays([_unpickle(p) for p in test_files], label_key)
    except (pickle.UnpicklingError, KeyError, ValueError, EOFError) as exc:
        raise DataNotFound(f"{kind} folder {str(root)!r} holds an unreadable batch file "
                           f"({type(exc).__name__}); re-extract {archive}") from None
    return Dataset(kind, _normalize(xtr), torch.from_numpy(ytr), _normalize(xte),
                   torch.from_numpy(yte), classes, augment=True)


def load_data(spec: str) -> Dataset:
    """Load ``digits``, ``cifar10:PATH`` or ``cifar100:PATH``."""
    kind, _, path = spec.partition(":")
    kind = kind.strip().lower()
    if kind == "digits" and not path:
        return _digits()
    if kind in ("cifar10", "cifar100"):
        if not path:
            raise DataNotFound(f"--data {kind} needs the folder of the python-pickle batches; "
                               f"pass --data {kind}:PATH")
        return _cifar(kind, path)
    raise ChoiceError(f"unknown data set {spec!r}; use digits, cifar10:PATH or cifar100:PATH")


def _augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random crop (padding 4) and horizontal flip, per sample."""
    n, _, h, w = x.shape
    xp = torch.nn.functional.pad(x, (4, 4, 4, 4))
    dy = torch.randint(0, 9, (n,), generator=generator)
    dx = torch.randint(0, 9, (n,), generator=generator)
    flip = torch.rand(n, generator=generator) < 0.5
    rows = (dy.view(n, 1) + torch.arange(h).view(1, h))  # n x h
    cols = (dx.view(n, 1) + torch.arange(w).view(1, w))  # n x w
    cols = torch.where(flip.view(n, 1), cols.flip(1), cols)
    idx_n = torch.arange(n).view(n, 1, 1)
    out = xp.permute(0, 2, 3, 1)[idx_n, rows.view(n, h, 1), cols.view(n, 1, w)]
    return out.permute(0, 3, 1, 2).contiguous()


def batches(x: torch.Tensor, y: torch.Tensor, batch_size: int, *,
            generator: torch.Generator | None = None, shuffle: bool = False,
            drop_last: bool = False, augment: bool = False):
    """Yield (x, y) mini-batches; shuffled and augmented from ``generator`` when asked."""
    n = x.shape[0]
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    stop = n - (n % batch_size) if drop_last else n
    for i in range(0, stop, batch_size):
        idx = order[i:i + batch_size]
        xb = x[idx]
        if augment:
            xb = _augment(xb, generator)
        yield xb, y[idx]
