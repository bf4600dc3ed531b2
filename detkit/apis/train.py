"""Training entry point: ``train_detector`` (MMDetection 2.x API), plus the seeding helpers."""
from __future__ import annotations

import glob
import logging
import os.path as osp
import pickle
import re
from typing import Any, Optional, Sequence, Union

import torch.nn as nn

from ..engine import (
    CheckInvalidLossHook,
    DistEvalHook,
    DistSamplerSeedHook,
    EpochBasedRunner,
    EvalHook,
    Fp16OptimizerHook,
    OptimizerHook,
    auto_scale_lr,
    build_optimizer,
    build_runner,
    init_random_seed,
    set_random_seed,
    wrap_ddp,
)
from ..utils.logging import get_root_logger
from .inference import unsafe_checkpoint_error


def find_latest_checkpoint(path: str, suffix: str = 'pth') -> Optional[str]:
    """The checkpoint to auto-resume from in ``path``: ``latest.pth`` if present,
    else the ``epoch_N`` / ``iter_N`` file with the largest N; None if there is none."""
    if not osp.isdir(path):
        return None
    latest = osp.join(path, f'latest.{suffix}')
    if osp.exists(latest):
        return latest
    best, best_n = None, -1
    for f in glob.glob(osp.join(path, f'*.{suffix}')):
        m = re.fullmatch(rf'(?:epoch|iter)_(\d+)\.{suffix}', osp.basename(f))
        if m and int(m.group(1)) > best_n:
            best, best_n = f, int(m.group(1))
    return best


def _loader_args(cfg: Any, defaults: dict, key: str) -> dict:
    data = cfg.data
    args = dict(defaults)
    # data.samples_per_gpu / workers_per_gpu are the 2.x spelling; train_dataloader /
    # val_dataloader / test_dataloader override them (MMDetection's compat_cfg)
    for k in ('samples_per_gpu', 'workers_per_gpu', 'persistent_workers'):
        if k in data and key == 'train_dataloader':
            args[k] = data[k]
    if key != 'train_dataloader' and 'workers_per_gpu' in data:
        args['workers_per_gpu'] = data['workers_per_gpu']
    args.update(dict(data.get(key) or {}))
    return args


