"""Drawing detections: boxes, labels with scores, and masks on an image (matplotlib)."""
from __future__ import annotations

from typing import Optional, Sequence, Union

import cv2
import numpy as np

from .palette import get_palette, import_pyplot, palette_val

EPS = 1e-2


def _read(img: Union[str, np.ndarray]) -> np.ndarray:
    if isinstance(img, str):
        out = cv2.imread(img, cv2.IMREAD_COLOR)
        if out is None:
            raise FileNotFoundError(f'could not read image {img!r}')
        return out
    return np.asarray(img)


def _adaptive_scales(areas: np.ndarray, min_area: int = 800, max_area: int = 30000):
    """Font scale per box in [0.5, 1.0], growing with the box area."""
    return np.clip(0.5 + (areas - min_area) / (max_area - min_area), 0.5, 1.0)


def imshow_det_bboxes(img: Union[str, np.ndarray], bboxes: Optional[np.ndarray] = None,
                      labels: Optional[np.ndarray] = None, segms: Optional[np.ndarray] = None,
                      class_names: Optional[Sequence[str]] = None, score_thr: float = 0,
                      bbox_color='green', text_color='green', mask_color=None,
                      thickness: int = 2, font_size: int = 8, win_name: str = '',
                      show: bool = True, wait_time: float = 0,
                      out_file: Optional[str] = None) -> np.ndarray:
    """Draw boxes, class names / scores and masks on an image.

    Args:
        img (str | ndarray): (H, W, 3) BGR uint8 image or its path.
        bboxes (ndarray, optional): (N, 4) or (N, 5) [x1, y1, x2, y2(, score)].
        labels (ndarray): (N,) class indices (>= N when there are more masks).
        segms (ndarray, optional): (M, H, W) bool masks, M = len(labels).
        class_names (list[str], optional): names shown instead of label indices.
        score_thr (float): draw only boxes scoring above this (needs a score column).
        bbox_color, text_color, mask_color: a palette for :func:`get_palette`
            (a colour name, an RGB tuple, a list of tuples, 'random', None).
        thickness (int): box line width; font_size (int): label font size.
        win_name (str), show (bool), wait_time (float): the window, if shown.
        out_file (str, optional): where to write the drawn image.

    Returns:
        ndarray: (H, W, 3) BGR uint8, the drawn image.
    """
    if labels is None:
        raise ValueError('imshow_det_bboxes needs labels')
    labels = np.asarray(labels).astype(np.int64).reshape(-1)
    if bboxes is None and segms is None:
        raise ValueError('imshow_det_bboxes needs bboxes or segms')
    if bboxes is not None:
        bboxes = np.asarray(bboxes)
        if bboxes.ndim != 2 or bboxes.shape[1] not in (4, 5) or len(bboxes) > len(labels):
            raise ValueError(f'bboxes must be (N, 4) or (N, 5) with N <= {len(labels)} '
                             f'labels, but got shape {bboxes.shape}')
    if segms is not None and len(segms) != len(labels):
        raise ValueError(f'{len(segms)} masks for {len(labels)} labels')
    img = _read(img).astype(np.uint8)
    if score_thr > 0:
        if bboxes is None or bboxes.shape[1] != 5:
            raise ValueError('score_thr > 0 needs (N, 5) bboxes with scores')
        keep = bboxes[:, -1] > score_thr
        bboxes, labels = bboxes[keep], labels[keep]
        segms = segms[keep] if segms is not None else None

    plt = import_pyplot()
    rgb = np.ascontiguousarray(img[..., ::-1])
    height, width = rgb.shape[:2]
    fig = plt.figure(win_name, frameon=False)
    plt.title(win_name)
    dpi = fig.get_dpi()
    fig.set_size_inches((width + EPS) / dpi, (height + EPS) / dpi)
    plt.subplots_adjust(left=0, right=1, bottom=0, top=1)
    ax = plt.gca()
    ax.axis('off')
    n_colors = int(labels.max()) + 1 if len(labels) else 1
    text_colors = palette_val(get_palette(text_color, n_colors))

    def _label(i: int, pos, score, scale) -> None:
        name = class_names[labels[i]] if class_names is not None else f'class {labels[i]}'
        if score is not None:
            name += f'|{score:.02f}'
        ax.text(pos[0], pos[1], name, color=text_colors[labels[i]],
                fontsize=font_size * scale, verticalalignment='top',
                bbox={'facecolor': 'black', 'alpha': 0.8, 'pad': 0.7, 'edgecolor': 'none'})

    num_boxes = 0
    if bboxes is not None and len(bboxes):
        from matplotlib.collections import PatchCollection
        from matplotlib.patches import Polygon
        num_boxes = len(bboxes)
        box_colors = palette_val(get_palette(bbox_color, n_colors))
        polys = [Polygon(np.array([[b[0], b[1]], [b[0], b[3]], [b[2], b[3]], [b[2], b[1]]]))
                 for b in bboxes]
        ax.add_collection(PatchCollection(
            polys, facecolor='none', edgecolors=[box_colors[lab] for lab in labels[:num_boxes]],
            linewidths=thickness, alpha=0.8))
        areas = (bboxes[:, 2] - bboxes[:, 0]) * (bboxes[:, 3] - bboxes[:, 1])
        scales = _adaptive_scales(areas)
        for i, b in enumerate(bboxes):
            score = float(b[4]) if bboxes.shape[1] == 5 else None
            _label(i, (int(b[0]) + thickness, int(b[1]) + thickness), score, scales[i])
    if segms is not None and len(segms):
        mask_colors = np.array(get_palette(mask_color, n_colors), dtype=np.uint8)
        segms = np.asarray(segms).astype(bool)
        for i, m in enumerate(segms):
            color = mask_colors[labels[i]]
            rgb[m] = (rgb[m] * 0.5 + color * 0.5).astype(np.uint8)
            contours, _ = cv2.findContours(m.astype(np.uint8), cv2.RETR_EXTERNAL,
                                           cv2.CHAIN_APPROX_NONE)
            for c in contours:
                ax.plot(c[:, 0, 0], c[:, 0, 1], color='w', linewidth=1, alpha=0.8)
            if i >= num_boxes and m.any():  # masks without a box: label at the centroid
                ys, xs = np.nonzero(m)
                _label(i, (xs.mean(), ys.mean()), None, 1.0)
    plt.imshow(rgb, interpolation='nearest')  # pixel for pixel where nothing is drawn
    fig.canvas.draw()
    buf = np.asarray(fig.canvas.buffer_rgba())
    if buf.shape[:2] != (height, width):  # dpi rounding: resize back exactly
        buf = cv2.resize(np.ascontiguousarray(buf), (width, height))
    out = np.ascontiguousarray(buf[..., :3][..., ::-1])
    if show:
        if wait_time == 0:
            plt.show()
        else:
            plt.show(block=False)
            plt.pause(wait_time)
    if out_file is not None:
        import os
        import os.path as osp
        d = osp.dirname(osp.abspath(out_file))
        os.makedirs(d, exist_ok=True)
        ext = osp.splitext(out_file)[1] or '.png'
        ok, enc = cv2.imencode(ext, out)
        if not ok:
            raise ValueError(f'could not encode {out_file!r} (extension {ext!r})')
        tmp = out_file + '.tmp'
        enc.tofile(tmp)
        os.replace(tmp, out_file)
    plt.close(fig)
    return out


