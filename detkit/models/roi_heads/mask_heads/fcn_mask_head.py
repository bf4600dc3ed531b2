"""``FCNMaskHead``: Mask R-CNN's mask branch — convs, a 2x upsample, per-class logits —
and the pasting of RoI masks into whole-image masks."""
from __future__ import annotations

import warnings
from typing import Any, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor
from torch.nn.modules.utils import _pair

from ....registry import HEADS
from ....structures import mask_target
from ....utils.suggest import did_you_mean
from ...builder import build_loss
from ...layers import BaseModule, ConvModule, build_conv_layer, build_upsample_layer

BYTES_PER_FLOAT = 4
#: Pasting on GPU is chunked so one chunk's (n, H, W) float masks stay under 1 GB.
GPU_MEM_LIMIT = 1024**3

_UPSAMPLE_METHODS = (None, 'deconv', 'nearest', 'bilinear')


@HEADS.register_module()
class FCNMaskHead(BaseModule):
    """``num_convs`` convs, an upsample (2x deconv + ReLU by default), 1x1 ``conv_logits``.

    Args:
        num_convs (int): convs before the upsample.
        roi_feat_size (int): h = w of the input RoI features.
        in_channels (int): C_in.
        conv_kernel_size (int): kernel of the convs.
        conv_out_channels (int): channels of the convs and the deconv.
        num_classes (int): C; one mask per class unless ``class_agnostic``.
        class_agnostic (bool): predict a single mask per RoI.
        upsample_cfg (dict): ``type`` one of None, 'deconv', 'nearest', 'bilinear'
            ('carafe' needs mmcv's CARAFE op, which detkit has not) and ``scale_factor``.
        conv_cfg (dict, optional), norm_cfg (dict, optional): of the convs.
        predictor_cfg (dict): config of ``conv_logits``.
        loss_mask (dict): mask loss config (per-RoI BCE of its class's mask).
        init_cfg: must be None (``init_weights`` sets kaiming-normal fan-out itself).
    """

    def __init__(self, num_convs: int = 4, roi_feat_size: int = 14, in_channels: int = 256,
                 conv_kernel_size: int = 3, conv_out_channels: int = 256,
                 num_classes: int = 80, class_agnostic: bool = False,
                 upsample_cfg: dict = dict(type='deconv', scale_factor=2),  # noqa: B006
                 conv_cfg: Optional[dict] = None, norm_cfg: Optional[dict] = None,
                 predictor_cfg: dict = dict(type='Conv'),  # noqa: B006
                 loss_mask: dict = dict(type='CrossEntropyLoss', use_mask=True,  # noqa: B006
                                        loss_weight=1.0),
                 init_cfg: Union[dict, list, None] = None):
        if init_cfg is not None:
            raise ValueError('FCNMaskHead: init_cfg must be None: the upsample and conv_logits '
                             'are initialised in init_weights (kaiming normal, fan_out)')
        super().__init__(init_cfg)
        self.upsample_cfg = dict(upsample_cfg)
        method = self.upsample_cfg.get('type')
        if method == 'carafe':
            raise ValueError("FCNMaskHead: upsample_cfg type 'carafe' is not supported (detkit "
                             "has no CARAFE op); use one of 'deconv', 'nearest', 'bilinear' "
                             "or None")
        if method not in _UPSAMPLE_METHODS:
            known = [m for m in _UPSAMPLE_METHODS if m]
            raise ValueError(f'FCNMaskHead: invalid upsample_cfg type {method!r}'
                             f'{did_you_mean(str(method), known)}; accepted: '
                             f'{", ".join(known)} or None')
        self.num_convs = num_convs
        self.roi_feat_size = _pair(roi_feat_size)
        self.in_channels = in_channels
        self.conv_kernel_size = conv_kernel_size
        self.conv_out_channels = conv_out_channels
        self.upsample_method = method
        self.scale_factor = self.upsample_cfg.pop('scale_factor', None)
        self.num_classes = num_classes
        self.class_agnostic = class_agnostic
        self.conv_cfg = conv_cfg
        self.norm_cfg = norm_cfg
        self.predictor_cfg = predictor_cfg
        self.fp16_enabled = False
        self.loss_mask = build_loss(loss_mask)

        self.convs = nn.ModuleList()
        padding = (conv_kernel_size - 1) // 2
        for i in range(num_convs):
            self.convs.append(ConvModule(in_channels if i == 0 else conv_out_channels,
                                         conv_out_channels, conv_kernel_size, padding=padding,
                                         conv_cfg=conv_cfg, norm_cfg=norm_cfg))
        upsample_in_channels = conv_out_channels if num_convs > 0 else in_channels
        upsample_cfg_ = dict(self.upsample_cfg)
        if method is None:
            self.upsample = None
        elif method == 'deconv':
            upsample_cfg_.update(in_channels=upsample_in_channels,
                                 out_channels=conv_out_channels,
                                 kernel_size=self.scale_factor, stride=self.scale_factor)
            self.upsample = build_upsample_layer(upsample_cfg_)
        else:
            # align_corners only means something for the interpolating modes
            upsample_cfg_.update(scale_factor=self.scale_factor,
                                 align_corners=None if method == 'nearest' else False)
            self.upsample = build_upsample_layer(upsample_cfg_)
        out_channels = 1 if class_agnostic else num_classes
        logits_in_channel = conv_out_channels if method == 'deconv' else upsample_in_channels
        self.conv_logits = build_conv_layer(predictor_cfg, logits_in_channel, out_channels, 1)
        self.relu = nn.ReLU(inplace=True)
        self.debug_imgs = None

    def init_weights(self) -> None:
        """Convs as configured; upsample and conv_logits kaiming-normal (fan_out), bias 0."""
        super().init_weights()
        for m in (self.upsample, self.conv_logits):
            if m is not None and getattr(m, 'weight', None) is not None:
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
                nn.init.constant_(m.bias, 0)

    def forward(self, x: Tensor) -> Tensor:
        """(N, C_in, h, w) -> mask logits (N, C or 1, s * h, s * w)."""
        for conv in self.convs:
            x = conv(x)
        if self.upsample is not None:
            x = self.upsample(x)
            if self.upsample_method == 'deconv':
                x = self.relu(x)
        return self.conv_logits(x)

    def get_targets(self, sampling_results: Sequence[Any], gt_masks: Sequence[Any],
                    rcnn_train_cfg: Any) -> Tensor:
        """(P, mask_h, mask_w) targets of the positives of a batch: each gt mask cropped to
        its proposal and resized with RoIAlign (``rcnn_train_cfg.mask_size``)."""
        pos_proposals = [res.pos_bboxes for res in sampling_results]
        pos_assigned_gt_inds = [res.pos_assigned_gt_inds for res in sampling_results]
        return mask_target(pos_proposals, pos_assigned_gt_inds, gt_masks, rcnn_train_cfg)

    def loss(self, mask_pred: Tensor, mask_targets: Tensor, labels: Tensor) -> dict:
        """``loss_mask``: BCE of each positive's mask of its gt class.

        Args:
            mask_pred (Tensor): (P, C or 1, h, w) logits.
            mask_targets (Tensor): (P, h, w) in {0, 1}.
            labels (Tensor): (P,) gt classes.
        """
        if mask_pred.size(0) == 0:
            # no positive in the batch: zero, with a graph through the head
            loss_mask = mask_pred.sum()
        elif self.class_agnostic:
            loss_mask = self.loss_mask(mask_pred, mask_targets, torch.zeros_like(labels))
        else:
            loss_mask = self.loss_mask(mask_pred, mask_targets, labels)
        return dict(loss_mask=loss_mask)

    def get_seg_masks(self, mask_pred: Union[Tensor, np.ndarray], det_bboxes: Tensor,
                      det_labels: Tensor, rcnn_test_cfg: Any, ori_shape: Sequence[int],
                      scale_factor: Any, rescale: bool) -> list[list[np.ndarray]]:
        """Whole-image binary masks of one image's detections.

        Args:
            mask_pred (Tensor | ndarray): (n, C or 1, h, w) logits (Tensor) or
                probabilities (ndarray, e.g. merged over augmentations).
            det_bboxes (Tensor): (n, 4+) boxes in test-image pixels.
            det_labels (Tensor): (n,) classes.
            rcnn_test_cfg (dict): ``mask_thr_binary`` (< 0 keeps uint8 probabilities * 255).
            ori_shape (tuple): (H, W[, C]) of the original image.
            scale_factor (ndarray | Tensor | float): [w, h, w, h] test-image scale.
            rescale (bool): paste into the original image (else into the test image).

        Returns:
            list[list[ndarray]]: per class, the (H, W) bool (or uint8) masks of its
            detections, in detection order.
        """
        if isinstance(mask_pred, Tensor):
            mask_pred = mask_pred.sigmoid()
        else:
            mask_pred = det_bboxes.new_tensor(mask_pred)
        device = mask_pred.device
        cls_segms: list[list[np.ndarray]] = [[] for _ in range(self.num_classes)]
        bboxes = det_bboxes[:, :4]
        labels = det_labels
        if not isinstance(scale_factor, Tensor):
            if isinstance(scale_factor, float):
                warnings.warn('FCNMaskHead.get_seg_masks: a float scale_factor is deprecated; '
                              'pass [w, h, w, h]', DeprecationWarning, stacklevel=2)
                scale_factor = np.array([scale_factor] * 4)
            scale_factor = bboxes.new_tensor(np.asarray(scale_factor, dtype=np.float32))
        if rescale:
            img_h, img_w = ori_shape[:2]
            bboxes = bboxes / scale_factor.to(bboxes)
        else:
            w_scale, h_scale = scale_factor[0], scale_factor[1]
            img_h = int(np.round(ori_shape[0] * h_scale.item()))
            img_w = int(np.round(ori_shape[1] * w_scale.item()))
        n = len(mask_pred)
        if n == 0:
            return cls_segms
        if device.type == 'cpu':
            # one mask at a time, each only over its box's extent (skip_empty)
            num_chunks = n
        else:
            # whole-image pasting is fast on GPU; chunk only to bound memory
            num_chunks = int(np.ceil(n * int(img_h) * int(img_w) * BYTES_PER_FLOAT
                                     / GPU_MEM_LIMIT))
            num_chunks = min(max(num_chunks, 1), n)
        chunks = torch.chunk(torch.arange(n, device=device), num_chunks)
        threshold = rcnn_test_cfg['mask_thr_binary']
        im_mask = torch.zeros(n, img_h, img_w, device=device,
                              dtype=torch.bool if threshold >= 0 else torch.uint8)
        if not self.class_agnostic:
            mask_pred = mask_pred[torch.arange(n, device=device), labels][:, None]
        for inds in chunks:
            masks_chunk, spatial_inds = _do_paste_mask(mask_pred[inds], bboxes[inds], img_h,
                                                       img_w, skip_empty=device.type == 'cpu')
            if threshold >= 0:
                masks_chunk = masks_chunk >= threshold
            else:
                masks_chunk = (masks_chunk * 255).to(dtype=torch.uint8)
            im_mask[(inds, ) + spatial_inds] = masks_chunk
        masks = im_mask.cpu().numpy()
        for i, label in enumerate(labels.tolist()):
            cls_segms[label].append(masks[i])
        return cls_segms


