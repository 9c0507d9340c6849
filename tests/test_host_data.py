"""Data: embedded digits, CIFAR pickle folders written by the test, one-line errors."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from host.data import batches, load_data
from host.errors import ChoiceError, DataNotFound


def test_digits_is_a_fixed_stratified_split_of_8x8_images():
    d = load_data("digits")
    assert d.x_train.shape == (1437, 1, 8, 8) and d.x_test.shape == (360, 1, 8, 8)
    assert d.num_classes == 10 and d.in_channels == 1 and d.image_size == 8
    assert torch.equal(torch.bincount(d.y_test), torch.bincount(load_data("digits").y_test))
    assert abs(float(d.x_train.mean())) < 1e-4 and abs(float(d.x_train.std()) - 1) < 1e-3


def _write_cifar(root, files, label_key, n, classes, seed=0):
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    for name in files:
        batch = {b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                 label_key: list(rng.integers(0, classes, n)), b"batch_label": name.encode()}
        with (root / name).open("wb") as f:
            pickle.dump(batch, f)


def test_cifar10_folder_is_read_and_normalized(tmp_path):
    root = tmp_path / "cifar-10-batches-py"
    _write_cifar(root, [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"], b"labels", 4, 10)
    d = load_data(f"cifar10:{root}")
    assert d.x_train.shape == (20, 3, 32, 32) and d.x_test.shape == (4, 3, 32, 32)
    assert d.num_classes == 10 and d.augment
    with (root / "test_batch").open("rb") as f:
        raw = pickle.load(f)
    first = raw[b"data"][0].reshape(3, 32, 32)[0, 0, 0] / 255.0
    assert float(d.x_test[0, 0, 0, 0]) == pytest.approx((first - 0.4914) / 0.2023, rel=1e-5)
    assert d.y_test.tolist() == [int(v) for v in raw[b"labels"]]


def test_cifar100_reads_fine_labels(tmp_path):
    root = tmp_path / "cifar-100-python"
    _write_cifar(root, ["train", "test"], b"fine_labels", 6, 100)
    d = load_data(f"cifar100:{root}")
    assert d.num_classes == 100 and d.x_train.shape[0] == 6 and int(d.y_train.max()) < 100


def test_missing_or_incomplete_folders_get_a_one_line_fix(tmp_path):
    with pytest.raises(DataNotFound, match=r"^cifar10 folder '.*nowhere' does not exist; extract "
                                           r"cifar-10-python.tar.gz and pass --data cifar10:"):
        load_data(f"cifar10:{tmp_path / 'nowhere'}")
    _write_cifar(tmp_path / "c", ["train"], b"fine_labels", 2, 100)
    with pytest.raises(DataNotFound, match=r"^cifar100 folder '.*' lacks test; extract "):
        load_data(f"cifar100:{tmp_path / 'c'}")
    with pytest.raises(DataNotFound, match=r"^--data cifar10 needs the folder"):
        load_data("cifar10")
    with pytest.raises(ChoiceError, match=r"^unknown data set 'mnist'; use digits, cifar10:PATH"):
        load_data("mnist")


def test_batches_shuffle_reproducibly_and_augment_keeps_shapes():
    x = torch.arange(10.0).view(10, 1, 1, 1).expand(10, 3, 4, 4).contiguous()
    y = torch.arange(10)
    one = [b[1].tolist() for b in batches(x, y, 4, generator=torch.Generator().manual_seed(1),
                                          shuffle=True, drop_last=True)]
    two = [b[1].tolist() for b in batches(x, y, 4, generator=torch.Generator().manual_seed(1),
                                          shuffle=True, drop_last=True)]
    flat = sum(one, [])
    assert one == two and len(one) == 2 and len(set(flat)) == 8  # drop_last: 2 of 10 unused
    assert one != [[0, 1, 2, 3], [4, 5, 6, 7]]
    xb, yb = next(batches(x, y, 10, generator=torch.Generator().manual_seed(0), augment=True))
    assert xb.shape == x.shape
    # a crop of a constant image is the constant or the zero padding
    for i in range(10):
        vals = set(torch.unique(xb[i]).tolist())
        assert vals <= {0.0, float(yb[i])}