def imshow_gt_det_bboxes(img: Union[str, np.ndarray], annotation: dict, result,
                         class_names: Optional[Sequence[str]] = None, score_thr: float = 0,
                         gt_bbox_color=(61, 102, 255), gt_text_color=(200, 200, 200),
                         gt_mask_color=(61, 102, 255), det_bbox_color=(241, 101, 72),
                         det_text_color=(200, 200, 200), det_mask_color=(241, 101, 72),
                         thickness: int = 2, font_size: int = 13, win_name: str = '',
                         show: bool = True, wait_time: float = 0,
                         out_file: Optional[str] = None,
                         overlay_gt_pred: bool = True) -> np.ndarray:
    """Draw ground truth and detections of one image.

    Args:
        annotation (dict): ``gt_bboxes`` (n, 4), ``gt_labels`` (n,), optional
            ``gt_masks`` (BitmapMasks / PolygonMasks / (n, H, W) array).
        result (list | tuple): per class (k, 5) boxes, or (bbox_result, segm_result).
        overlay_gt_pred (bool): detections drawn over the ground truth (True) or
            the two drawings stacked, ground truth on top (False).
        Other arguments as :func:`imshow_det_bboxes`.

    Returns:
        ndarray: the drawn image (BGR uint8).
    """
    img = _read(img)
    masks = annotation.get('gt_masks', None)
    if masks is not None:
        masks = masks.to_ndarray() if hasattr(masks, 'to_ndarray') else np.asarray(masks)
    gt = imshow_det_bboxes(img, np.asarray(annotation['gt_bboxes']),
                           np.asarray(annotation['gt_labels']), masks, class_names=class_names,
                           bbox_color=gt_bbox_color, text_color=gt_text_color,
                           mask_color=gt_mask_color, thickness=thickness, font_size=font_size,
                           win_name=win_name, show=False)
    bbox_result, segm_result = result if isinstance(result, tuple) else (result, None)
    bboxes = (np.vstack(bbox_result) if len(bbox_result) else np.zeros((0, 5), np.float32))
    labels = np.concatenate([np.full(len(b), i, dtype=np.int64)
                             for i, b in enumerate(bbox_result)] or [np.zeros(0, np.int64)])
    segms = None
    if segm_result is not None and len(labels):
        flat = [m for per_class in segm_result for m in per_class]
        if flat:
            from pycocotools import mask as mask_utils
            segms = np.stack([mask_utils.decode(m) if isinstance(m, dict) else np.asarray(m)
                              for m in flat]).astype(bool)
    det = imshow_det_bboxes(gt if overlay_gt_pred else img, bboxes, labels, segms,
                            class_names=class_names, score_thr=score_thr,
                            bbox_color=det_bbox_color, text_color=det_text_color,
                            mask_color=det_mask_color, thickness=thickness,
                            font_size=font_size, win_name=win_name, show=show,
                            wait_time=wait_time, out_file=None)
    out = det if overlay_gt_pred else np.concatenate([gt, det], axis=0)
    if out_file is not None:
        import os
        import os.path as osp
        os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
        ok, enc = cv2.imencode(osp.splitext(out_file)[1] or '.png', out)
        if not ok:
            raise ValueError(f'could not encode {out_file!r}')
        tmp = out_file + '.tmp'
        enc.tofile(tmp)
        os.replace(tmp, out_file)
    return out