def _do_paste_mask(masks: Tensor, boxes: Tensor, img_h: int, img_w: int,
                   skip_empty: bool = True) -> tuple[Tensor, tuple]:
    """Paste RoI masks into an image by bilinear sampling.

    Every image pixel (x + 0.5, y + 0.5) inside a box samples the box's mask at the
    matching relative position (``grid_sample``, align_corners=False): the mask's
    cells cover the box exactly.

    Args:
        masks (Tensor): (n, 1, h, w) probabilities.
        boxes (Tensor): (n, 4) [x1, y1, x2, y2] in image pixels.
        img_h (int), img_w (int): the image size.
        skip_empty (bool): sample only the region the boxes cover (plus 1 px)
            and return its slices; else the whole image.

    Returns:
        tuple: (n, h', w') float32 masks and the (row, col) slices they fill
        (empty tuple when not ``skip_empty``).
    """
    device = masks.device
    if skip_empty:
        x0_int, y0_int = torch.clamp(boxes.min(dim=0).values.floor()[:2] - 1,
                                     min=0).to(dtype=torch.int32).tolist()
        x1_int = int(torch.clamp(boxes[:, 2].max().ceil() + 1, max=img_w))
        y1_int = int(torch.clamp(boxes[:, 3].max().ceil() + 1, max=img_h))
    else:
        x0_int, y0_int = 0, 0
        x1_int, y1_int = img_w, img_h
    x0, y0, x1, y1 = torch.split(boxes, 1, dim=1)  # each (n, 1)
    n = masks.shape[0]
    img_y = torch.arange(y0_int, y1_int, device=device, dtype=torch.float32) + 0.5
    img_x = torch.arange(x0_int, x1_int, device=device, dtype=torch.float32) + 0.5
    img_y = (img_y - y0) / (y1 - y0) * 2 - 1  # (n, h')
    img_x = (img_x - x0) / (x1 - x0) * 2 - 1  # (n, w')
    # a zero-size box divides by 0: sample its mask's centre instead of producing NaN
    img_x = torch.where(torch.isinf(img_x), torch.zeros_like(img_x), img_x)
    img_y = torch.where(torch.isinf(img_y), torch.zeros_like(img_y), img_y)
    gx = img_x[:, None, :].expand(n, img_y.size(1), img_x.size(1))
    gy = img_y[:, :, None].expand(n, img_y.size(1), img_x.size(1))
    grid = torch.stack([gx, gy], dim=3)
    img_masks = F.grid_sample(masks.to(dtype=torch.float32), grid, align_corners=False)
    if skip_empty:
        return img_masks[:, 0], (slice(y0_int, y1_int), slice(x0_int, x1_int))
    return img_masks[:, 0], ()
