"""``RandomSampler``: uniform sampling of positives and negatives."""
from __future__ import annotations

from typing import Union

import numpy as np
import torch
from torch import Tensor

from ....registry import BBOX_SAMPLERS
from ..assigners.assign_result import AssignResult
from .base_sampler import BaseSampler, neg_indices, pos_indices


@BBOX_SAMPLERS.register_module()
class RandomSampler(BaseSampler):
    """Random sampler.

    Args:
        num (int). pos_fraction (float). neg_pos_ub (int): -1 disables.
        add_gt_as_proposals (bool). See :class:`BaseSampler`.
        rng (int, optional, keyword): seed of a private ``torch.Generator``; by default
            the global torch RNG (seeded by the runner) is used.
    """

    def __init__(self, num: int, pos_fraction: float, neg_pos_ub: int = -1,
                 add_gt_as_proposals: bool = True, **kwargs):
        super().__init__(num, pos_fraction, neg_pos_ub, add_gt_as_proposals, **kwargs)
        seed = kwargs.get('rng', None)
        self.generator = None
        if seed is not None:
            self.generator = torch.Generator().manual_seed(int(seed))

    def random_choice(self, gallery: Union[Tensor, np.ndarray, list], num: int):
        """``num`` distinct random elements of ``gallery`` (same type back)."""
        if len(gallery) < num:
            raise ValueError(f'random_choice: cannot pick {num} of {len(gallery)} elements')
        is_tensor = isinstance(gallery, Tensor)
        if not is_tensor:
            gallery = torch.as_tensor(np.asarray(gallery), dtype=torch.long)
        perm = torch.randperm(gallery.numel(), generator=self.generator)[:num]
        perm = perm.to(gallery.device)
        picked = gallery[perm]
        return picked if is_tensor else picked.numpy()

    def _sample_pos(self, assign_result: AssignResult, num_expected: int, **kwargs) -> Tensor:
        inds = pos_indices(assign_result)
        return inds if inds.numel() <= num_expected else self.random_choice(inds, num_expected)

    def _sample_neg(self, assign_result: AssignResult, num_expected: int, **kwargs) -> Tensor:
        inds = neg_indices(assign_result)
        return inds if inds.numel() <= num_expected else self.random_choice(inds, num_expected)
