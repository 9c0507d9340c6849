"""Models a researcher brings (``--model byo_models:...``): plain torch.nn, no fracfpga imports."""

from __future__ import annotations

import torch
from torch import nn


class Block(nn.Module):
    """A torchvision-style BasicBlock: conv1/bn1/conv2/bn2 and an optional downsample."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                            nn.BatchNorm2d(cout))

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        return self.relu(self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x))))) + idt)


class TinyResNet(nn.Module):
    """Stem with a bias, two residual blocks, a depthwise conv (stays float), a biased head."""

    def __init__(self, num_classes: int, in_channels: int) -> None:
        super().__init__()
        self.stem = nn.Conv2d(in_channels, 8, 3, 1, 1, bias=True)
        self.layer = nn.Sequential(Block(8, 8, 1), Block(8, 16, 2))
        self.dw = nn.Conv2d(16, 16, 3, 1, 1, groups=16, bias=False)
        self.head = nn.Linear(16, num_classes)

    def forward(self, x):
        x = self.dw(self.layer(torch.relu(self.stem(x))))
        return self.head(x.mean((2, 3)))


def tiny_resnet(num_classes: int, in_channels: int) -> nn.Module:
    return TinyResNet(num_classes, in_channels)


class PreActBlock(Block):
    """The same attributes as ``Block``, but batch norm before each conv (pre-activation)."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__(cin, cout, stride)
        self.bn1 = nn.BatchNorm2d(cin)

    def forward(self, x):
        out = self.conv1(torch.relu(self.bn1(x)))
        idt = x if self.downsample is None else self.downsample(x)
        return self.conv2(torch.relu(self.bn2(out))) + idt


def preact(num_classes: int, in_channels: int) -> nn.Module:
    return nn.Sequential(nn.Conv2d(in_channels, 8, 3, padding=1), PreActBlock(8, 8, 1),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, num_classes))


def plain_cnn(num_classes: int, in_channels: int) -> nn.Module:
    return nn.Sequential(nn.Conv2d(in_channels, 8, 3, padding=1), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, num_classes))


def no_layers(num_classes: int, in_channels: int) -> nn.Module:
    return nn.Sequential(nn.Flatten())


def broken(num_classes: int) -> nn.Module:  # lacks in_channels
    return plain_cnn(num_classes, 1)


def for_224(num_classes: int, in_channels: int) -> nn.Module:
    """A model whose classifier expects 224x224 inputs."""
    return nn.Sequential(nn.Conv2d(in_channels, 4, 3, padding=1), nn.Flatten(),
                         nn.Linear(4 * 224 * 224, num_classes))
