"""``BaseDetector``: the train/test dispatch, loss parsing and drawing shared by detectors."""
from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections import OrderedDict
from typing import Any, Optional, Sequence, Union

import numpy as np
import torch
import torch.distributed as dist
from torch import Tensor

from ..layers import BaseModule


class BaseDetector(BaseModule, metaclass=ABCMeta):
    """Base of all detectors.

    ``forward(img, img_metas, return_loss=True, **kwargs)`` is the one entry:
    training calls ``forward_train(img (B, 3, H, W), img_metas (B dicts), **gts)``;
    testing passes *lists* over test-time augmentations
    (``img``: [(B, 3, H, W)] * T, ``img_metas``: [[B dicts]] * T) and calls
    ``simple_test`` for T = 1, ``aug_test`` otherwise.

    Attributes:
        CLASSES (tuple[str] | None): class names, set from the dataset by the
            runner or ``init_detector``; used by :meth:`show_result`.
    """

    CLASSES: Optional[Sequence[str]] = None

    def __init__(self, init_cfg: Union[dict, list, None] = None):
        super().__init__(init_cfg)
        self.fp16_enabled = False

    @property
    def with_neck(self) -> bool:
        """bool: whether the detector has a neck."""
        return getattr(self, 'neck', None) is not None

    @property
    def with_shared_head(self) -> bool:
        """bool: whether the RoI head has a shared head."""
        roi_head = getattr(self, 'roi_head', None)
        return roi_head is not None and bool(getattr(roi_head, 'with_shared_head', False))

    @property
    def with_bbox(self) -> bool:
        """bool: whether the detector has a box head (a RoI head's or a dense one)."""
        roi_head = getattr(self, 'roi_head', None)
        return ((roi_head is not None and bool(getattr(roi_head, 'with_bbox', False)))
                or getattr(self, 'bbox_head', None) is not None)

    @property
    def with_mask(self) -> bool:
        """bool: whether the detector has a mask head."""
        roi_head = getattr(self, 'roi_head', None)
        return ((roi_head is not None and bool(getattr(roi_head, 'with_mask', False)))
                or getattr(self, 'mask_head', None) is not None)

    @abstractmethod
    def extract_feat(self, imgs: Tensor) -> Any:
        """Features of a (B, 3, H, W) batch."""

    def extract_feats(self, imgs: list[Tensor]) -> list:
        """Features of every augmentation: [(B, 3, H, W)] * T -> [features] * T."""
        if not isinstance(imgs, list):
            raise TypeError(f'{type(self).__name__}.extract_feats: imgs must be a list of '
                            f'tensors (one per augmentation), but got {type(imgs).__name__}')
        return [self.extract_feat(img) for img in imgs]

    def forward_train(self, imgs: Tensor, img_metas: list[dict], **kwargs: Any) -> Any:
        """Record the padded batch size (H, W) in every meta as ``batch_input_shape``.

        Subclasses call this first, then compute their losses.
        """
        batch_input_shape = tuple(imgs[0].size()[-2:])
        for img_meta in img_metas:
            img_meta['batch_input_shape'] = batch_input_shape

    @abstractmethod
    def simple_test(self, img: Tensor, img_metas: list[dict], **kwargs: Any) -> list:
        """Results of a batch without augmentation."""

    @abstractmethod
    def aug_test(self, imgs: list[Tensor], img_metas: list[list[dict]], **kwargs: Any) -> list:
        """Results of one image under several augmentations."""

    def forward_test(self, imgs: list[Tensor], img_metas: list[list[dict]], **kwargs: Any) -> list:
        """Dispatch to ``simple_test`` (one augmentation) or ``aug_test`` (several).

        Args:
            imgs (list[Tensor]): per augmentation (B, 3, H, W).
            img_metas (list[list[dict]]): per augmentation, B meta dicts.
            **kwargs: e.g. ``proposals`` (list[list[Tensor]]: per augmentation, per image).
        """
        name = type(self).__name__
        for var, vname in ((imgs, 'imgs'), (img_metas, 'img_metas')):
            if not isinstance(var, list):
                raise TypeError(f'{name}.forward_test: {vname} must be a list (one entry per '
                                f'test-time augmentation), but got {type(var).__name__}; for a '
                                f'single image batch pass [img] and [img_metas]')
        num_augs = len(imgs)
        if num_augs == 0:
            raise ValueError(f'{name}.forward_test: imgs is an empty list')
        if num_augs != len(img_metas):
            raise ValueError(f'{name}.forward_test: the number of augmentations ({num_augs}) '
                             f'!= the number of image meta lists ({len(img_metas)})')
        for a, (img, img_meta) in enumerate(zip(imgs, img_metas)):
            if not isinstance(img_meta, (list, tuple)) or len(img_meta) != img.size(0):
                got = len(img_meta) if isinstance(img_meta, (list, tuple)) else \
                    type(img_meta).__name__
                raise ValueError(f'{name}.forward_test: img_metas[{a}] must be a list of '
                                 f'{img.size(0)} dicts (one per image of imgs[{a}]), '
                                 f'but got {got}')
            for meta in img_meta:
                meta['batch_input_shape'] = tuple(img.size()[-2:])
        if num_augs == 1:
            # proposals are nested like imgs: per augmentation, then per image
            if 'proposals' in kwargs:
                kwargs['proposals'] = kwargs['proposals'][0]
            return self.simple_test(imgs[0], img_metas[0], **kwargs)
        if imgs[0].size(0) != 1:
            raise ValueError(f'{name}: test-time augmentation works on one image at a time, '
                             f'but got a batch of {imgs[0].size(0)}')
        if 'proposals' in kwargs:
            raise ValueError(f'{name}: test-time augmentation with given proposals is not '
                             f'supported; pass one augmentation')
        return self.aug_test(imgs, img_metas, **kwargs)

    def forward(self, img: Any, img_metas: Any, return_loss: bool = True, **kwargs: Any) -> Any:
        """Losses (``return_loss=True``) of a batch, else test results.

        Training: ``img`` (B, 3, H, W), ``img_metas`` B dicts, ground truths as
        keyword arguments. Testing: lists over augmentations, see :meth:`forward_test`.
        """
        if return_loss:
            return self.forward_train(img, img_metas, **kwargs)
        return self.forward_test(img, img_metas, **kwargs)

    def _parse_losses(self, losses: dict) -> tuple[Tensor, dict]:
        """Total loss and the values to log.

        Every entry is a tensor (its mean is taken) or a list of tensors (the sum
        of their means, e.g. per-level losses). The total sums the entries whose
        name contains 'loss'. Under torch.distributed the logged values are
        averaged over ranks.

        Returns:
            tuple: ``loss`` (scalar Tensor, with grad) and ``log_vars``
            (OrderedDict name -> float, ending with 'loss').
        """
        log_vars: OrderedDict = OrderedDict()
        for loss_name, loss_value in losses.items():
            if isinstance(loss_value, Tensor):
                log_vars[loss_name] = loss_value.mean()
            elif isinstance(loss_value, (list, tuple)) and all(
                    isinstance(v, Tensor) for v in loss_value):
                log_vars[loss_name] = sum(_loss.mean() for _loss in loss_value)
            else:
                raise TypeError(f'{type(self).__name__}: the loss {loss_name!r} must be a '
                                f'tensor or a list of tensors, but got '
                                f'{type(loss_value).__name__}')
        loss_terms = [v for k, v in log_vars.items() if 'loss' in k]
        if not loss_terms:
            raise ValueError(f'{type(self).__name__}: no entry of the losses has "loss" in its '
                             f'name (got {list(losses)}); nothing to optimise')
        loss = sum(loss_terms)
        distributed = dist.is_available() and dist.is_initialized()
        if distributed:
            # ranks must all-reduce the same entries, or the collective calls never match
            log_var_length = torch.tensor(len(log_vars), device=loss.device)
            dist.all_reduce(log_var_length)
            if log_var_length.item() != len(log_vars) * dist.get_world_size():
                raise RuntimeError(f'rank {dist.get_rank()}: the loss entries differ across '
                                   f'ranks; here: {", ".join(log_vars)}')
        log_vars['loss'] = loss
        for loss_name, loss_value in log_vars.items():
            if distributed:
                loss_value = loss_value.data.clone()
                dist.all_reduce(loss_value.div_(dist.get_world_size()))
            log_vars[loss_name] = loss_value.item()
        return loss, log_vars

    def train_step(self, data: dict, optimizer: Any = None) -> dict:
        """One training iteration's forward: ``dict(loss, log_vars, num_samples)``.

        The runner does the backward and the optimizer step (in a hook).

        Args:
            data (dict): the collated batch: ``img``, ``img_metas``, ``gt_bboxes``, ...
            optimizer: unused here; kept for runner compatibility.
        """
        losses = self(**data)
        loss, log_vars = self._parse_losses(losses)
        return dict(loss=loss, log_vars=log_vars, num_samples=len(data['img_metas']))

    def val_step(self, data: dict, optimizer: Any = None) -> dict:
        """Like :meth:`train_step`, with '_val' appended to the logged names."""
        losses = self(**data)
        loss, log_vars = self._parse_losses(losses)
        log_vars_ = {f'{k}_val': v for k, v in log_vars.items()}
        return dict(loss=loss, log_vars=log_vars_, num_samples=len(data['img_metas']))

    def show_result(self, img: Union[str, np.ndarray], result: Any, score_thr: float = 0.3,
                    bbox_color: Any = (72, 101, 241), text_color: Any = (72, 101, 241),
                    mask_color: Any = None, thickness: int = 2, font_size: int = 13,
                    win_name: str = '', show: bool = False, wait_time: float = 0,
                    out_file: Optional[str] = None) -> Optional[np.ndarray]:
        """Draw a result on its image.

        Args:
            img (str | ndarray): (H, W, 3) BGR image or its path.
            result (list[ndarray] | tuple): per class (n, 5) boxes, or
                ``(bbox_result, segm_result)`` with per-class mask lists.
            score_thr (float): draw boxes scoring above it.
            out_file (str, optional): write the drawing here (and do not show it).

        Returns:
            ndarray | None: the drawn image, unless it was shown or written.
        """
        from ...structures.image_ops import imread
        from ...visualization import imshow_det_bboxes  # drawing pulls in matplotlib/cv2
        img = imread(img) if isinstance(img, str) else np.array(img)  # a copy: we draw on it
        if isinstance(result, tuple):
            bbox_result, segm_result = result
            if isinstance(segm_result, tuple):
                segm_result = segm_result[0]  # (masks, scores) of MS R-CNN
        else:
            bbox_result, segm_result = result, None
        bboxes = (np.vstack(bbox_result) if len(bbox_result)
                  else np.zeros((0, 5), dtype=np.float32))
        labels = np.concatenate([np.full(bbox.shape[0], i, dtype=np.int32)
                                 for i, bbox in enumerate(bbox_result)] or
                                [np.zeros(0, dtype=np.int32)])
        segms = None
        if segm_result is not None and len(labels) > 0:
            segms = [m for cls_masks in segm_result for m in cls_masks]
            if segms and isinstance(segms[0], Tensor):
                segms = torch.stack(segms, dim=0).detach().cpu().numpy()
            elif segms:
                segms = np.stack(segms, axis=0)
            else:
                segms = None
        if out_file is not None:
            show = False
        img = imshow_det_bboxes(img, bboxes, labels, segms, class_names=self.CLASSES,
                                score_thr=score_thr, bbox_color=bbox_color,
                                text_color=text_color, mask_color=mask_color,
                                thickness=thickness, font_size=font_size, win_name=win_name,
                                show=show, wait_time=wait_time, out_file=out_file)
        if not (show or out_file):
            return img
        return None
