"""Scaling the learning rate with the total batch size (MMDetection 2.25's auto_scale_lr)."""

from __future__ import annotations

import logging
from typing import Any, Optional


def auto_scale_lr(cfg: Any, num_gpus: int, logger: Optional[logging.Logger] = None) -> None:
    """Scale ``cfg.optimizer.lr`` in place by ``num_gpus * samples_per_gpu / base_batch_size``.

    Does nothing unless ``cfg.auto_scale_lr.enable`` is true (the linear scaling
    rule, https://arxiv.org/abs/1706.02677).

    Args:
        cfg (Config | dict): with ``optimizer.lr``, ``data.samples_per_gpu`` (or
            ``data.train_dataloader.samples_per_gpu``) and
            ``auto_scale_lr = dict(enable=False, base_batch_size=16)``.
        num_gpus (int): number of processes (one per device).
        logger (Logger, optional): where the change is reported.
    """
    scale_cfg = cfg.get('auto_scale_lr', None)
    if scale_cfg is None or not scale_cfg.get('enable', False):
        if logger is not None:
            logger.info('Automatic scaling of learning rate (LR) has been disabled.')
        return
    base_batch_size = scale_cfg.get('base_batch_size', None)
    if base_batch_size is None:  # MMDetection leaves the lr alone then
        if logger is not None:
            logger.warning(
                'auto_scale_lr is enabled but has no base_batch_size; the lr is not scaled'
            )
        return
    data = cfg['data']
    # MMDetection 2.25 reads data.train_dataloader.samples_per_gpu, which
    # train_detector fills from data.samples_per_gpu
    samples_per_gpu = (data.get('train_dataloader') or {}).get(
        'samples_per_gpu', data.get('samples_per_gpu')
    )
    if samples_per_gpu is None:
        raise KeyError(
            'auto_scale_lr needs data.samples_per_gpu (or '
            'data.train_dataloader.samples_per_gpu) in the config'
        )
    batch_size = num_gpus * samples_per_gpu
    if logger is not None:
        logger.info(
            f'Training with {num_gpus} GPU(s) with {samples_per_gpu} samples per GPU. '
            f'The total batch size is {batch_size}.'
        )
    if batch_size == base_batch_size:
        if logger is not None:
            logger.info(
                f'The batch size match the base batch size: {base_batch_size}, will not '
                f'scaling the LR ({cfg["optimizer"]["lr"]}).'
            )
        return
    scaled_lr = (batch_size / base_batch_size) * cfg['optimizer']['lr']
    if logger is not None:
        logger.info(
            f'LR has been automatically scaled from {cfg["optimizer"]["lr"]} to {scaled_lr}'
        )
    cfg['optimizer']['lr'] = scaled_lr
