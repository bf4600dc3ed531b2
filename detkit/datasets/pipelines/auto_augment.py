"""AutoAugment: pick one of several augmentation policies at random and apply it."""
from __future__ import annotations

import copy
from typing import Optional

import numpy as np

from detkit.registry import PIPELINES

from .compose import Compose


@PIPELINES.register_module()
class AutoAugment:
    """Apply one policy, drawn uniformly from ``policies``, to the results.

    From `Learning Data Augmentation Strategies for Object Detection
    <https://arxiv.org/abs/1906.11172>`_. Each policy is a list of transform configs
    (any registered pipeline type, typically Shear, Rotate, Translate, ColorTransform,
    BrightnessTransform, ContrastTransform, EqualizeTransform), applied in order; a
    transform that returns None drops the sample.

    Args:
        policies (list[list[dict]]): the candidate policies, each a non-empty list of
            configs with a ``type``.

    Example:
        >>> policies = [[dict(type='Rotate', level=5, prob=0.5, img_fill_val=(124, 116, 104))],
        ...             [dict(type='Translate', level=5, prob=0.5)]]
        >>> aug = AutoAugment(policies)

    Draw: ``np.random.choice`` over the policies.
    """

    def __init__(self, policies: list):
        if not isinstance(policies, list) or len(policies) == 0:
            raise ValueError(f'AutoAugment: policies must be a non-empty list of policies, but '
                             f'got {policies!r}')
        for i, policy in enumerate(policies):
            if not isinstance(policy, list) or len(policy) == 0:
                raise ValueError(f'AutoAugment: policies[{i}] must be a non-empty list of '
                                 f'transform configs, but got {policy!r}')
            for j, augment in enumerate(policy):
                if not isinstance(augment, dict) or 'type' not in augment:
                    raise ValueError(f'AutoAugment: policies[{i}][{j}] must be a dict with the '
                                     f'key "type", but got {augment!r}')
        self.policies = copy.deepcopy(policies)
        self.transforms = [Compose(policy) for policy in self.policies]

    def __call__(self, results: dict) -> Optional[dict]:
        # draw an index (not np.random.choice on the list) so ragged policies are fine;
        # this consumes the RNG exactly like MMDetection's choice over Compose objects
        return self.transforms[np.random.choice(len(self.transforms))](results)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(policies={self.policies})'
