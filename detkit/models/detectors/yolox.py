"""``YOLOX`` (Ge et al., "YOLOX: Exceeding YOLO Series in 2021"), with its in-model
multi-scale training."""
from __future__ import annotations

import random
from typing import Optional, Sequence, Union

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import Tensor

from ...registry import DETECTORS
from .single_stage import SingleStageDetector


def _dist_info() -> tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


@DETECTORS.register_module()
class YOLOX(SingleStageDetector):
    """A :class:`SingleStageDetector` with a ``YOLOXHead`` that trains at random sizes.

    During training the batch is resized (bilinear) from ``input_size`` to the
    current size, and the gt boxes scaled with it; every ``random_size_interval``
    iterations a new size is drawn: ``size_multiplier * k`` for the height with
    ``k`` uniform in ``random_size_range`` (inclusive), the width following
    ``input_size``'s aspect ratio. Rank 0 draws (Python's ``random``, seeded by
    the runner) and broadcasts, so all processes train at the same size.

    Args:
        backbone, neck, bbox_head (dict): component configs.
        train_cfg, test_cfg (dict, optional): the head's configs.
        pretrained (str, optional): deprecated, use the backbone's ``init_cfg``.
        input_size (tuple[int, int]): (H, W) of the training batches. Default (640, 640).
        size_multiplier (int): the sizes drawn are multiples of it. Default 32.
        random_size_range (tuple[int, int]): range of ``k``. Default (15, 25).
        random_size_interval (int): iterations between draws. Default 10.
        init_cfg (dict | list[dict], optional): initialisation config.
    """

    def __init__(self, backbone: dict, neck: dict, bbox_head: dict,
                 train_cfg: Optional[dict] = None, test_cfg: Optional[dict] = None,
                 pretrained: Optional[str] = None, input_size: Sequence[int] = (640, 640),
                 size_multiplier: int = 32, random_size_range: Sequence[int] = (15, 25),
                 random_size_interval: int = 10, init_cfg: Union[dict, list, None] = None):
        super().__init__(backbone, neck, bbox_head, train_cfg, test_cfg, pretrained, init_cfg)
        name = type(self).__name__
        if len(input_size) != 2 or len(random_size_range) != 2:
            raise ValueError(f'{name}: input_size (H, W) and random_size_range (low, high) '
                             f'need two values each, got {input_size!r} and '
                             f'{random_size_range!r}')
        if random_size_range[0] > random_size_range[1]:
            raise ValueError(f'{name}: random_size_range {tuple(random_size_range)} has '
                             f'low > high')
        if random_size_interval < 1:
            raise ValueError(f'{name}: random_size_interval must be >= 1, got '
                             f'{random_size_interval}')
        self.rank, self.world_size = _dist_info()
        self._default_input_size = tuple(input_size)
        self._input_size = tuple(input_size)
        self._random_size_range = tuple(random_size_range)
        self._random_size_interval = random_size_interval
        self._size_multiplier = size_multiplier
        self._progress_in_iter = 0

    def forward_train(self, img: Tensor, img_metas: list[dict], gt_bboxes: list[Tensor],
                      gt_labels: list[Tensor],
                      gt_bboxes_ignore: Optional[list[Tensor]] = None) -> dict:
        """Losses of a batch at the current training size (see the class docstring).

        Args:
            img (Tensor): (B, 3, H, W). img_metas (list[dict]): B dicts.
            gt_bboxes (list[Tensor]): per image (n_i, 4). gt_labels (list[Tensor]): (n_i,).
        """
        img, gt_bboxes = self._preprocess(img, gt_bboxes)
        losses = super().forward_train(img, img_metas, gt_bboxes, gt_labels, gt_bboxes_ignore)
        if (self._progress_in_iter + 1) % self._random_size_interval == 0:
            self._input_size = self._random_resize(device=img.device)
        self._progress_in_iter += 1
        return losses

    def _preprocess(self, img: Tensor, gt_bboxes: list[Tensor]) -> tuple[Tensor, list[Tensor]]:
        """Resize (B, 3, H, W) by the ratio of the current to the default input size.

        The boxes are scaled into new tensors (MMDetection scales them in place,
        which would also change the caller's batch).
        """
        scale_y = self._input_size[0] / self._default_input_size[0]
        scale_x = self._input_size[1] / self._default_input_size[1]
        if scale_x == 1 and scale_y == 1:
            return img, gt_bboxes
        img = F.interpolate(img, size=self._input_size, mode='bilinear', align_corners=False)
        gt_bboxes = [gt * gt.new_tensor([scale_x, scale_y, scale_x, scale_y]) for gt in gt_bboxes]
        return img, gt_bboxes

    def _random_resize(self, device: Union[str, torch.device]) -> tuple[int, int]:
        """The next training size (H, W), the same on every process."""
        # asked now, not at construction: the model may be built before the process group
        self.rank, self.world_size = _dist_info()
        tensor = torch.zeros(2, dtype=torch.long, device=device)
        if self.rank == 0:
            size = random.randint(*self._random_size_range)
            aspect_ratio = float(self._default_input_size[1]) / self._default_input_size[0]
            tensor[0] = self._size_multiplier * size
            tensor[1] = self._size_multiplier * int(aspect_ratio * size)
        if self.world_size > 1:
            dist.barrier()
            dist.broadcast(tensor, 0)
        return int(tensor[0].item()), int(tensor[1].item())