def train_detector(model: nn.Module, dataset: Union[Any, Sequence[Any]], cfg: Any,
                   distributed: bool = False, validate: bool = False,
                   timestamp: Optional[str] = None, meta: Optional[dict] = None) -> Any:
    """Train ``model`` on ``dataset`` as ``cfg`` says (runner, optimizer, hooks, evaluation).

    Args:
        model (nn.Module): the detector (not yet wrapped).
        dataset (Dataset | list[Dataset]): one dataset per workflow phase.
        cfg (Config): the full config; needs ``work_dir``, ``gpu_ids``,
            ``optimizer``, ``optimizer_config``, ``lr_config``,
            ``checkpoint_config``, ``log_config``, ``runner`` (or ``total_epochs``).
        distributed (bool): a process group is initialised (DDP).
        validate (bool): evaluate ``cfg.data.val`` with ``cfg.evaluation`` during training.
        timestamp (str, optional): names the log files (``<timestamp>.log.json``).
        meta (dict, optional): saved in every checkpoint (env info, config, seed).

    Returns:
        the runner, after training.
    """
    from ..datasets import build_dataloader, build_dataset
    logger = get_root_logger(log_level=getattr(logging, str(cfg.get('log_level', 'INFO'))))
    datasets = list(dataset) if isinstance(dataset, (list, tuple)) else [dataset]
    if 'runner' not in cfg:
        cfg.runner = dict(type='EpochBasedRunner', max_epochs=cfg.get('total_epochs', 12))
    runner_type = cfg.runner['type']
    gpu_ids = cfg.get('gpu_ids', [0])
    train_args = _loader_args(cfg, dict(
        samples_per_gpu=2, workers_per_gpu=2, num_gpus=len(gpu_ids), dist=distributed,
        seed=cfg.get('seed'), runner_type=runner_type, persistent_workers=False),
        'train_dataloader')
    data_loaders = [build_dataloader(ds, **train_args) for ds in datasets]

    device = cfg.get('device', 'cpu')
    if distributed:
        model = wrap_ddp(model, device,
                         find_unused_parameters=cfg.get('find_unused_parameters', False))
    else:
        model = model.to(device)
    num_gpus = _world_size() if distributed else len(gpu_ids)
    if 'samples_per_gpu' not in (cfg.data.get('train_dataloader') or {}):
        cfg.data.setdefault('train_dataloader', {})['samples_per_gpu'] = \
            train_args['samples_per_gpu']
    auto_scale_lr(cfg, num_gpus, logger)
    optimizer = build_optimizer(model, cfg.optimizer)
    runner = build_runner(cfg.runner, default_args=dict(
        model=model, optimizer=optimizer, work_dir=cfg.work_dir, logger=logger, meta=meta))
    if timestamp is not None:
        # the logger hooks name their files after it: the .log and .log.json pair up
        runner.timestamp = timestamp

    fp16_cfg = cfg.get('fp16', None)
    optimizer_config: Any = cfg.get('optimizer_config', {})
    if fp16_cfg is not None:
        optimizer_config = Fp16OptimizerHook(**optimizer_config, **fp16_cfg,
                                             distributed=distributed)
    elif distributed and 'type' not in optimizer_config:
        optimizer_config = OptimizerHook(**optimizer_config)
    custom_hooks = list(cfg.get('custom_hooks') or [])
    runner.register_training_hooks(
        cfg.lr_config, optimizer_config, cfg.checkpoint_config, cfg.log_config,
        cfg.get('momentum_config', None), custom_hooks_config=custom_hooks)
    if not any(h.get('type') == 'CheckInvalidLossHook' for h in custom_hooks
               if isinstance(h, dict)):
        # a NaN loss poisons every later step; stop at once and say where
        runner.register_hook(CheckInvalidLossHook(interval=1), priority='VERY_HIGH')
    if distributed and isinstance(runner, EpochBasedRunner):
        runner.register_hook(DistSamplerSeedHook())

    if validate:
        val_args = _loader_args(cfg, dict(samples_per_gpu=1, workers_per_gpu=2, dist=distributed,
                                          shuffle=False, persistent_workers=False),
                                'val_dataloader')
        val_dataset = build_dataset(cfg.data.val, dict(test_mode=True))
        val_dataloader = build_dataloader(val_dataset, **val_args)
        eval_cfg = dict(cfg.get('evaluation', {}))
        eval_cfg['by_epoch'] = runner_type != 'IterBasedRunner'
        hook = DistEvalHook if distributed else EvalHook
        runner.register_hook(hook(val_dataloader, **eval_cfg), priority='LOW')

    resume_from = cfg.get('resume_from')
    if resume_from is None and cfg.get('auto_resume'):
        resume_from = find_latest_checkpoint(cfg.work_dir)
        if resume_from is not None:
            logger.info('auto-resume from %s', resume_from)
    weights_only = not cfg.get('unsafe_load', False)
    try:
        if resume_from:
            cfg.resume_from = resume_from
            runner.resume(resume_from, weights_only=weights_only)
        elif cfg.get('load_from'):
            runner.load_checkpoint(cfg.load_from, weights_only=weights_only)
    except pickle.UnpicklingError as e:
        raise unsafe_checkpoint_error(resume_from or cfg.load_from, e) from None
    runner.run(data_loaders, cfg.workflow)
    return runner


def _world_size() -> int:
    from ..engine import get_dist_info
    return get_dist_info()[1]


__all__ = ['train_detector', 'set_random_seed', 'init_random_seed', 'find_latest_checkpoint']
