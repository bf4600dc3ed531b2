"""Shared by the synthetic overfit tests (issue #7, "Learning"): a detector built from a
``configs/synthetic/`` config memorises 8 synthetic shape scenes.

``overfit(config_path, iters, lr, ...) -> (losses, mean_ap)`` builds the config's model,
trains it on one fixed batch of 8 images with AdamW and scores VOC mAP@0.5
(``detkit.evaluation.eval_map``) on the same images. The building blocks
(``synthetic_batch``, ``build_model``, ``train_steps``, ``bbox_map``) are public so that a
measuring script can score between training segments; ``record_calls``, ``call_arg`` and
``binary_entropy`` help a test compute the floor of a loss with soft targets.

AdamW replaces the configs' schedules (tuned for epochs over a dataset, not for
memorising 8 images quickly); everything else (model, priors, assigners, losses,
gradient clipping) is the config's.
"""
import os.path as osp
import random
from typing import Callable, Optional

import numpy as np
import torch

from detkit.config import Config
from detkit.datasets.synthetic import SyntheticShapes
from detkit.engine import build_optimizer
from detkit.evaluation import eval_map
from detkit.models import build_detector

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
NUM_IMAGES = 8


def synthetic_batch(cfg: Config, size: int = 128) -> dict:
    """8 square scenes of 1-3 shapes each (seeds 0-7), normalised as ``cfg.img_norm_cfg``.

    Returns:
        dict: ``img`` (8, 3, size, size) float32, ``img_metas`` (8 dicts, scale factor 1),
        ``gt_bboxes`` 8 x (n_i, 4) float32 (x1, y1, x2, y2), ``gt_labels`` 8 x (n_i,) int64.
    """
    gen = SyntheticShapes(img_size=(size, size), classes=cfg.classes, max_objects=3,
                          empty_prob=0, crowd_prob=0)
    norm = cfg.img_norm_cfg
    mean = np.array(norm.mean, np.float32)
    std = np.array(norm.std, np.float32)
    imgs, gt_bboxes, gt_labels = [], [], []
    for i in range(NUM_IMAGES):
        img, anns = gen.generate(np.random.default_rng(i))  # BGR uint8, as cv2 loads it
        img = img[..., ::-1] if norm.get('to_rgb', True) else img
        imgs.append(torch.from_numpy(((img.astype(np.float32) - mean) / std)
                                     .transpose(2, 0, 1).copy()))
        # COCO [x, y, w, h] with w = x2 - x1 + 1 (pixel i covers [i, i + 1)) -> x1, y1, x2, y2
        boxes = [[a['bbox'][0], a['bbox'][1], a['bbox'][0] + a['bbox'][2],
                  a['bbox'][1] + a['bbox'][3]] for a in anns]
        gt_bboxes.append(torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4))
        gt_labels.append(torch.tensor([a['label'] for a in anns], dtype=torch.long))
    metas = [dict(img_shape=(size, size, 3), pad_shape=(size, size, 3),
                  ori_shape=(size, size, 3), scale_factor=np.ones(4, np.float32), flip=False,
                  flip_direction=None) for _ in range(NUM_IMAGES)]
    return dict(img=torch.stack(imgs), img_metas=metas, gt_bboxes=gt_bboxes,
                gt_labels=gt_labels)


def build_model(cfg: Config, seed: int = 0) -> torch.nn.Module:
    """The config's detector, initialised (``init_weights``) under ``seed``, in train mode.

    Python's ``random`` is seeded too: YOLOX draws its training input sizes from it.
    """
    torch.manual_seed(seed)
    random.seed(seed)
    model = build_detector(cfg.model)
    model.init_weights()
    model.train()
    return model


def train_steps(model: torch.nn.Module, optimizer: torch.optim.Optimizer, data: dict,
                iters: int, grad_clip: Optional[dict] = None, start: int = 0,
                before_step: Optional[Callable[[torch.nn.Module, int], None]] = None,
                floor: Optional[Callable[[], float]] = None) -> list[float]:
    """``iters`` steps on the one batch ``data``; the total loss of each step (before
    its update), minus ``floor()`` (read after the step's forward) when given.
    ``before_step(model, it)`` runs before step ``it`` (``start``-based), e.g. to play an
    epoch hook when each step is one epoch of the 8 images."""
    losses = []
    for it in range(start, start + iters):
        if before_step is not None:
            before_step(model, it)
        out = model.train_step(data, optimizer)
        optimizer.zero_grad()
        out['loss'].backward()
        if grad_clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), **grad_clip)
        optimizer.step()
        losses.append(out['log_vars']['loss'] - (floor() if floor is not None else 0.0))
    return losses


