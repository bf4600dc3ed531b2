"""LoadProposals: precomputed proposals of a record."""
from __future__ import annotations

from typing import Optional

import numpy as np

from ...registry import PIPELINES
from ._utils import require


@PIPELINES.register_module()
class LoadProposals:
    """Keep the first ``num_max_proposals`` rows of ``results['proposals']`` as (n, 4) boxes.

    Required key: ``proposals`` (n, 4) or (n, 5) (the score column is dropped).
    Updated keys: ``proposals`` (one all-zero box when there are none),
    ``bbox_fields``.
    """

    def __init__(self, num_max_proposals: Optional[int] = None):
        self.num_max_proposals = num_max_proposals

    def __call__(self, results: dict) -> dict:
        require(results, 'proposals', 'LoadProposals')
        proposals = np.asarray(results['proposals'])
        if proposals.ndim != 2 or proposals.shape[1] not in (4, 5):
            raise ValueError(f'LoadProposals: proposals must have shape (n, 4) or (n, 5), but '
                             f'got {proposals.shape}')
        proposals = proposals[:, :4]
        if self.num_max_proposals is not None:
            proposals = proposals[:self.num_max_proposals]
        if len(proposals) == 0:
            # MMDetection's convention: RoI heads always get at least one proposal
            proposals = np.array([[0, 0, 0, 0]], dtype=np.float32)
        results['proposals'] = proposals
        results.setdefault('bbox_fields', []).append('proposals')
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(num_max_proposals={self.num_max_proposals})'
