"""``FastRCNN`` (Girshick, 2015): a RoI head on proposals loaded from a file."""
from __future__ import annotations

from typing import Any, Optional, Union

from torch import Tensor

from ...registry import DETECTORS
from .two_stage import TwoStageDetector


@DETECTORS.register_module()
class FastRCNN(TwoStageDetector):
    """Fast R-CNN: no proposal head; the pipeline's ``LoadProposals`` supplies
    ``proposals`` for training and testing. See :class:`TwoStageDetector`."""

    def __init__(self, backbone: dict, roi_head: dict, train_cfg: Optional[dict],
                 test_cfg: Optional[dict], neck: Optional[dict] = None,
                 pretrained: Optional[str] = None, init_cfg: Union[dict, list, None] = None):
        super().__init__(backbone=backbone, neck=neck, roi_head=roi_head, train_cfg=train_cfg,
                         test_cfg=test_cfg, pretrained=pretrained, init_cfg=init_cfg)

    def forward_test(self, imgs: list[Tensor], img_metas: list[list[dict]],
                     proposals: Optional[list[list[Tensor]]] = None, **kwargs: Any) -> list:
        """Results of a batch with its proposals.

        Args:
            imgs (list[Tensor]): one augmentation: [(B, 3, H, W)].
            img_metas (list[list[dict]]): [B metas].
            proposals (list[list[Tensor]]): [per image (n_i, 4 or 5)], nested like ``imgs``.
        """
        name = type(self).__name__
        if proposals is None:
            raise ValueError(f'{name}.forward_test: proposals are required (LoadProposals in '
                             f'the test pipeline and "proposals" in Collect)')
        if not isinstance(proposals, list) or (len(proposals) and isinstance(proposals[0],
                                                                             Tensor)):
            raise TypeError(f'{name}.forward_test: proposals must be a list (one entry per '
                            f'augmentation) of lists of per-image tensors')
        if len(proposals) != len(imgs):
            raise ValueError(f'{name}.forward_test: {len(proposals)} proposal lists for '
                             f'{len(imgs)} augmentations')
        return super().forward_test(imgs, img_metas, proposals=proposals, **kwargs)