def record_calls(module: torch.nn.Module) -> list:
    """Every later call of ``module`` appends its ``(args, kwargs)`` to the returned list
    (the caller reads and clears it): a loss floor is computed from the very targets,
    weights and ``avg_factor`` the head passed to its loss in that step."""
    calls: list = []
    module.register_forward_hook(lambda m, args, kwargs, out: calls.append((args, kwargs)),
                                 with_kwargs=True)
    return calls


def call_arg(call: tuple, index: int, name: str, default=None):
    """Argument ``name`` (positional ``index``) of a call recorded by :func:`record_calls`."""
    args, kwargs = call
    return args[index] if len(args) > index else kwargs.get(name, default)


def binary_entropy(p: torch.Tensor) -> torch.Tensor:
    """Elementwise -p log p - (1 - p) log(1 - p) in float64, 0 at p in {0, 1}: the least
    value of a BCE against the soft target ``p``."""
    p = p.detach().double()
    return -(torch.special.xlogy(p, p) + torch.special.xlogy(1 - p, 1 - p))


def bbox_map(model: torch.nn.Module, data: dict) -> float:
    """VOC mAP@0.5 of ``simple_test(rescale=True)`` on the training batch itself; the
    model is left in train mode."""
    model.eval()
    with torch.no_grad():
        results = model.simple_test(data['img'], data['img_metas'], rescale=True)
    model.train()
    annotations = [dict(bboxes=b.numpy(), labels=lb.numpy())
                   for b, lb in zip(data['gt_bboxes'], data['gt_labels'])]
    mean_ap, _ = eval_map(results, annotations, iou_thr=0.5, logger='silent', nproc=1)
    return float(mean_ap)


def overfit(config_path: str, iters: int, lr: float, size: int = 128, seed: int = 0,
            loss_floor: Optional[Callable[[torch.nn.Module], Callable[[], float]]] = None,
            before_step: Optional[Callable[[torch.nn.Module, int], None]] = None,
            cfg_options: Optional[dict] = None) -> tuple[list[float], float]:
    """Train ``configs/...`` (relative to the repository) on the 8 scenes; score them.

    Args:
        config_path (str): config file, relative to the repository root.
        iters (int): training steps (each on all 8 images).
        lr (float): AdamW learning rate (no weight decay, no schedule).
        size (int): square image side in pixels.
        seed (int): torch / python seed of the initialisation and the training.
        loss_floor (callable, optional): ``loss_floor(model) -> floor`` installs hooks on
            the built model (see :func:`record_calls`) and returns ``floor()``: the least
            value the total loss of the step just run could take given its targets (e.g.
            the entropy of soft targets). The returned losses are then the excess over
            it: what training can remove.
        before_step (callable, optional): see :func:`train_steps`.
        cfg_options (dict, optional): ``{'model.key': value}`` overrides, as
            ``--cfg-options`` (e.g. to switch off a training-time augmentation).

    Returns:
        tuple: the per-step total losses (or their excess over the floor), and the VOC
        mAP@0.5 on the same images after training.
    """
    cfg = Config.fromfile(osp.join(ROOT, config_path))
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    data = synthetic_batch(cfg, size)
    assert sum(len(b) for b in data['gt_bboxes']) >= 12  # 1-3 shapes per scene
    model = build_model(cfg, seed)
    floor = None if loss_floor is None else loss_floor(model)
    optimizer = build_optimizer(model, dict(type='AdamW', lr=lr, weight_decay=0.0))
    grad_clip = (cfg.get('optimizer_config') or {}).get('grad_clip')
    losses = train_steps(model, optimizer, data, iters, grad_clip, before_step=before_step,
                         floor=floor)
    # a floor above the loss would be a wrong floor, not a better model
    assert floor is None or min(losses) > 0, (config_path, min(losses))
    return losses, bbox_map(model, data)

