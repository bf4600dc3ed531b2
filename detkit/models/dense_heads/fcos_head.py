"""``FCOSHead``: per-pixel box regression with a centerness branch (FCOS)."""
from __future__ import annotations

from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
from torch import Tensor

from ...registry import HEADS
from ..builder import build_loss
from ..layers import Scale
from .anchor_free_head import AnchorFreeHead, _default_init_cfg

INF = 1e8


def _reduce_mean(t: Tensor) -> Tensor:
    """Mean of ``t`` over the ranks of an initialised process group, else ``t``."""
    if not (torch.distributed.is_available() and torch.distributed.is_initialized()):
        return t
    t = t.clone()
    torch.distributed.all_reduce(t.div_(torch.distributed.get_world_size()))
    return t


@HEADS.register_module()
class FCOSHead(AnchorFreeHead):
    """Anchor-free head of `FCOS <https://arxiv.org/abs/1904.01355>`_.

    Adds to :class:`AnchorFreeHead` a centerness predictor ``conv_centerness``
    and one learnable ``Scale`` per level (``scales``).

    Args:
        num_classes (int): categories, background excluded (C).
        in_channels (int): channels of each input feature map.
        regress_ranges (sequence[tuple[float, float]]): per level, the range of
            max(l, t, r, b) that level regresses.
        center_sampling (bool): positives only within ``center_sample_radius``
            strides of the box centre. Default False.
        center_sample_radius (float): radius of center sampling, in strides. Default 1.5.
        norm_on_bbox (bool): regress distances divided by the level's stride
            (relu instead of exp on the output). Default False.
        centerness_on_reg (bool): centerness on the regression tower. Default False.
        conv_bias, strides, loss_cls, loss_bbox, norm_cfg, init_cfg, **kwargs:
            see :class:`AnchorFreeHead`.
        loss_centerness (dict): centerness loss config (sigmoid BCE).

    Outputs per level l: cls_score (B, C, H_l, W_l), bbox_pred (B, 4, H_l, W_l)
    as (left, top, right, bottom) distances (multiplied by the stride at test
    time when ``norm_on_bbox``), centerness (B, 1, H_l, W_l) logits.
    """

    def __init__(self, num_classes: int, in_channels: int,
                 regress_ranges: Sequence = ((-1, 64), (64, 128), (128, 256), (256, 512),
                                             (512, INF)),
                 center_sampling: bool = False, center_sample_radius: float = 1.5,
                 norm_on_bbox: bool = False, centerness_on_reg: bool = False,
                 loss_cls: dict = dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25,  # noqa: B006
                                       loss_weight=1.0),
                 loss_bbox: dict = dict(type='IoULoss', loss_weight=1.0),  # noqa: B006
                 loss_centerness: dict = dict(type='CrossEntropyLoss', use_sigmoid=True,  # noqa: B006
                                              loss_weight=1.0),
                 norm_cfg: Optional[dict] = dict(type='GN', num_groups=32, requires_grad=True),  # noqa: B006
                 init_cfg: Union[dict, list, None] = _default_init_cfg('conv_cls'),  # noqa: B008
                 **kwargs):
        self.regress_ranges = regress_ranges
        self.center_sampling = center_sampling
        self.center_sample_radius = center_sample_radius
        self.norm_on_bbox = norm_on_bbox
        self.centerness_on_reg = centerness_on_reg
        super().__init__(num_classes, in_channels, loss_cls=loss_cls, loss_bbox=loss_bbox,
                         norm_cfg=norm_cfg, init_cfg=init_cfg, **kwargs)
        if len(self.regress_ranges) != len(self.strides):
            raise ValueError(f'{type(self).__name__}: regress_ranges has '
                             f'{len(self.regress_ranges)} entries but strides has '
                             f'{len(self.strides)}; give one range per level')
        self.loss_centerness = build_loss(loss_centerness)

    def _init_layers(self) -> None:
        super()._init_layers()
        self.conv_centerness = nn.Conv2d(self.feat_channels, 1, 3, padding=1)
        self.scales = nn.ModuleList([Scale(1.0) for _ in self.strides])

    def forward(self, feats: Sequence[Tensor]) -> tuple:
        """Per-level lists (cls_scores, bbox_preds, centernesses)."""
        outs = [self.forward_single(x, scale, stride)
                for x, scale, stride in zip(feats, self.scales, self.strides)]
        return tuple(map(list, zip(*outs)))

    def forward_single(self, x: Tensor, scale: nn.Module, stride: int) -> tuple:
        """One level: cls_score (B, C, H, W), bbox_pred (B, 4, H, W), centerness (B, 1, H, W)."""
        cls_score, bbox_pred, cls_feat, reg_feat = super().forward_single(x)
        centerness = self.conv_centerness(reg_feat if self.centerness_on_reg else cls_feat)
        # float() keeps the distances from overflowing under fp16
        bbox_pred = scale(bbox_pred).float()
        if self.norm_on_bbox:
            # clamp rather than relu: relu would be in place on an exported graph
            bbox_pred = bbox_pred.clamp(min=0)
            if not self.training:
                bbox_pred = bbox_pred * stride
        else:
            bbox_pred = bbox_pred.exp()
        return cls_score, bbox_pred, centerness

    def loss(self, cls_scores: list, bbox_preds: list, centernesses: list, gt_bboxes: list,
             gt_labels: list, img_metas: list, gt_bboxes_ignore: Optional[list] = None) -> dict:
        """Focal classification, centerness-weighted IoU and centerness BCE losses.

        Args:
            cls_scores, bbox_preds, centernesses (list[Tensor]): per level, as from forward.
            gt_bboxes (list[Tensor]): per image (N_i, 4) (x1, y1, x2, y2).
            gt_labels (list[Tensor]): per image (N_i,) in [0, C).
            img_metas (list[dict]): per image meta.
            gt_bboxes_ignore: not used by FCOS.

        Returns:
            dict: ``loss_cls``, ``loss_bbox``, ``loss_centerness`` (scalars).
        """
        if not len(cls_scores) == len(bbox_preds) == len(centernesses):
            raise ValueError(f'FCOSHead.loss: got {len(cls_scores)} cls_scores, '
                             f'{len(bbox_preds)} bbox_preds and {len(centernesses)} '
                             f'centernesses; one per level each')
        featmap_sizes = [s.shape[-2:] for s in cls_scores]
        points = self.prior_generator.grid_priors(featmap_sizes, dtype=bbox_preds[0].dtype,
                                                  device=bbox_preds[0].device)
        labels, bbox_targets = self.get_targets(points, gt_bboxes, gt_labels)

        num_imgs = cls_scores[0].size(0)
        # level-major, then image, then (h, w): the order of get_targets' outputs
        flat_cls = torch.cat([s.permute(0, 2, 3, 1).reshape(-1, self.cls_out_channels)
                              for s in cls_scores])
        flat_bbox = torch.cat([b.permute(0, 2, 3, 1).reshape(-1, 4) for b in bbox_preds])
        flat_ctr = torch.cat([c.permute(0, 2, 3, 1).reshape(-1) for c in centernesses])
        flat_labels = torch.cat(labels)
        flat_bbox_targets = torch.cat(bbox_targets)
        flat_points = torch.cat([p.repeat(num_imgs, 1) for p in points])

        pos_inds = ((flat_labels >= 0) & (flat_labels < self.num_classes)).nonzero().reshape(-1)
        num_pos = flat_cls.new_tensor(float(len(pos_inds)))
        num_pos = max(_reduce_mean(num_pos).item(), 1.0)
        loss_cls = self.loss_cls(flat_cls, flat_labels, avg_factor=num_pos)

        pos_bbox_preds = flat_bbox[pos_inds]
        pos_centerness = flat_ctr[pos_inds]
        if len(pos_inds) > 0:
            pos_bbox_targets = flat_bbox_targets[pos_inds]
            pos_ctr_targets = self.centerness_target(pos_bbox_targets)
            # the IoU loss is averaged with the centerness weights it uses
            ctr_denorm = max(_reduce_mean(pos_ctr_targets.sum().detach()).item(), 1e-6)
            pos_points = flat_points[pos_inds]
            pos_decoded_preds = self.bbox_coder.decode(pos_points, pos_bbox_preds)
            pos_decoded_targets = self.bbox_coder.decode(pos_points, pos_bbox_targets)
            loss_bbox = self.loss_bbox(pos_decoded_preds, pos_decoded_targets,
                                       weight=pos_ctr_targets, avg_factor=ctr_denorm)
            loss_centerness = self.loss_centerness(pos_centerness, pos_ctr_targets,
                                                   avg_factor=num_pos)
        else:
            # zero losses that still reach the regression and centerness outputs
            loss_bbox = pos_bbox_preds.sum()
            loss_centerness = pos_centerness.sum()
        return dict(loss_cls=loss_cls, loss_bbox=loss_bbox, loss_centerness=loss_centerness)

    def get_targets(self, points: list, gt_bboxes_list: list, gt_labels_list: list) -> tuple:
        """Labels and distance targets of every point of every image.

        Args:
            points (list[Tensor]): per level (P_l, 2) point priors (x, y).
            gt_bboxes_list (list[Tensor]): per image (N_i, 4).
            gt_labels_list (list[Tensor]): per image (N_i,).

        Returns:
            tuple: ``labels`` per level (B * P_l,) long, C for background, and
            ``bbox_targets`` per level (B * P_l, 4) (l, t, r, b), divided by the
            level's stride when ``norm_on_bbox``; images are concatenated within
            each level.
        """
        num_levels = len(points)
        if num_levels != len(self.regress_ranges):
            raise ValueError(f'FCOSHead.get_targets: {num_levels} levels of points but '
                             f'{len(self.regress_ranges)} regress_ranges')
        num_points = [p.size(0) for p in points]
        concat_points = torch.cat(points, dim=0)
        concat_ranges = torch.cat([p.new_tensor(r)[None].expand(n, 2)
                                   for p, r, n in zip(points, self.regress_ranges, num_points)])
        radius_px = torch.cat([points[i].new_full((n,), float(self._stride_of(i)))
                               for i, n in enumerate(num_points)]) * self.center_sample_radius
        per_image = [self._get_target_single(b, lb, concat_points, concat_ranges, radius_px)
                     for b, lb in zip(gt_bboxes_list, gt_labels_list)]
        labels = [lb.split(num_points) for lb, _ in per_image]
        targets = [t.split(num_points) for _, t in per_image]
        lvl_labels, lvl_targets = [], []
        for i in range(num_levels):
            lvl_labels.append(torch.cat([lb[i] for lb in labels]))
            t = torch.cat([tg[i] for tg in targets])
            if self.norm_on_bbox:
                t = t / self._stride_of(i)
            lvl_targets.append(t)
        return lvl_labels, lvl_targets

    def _stride_of(self, level: int) -> float:
        stride = self.strides[level]
        # a (w, h) stride: FCOS uses its first entry, as MMDetection does
        return stride[0] if isinstance(stride, (tuple, list)) else stride

    def _get_target_single(self, gt_bboxes: Tensor, gt_labels: Tensor, points: Tensor,
                           regress_ranges: Tensor, radius_px: Tensor) -> tuple:
        """Targets of one image over all P points and N gts at once.

        Args:
            gt_bboxes (Tensor): (N, 4); gt_labels (Tensor): (N,).
            points (Tensor): (P, 2); regress_ranges (Tensor): (P, 2);
            radius_px (Tensor): (P,) center-sampling radius in pixels of each point's level.

        Returns:
            tuple: labels (P,) long (C = background), bbox_targets (P, 4).
        """
        num_points, num_gts = points.size(0), gt_labels.size(0)
        if num_gts == 0:
            return (gt_labels.new_full((num_points,), self.num_classes),
                    gt_bboxes.new_zeros((num_points, 4)))
        areas = (gt_bboxes[:, 2] - gt_bboxes[:, 0]) * (gt_bboxes[:, 3] - gt_bboxes[:, 1])
        xs, ys = points[:, 0, None], points[:, 1, None]  # (P, 1)
        x1, y1, x2, y2 = (gt_bboxes[None, :, k] for k in range(4))  # (1, N)
        bbox_targets = torch.stack((xs - x1, ys - y1, x2 - xs, y2 - ys), -1)  # (P, N, 4)

        if self.center_sampling:
            cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
            r = radius_px[:, None]
            # the centre region, clipped to the box
            cx1, cy1 = torch.maximum(cx - r, x1), torch.maximum(cy - r, y1)
            cx2, cy2 = torch.minimum(cx + r, x2), torch.minimum(cy + r, y2)
            center_dist = torch.stack((xs - cx1, ys - cy1, cx2 - xs, cy2 - ys), -1)
            inside_gt = center_dist.min(-1).values > 0
        else:
            inside_gt = bbox_targets.min(-1).values > 0

        max_dist = bbox_targets.max(-1).values
        inside_range = ((max_dist >= regress_ranges[:, 0, None])
                        & (max_dist <= regress_ranges[:, 1, None]))
        # among the candidate gts of a point, the one with the smallest area wins
        cand_areas = areas[None].expand(num_points, num_gts).clone()
        cand_areas[~(inside_gt & inside_range)] = INF
        min_area, min_inds = cand_areas.min(dim=1)
        labels = gt_labels[min_inds]
        labels[min_area == INF] = self.num_classes
        bbox_targets = bbox_targets[torch.arange(num_points, device=points.device), min_inds]
        return labels, bbox_targets

    def centerness_target(self, pos_bbox_targets: Tensor) -> Tensor:
        """sqrt(min(l, r) / max(l, r) * min(t, b) / max(t, b)) of (K, 4) targets: (K,)."""
        left_right = pos_bbox_targets[:, [0, 2]]
        top_bottom = pos_bbox_targets[:, [1, 3]]
        if len(left_right) == 0:
            return left_right[..., 0]
        ratio = ((left_right.min(-1).values / left_right.max(-1).values)
                 * (top_bottom.min(-1).values / top_bottom.max(-1).values))
        return torch.sqrt(ratio)
