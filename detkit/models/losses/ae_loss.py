"""Associative embedding loss of CornerNet (https://arxiv.org/abs/1808.01244)."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ...registry import LOSSES


def ae_loss_per_image(tl_preds: Tensor, br_preds: Tensor, match: Sequence) -> tuple:
    """Pull and push losses of one image.

    Args:
        tl_preds, br_preds (Tensor): (M, H, W) top-left / bottom-right embeddings.
        match (list): per object ``[[tl_y, tl_x], [br_y, br_x]]``.

    Returns:
        tuple[Tensor, Tensor]: pull (embeddings of an object's two corners pulled to
        their mean) and push (means of different objects pushed 1 apart).
    """
    if len(match) == 0:  # no object: zero losses that keep the graph
        return tl_preds.sum() * 0., tl_preds.sum() * 0.
    corners = torch.as_tensor(match, dtype=torch.long, device=tl_preds.device).view(-1, 2, 2)
    tl = tl_preds[:, corners[:, 0, 0], corners[:, 0, 1]].t().reshape(-1, 1)  # object-major
    br = br_preds[:, corners[:, 1, 0], corners[:, 1, 1]].t().reshape(-1, 1)
    me = (tl + br) / 2.0
    n = tl.size(0)
    pull = ((tl - me).pow(2) + (br - me).pow(2)).sum() / n
    if n < 2:
        return pull, tl_preds.sum() * 0.
    margin = 1  # CornerNet's setting, section 3.3 of the paper
    diff = (me[:, None, :] - me[None, :, :]).sum(-1).abs()  # (n, n)
    off_diag = 1 - torch.eye(n, dtype=me.dtype, device=me.device)
    push = F.relu(off_diag * (margin - diff)).sum() / (n * (n - 1))
    return pull, push


@LOSSES.register_module()
class AssociativeEmbeddingLoss(nn.Module):
    """Associative embedding loss.

    Args:
        pull_weight (float): weight of the pull loss. Default 0.25.
        push_weight (float): weight of the push loss. Default 0.25.
    """

    def __init__(self, pull_weight: float = 0.25, push_weight: float = 0.25):
        super().__init__()
        self.pull_weight = pull_weight
        self.push_weight = push_weight

    def forward(self, pred: Tensor, target: Tensor, match: Sequence) -> tuple:
        """Args: pred (B, M, H, W) top-left embeddings; target (B, M, H, W) bottom-right
        embeddings; match: per image, the corner positions of its objects.

        Returns:
            tuple: (pull, push), summed over images and weighted.
        """
        pull_all, push_all = 0.0, 0.0
        for i in range(pred.size(0)):  # a loop over images
            pull, push = ae_loss_per_image(pred[i], target[i], match[i])
            pull_all += self.pull_weight * pull
            push_all += self.push_weight * push
        return pull_all, push_all
