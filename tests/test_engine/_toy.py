"""Toy models and data that follow the detector contract, for the engine tests."""

from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset


class ToyDataset(Dataset):
    """``n`` samples ``{'img': (2,), 'target': (1,)}`` of y = 3 x0 - 2 x1 + 1, fixed by ``seed``."""

    CLASSES = ('a', 'b')

    def __init__(self, n: int = 8, seed: int = 0):
        g = torch.Generator().manual_seed(seed)
        self.x = torch.randn(n, 2, generator=g)
        self.y = self.x @ torch.tensor([[3.0], [-2.0]]) + 1.0
        self.evaluated = []

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> dict:
        return {'img': self.x[i], 'target': self.y[i]}

    def evaluate(self, results: list, logger=None, **kwargs) -> dict:
        self.evaluated.append(results)
        return {'mse': float(torch.stack(results).sub(self.y.flatten()).pow(2).mean())}


class ToyModel(nn.Module):
    """A linear regressor with ``train_step`` / ``val_step`` / ``forward(return_loss=False)``."""

    def __init__(self, num_classes: int = 2):
        super().__init__()
        self.linear = nn.Linear(2, 1)
        self.bbox_head = nn.Module()
        self.bbox_head.num_classes = num_classes
        self.val_calls = 0

    def forward(self, img, return_loss=True, rescale=False, **kwargs):
        pred = self.linear(img).flatten()
        if return_loss:
            return pred
        return list(pred.detach())

    def _losses(self, data):
        loss = (self.linear(data['img']) - data['target']).pow(2).mean()
        return dict(
            loss=loss,
            log_vars=OrderedDict(loss_mse=loss.item(), loss=loss.item()),
            num_samples=len(data['img']),
        )

    def train_step(self, data, optimizer):
        return self._losses(data)

    def val_step(self, data, optimizer=None):
        self.val_calls += 1
        return self._losses(data)


def toy_loader(n: int = 8, batch_size: int = 2, shuffle: bool = False, seed: int = 0) -> DataLoader:
    return DataLoader(ToyDataset(n, seed), batch_size=batch_size, shuffle=shuffle, num_workers=0)
