"""build_dataset / build_dataloader, as MMDetection 2.x's ``mmdet.datasets.builder``."""
from __future__ import annotations

import copy
import random
from functools import partial
from typing import Optional

import numpy as np
import torch
from torch.utils.data import DataLoader

from detkit.registry import DATASETS, build_from_cfg

from .class_balanced_dataset import ClassBalancedDataset
from .collate import collate
from .concat_dataset import ConcatDataset
from .multi_image_mix_dataset import MultiImageMixDataset
from .repeat_dataset import RepeatDataset
from .samplers import (
    ClassAwareSampler,
    DistributedGroupSampler,
    DistributedSampler,
    GroupSampler,
    InfiniteBatchSampler,
    InfiniteGroupBatchSampler,
)
from .samplers._dist import get_dist_info


def _concat_dataset(cfg: dict, default_args: Optional[dict] = None) -> ConcatDataset:
    """One dataset per entry of the list-valued ``ann_file`` (and prefixes)."""
    ann_files = cfg['ann_file']
    img_prefixes = cfg.get('img_prefix', None)
    seg_prefixes = cfg.get('seg_prefix', None)
    proposal_files = cfg.get('proposal_file', None)
    separate_eval = cfg.get('separate_eval', True)
    datasets = []
    for i, ann_file in enumerate(ann_files):
        data_cfg = copy.deepcopy(cfg)
        # pop 'separate_eval' since it is not a valid key for common datasets
        data_cfg.pop('separate_eval', None)
        data_cfg['ann_file'] = ann_file
        for key, values in (('img_prefix', img_prefixes), ('seg_prefix', seg_prefixes),
                            ('proposal_file', proposal_files)):
            if isinstance(values, (list, tuple)):
                if len(values) != len(ann_files):
                    raise ValueError(f'{key} has {len(values)} entries for '
                                     f'{len(ann_files)} ann_files')
                data_cfg[key] = values[i]
        datasets.append(build_dataset(data_cfg, default_args))
    return ConcatDataset(datasets, separate_eval)


def build_dataset(cfg, default_args: Optional[dict] = None):
    """Build a dataset (or wrapper) from its config.

    A list of configs is concatenated; ``type`` ConcatDataset / RepeatDataset /
    ClassBalancedDataset / MultiImageMixDataset build their inner ``dataset(s)``
    first; a list-valued ``ann_file`` makes a ConcatDataset.
    """
    if isinstance(cfg, (list, tuple)):
        return ConcatDataset([build_dataset(c, default_args) for c in cfg])
    t = cfg.get('type') if isinstance(cfg, dict) else None
    if t == 'ConcatDataset':
        return ConcatDataset([build_dataset(c, default_args) for c in cfg['datasets']],
                             cfg.get('separate_eval', True))
    if t == 'RepeatDataset':
        return RepeatDataset(build_dataset(cfg['dataset'], default_args), cfg['times'])
    if t == 'ClassBalancedDataset':
        return ClassBalancedDataset(build_dataset(cfg['dataset'], default_args),
                                    cfg['oversample_thr'])
    if t == 'MultiImageMixDataset':
        cp = copy.deepcopy(cfg)
        cp['dataset'] = build_dataset(cp['dataset'])
        cp.pop('type')
        return MultiImageMixDataset(**cp)
    if isinstance(cfg, dict) and isinstance(cfg.get('ann_file'), (list, tuple)):
        return _concat_dataset(cfg, default_args)
    return build_from_cfg(cfg, DATASETS, default_args)


def worker_init_fn(worker_id: int, num_workers: int, rank: int, seed: int) -> None:
    """Seed numpy, random and torch in a worker with ``num_workers * rank + worker_id + seed``."""
    worker_seed = num_workers * rank + worker_id + seed
    np.random.seed(worker_seed)
    random.seed(worker_seed)
    torch.manual_seed(worker_seed)


def build_dataloader(dataset, samples_per_gpu: int, workers_per_gpu: int, num_gpus: int = 1,
                     dist: bool = True, shuffle: bool = True, seed: Optional[int] = None,
                     runner_type: str = 'EpochBasedRunner', persistent_workers: bool = False,
                     class_aware_sampler: Optional[dict] = None, **kwargs) -> DataLoader:
    """A DataLoader with MMDetection's samplers and detkit's :func:`collate`.

    Args:
        dataset (Dataset): the dataset.
        samples_per_gpu (int): batch size per process (per GPU).
        workers_per_gpu (int): loader workers per process.
        num_gpus (int): GPUs of this process (non-distributed only).
        dist (bool): distributed samplers (rank / world size from the process group).
        shuffle (bool): shuffle (by aspect-ratio group) or not.
        seed (int, optional): seeds the samplers and, through
            :func:`worker_init_fn`, every worker.
        runner_type (str): 'IterBasedRunner' uses the infinite batch samplers.
        persistent_workers (bool): keep workers alive between epochs (needs workers).
        class_aware_sampler (dict, optional): ``dict(num_sample_class=1)`` uses
            :class:`ClassAwareSampler`.
        kwargs: passed to ``DataLoader`` (e.g. ``pin_memory``).
    """
    rank, world_size = get_dist_info()
    if dist:
        batch_size, num_workers = samples_per_gpu, workers_per_gpu
    else:
        batch_size, num_workers = num_gpus * samples_per_gpu, num_gpus * workers_per_gpu
    batch_sampler = None
    if runner_type == 'IterBasedRunner':
        if shuffle:
            batch_sampler = InfiniteGroupBatchSampler(dataset, batch_size, world_size, rank,
                                                      seed=seed)
        else:
            batch_sampler = InfiniteBatchSampler(dataset, batch_size, world_size, rank,
                                                 seed=seed, shuffle=False)
        batch_size, sampler = 1, None
    elif class_aware_sampler is not None:
        sampler = ClassAwareSampler(dataset, samples_per_gpu, world_size, rank, seed=seed,
                                    num_sample_class=class_aware_sampler.get('num_sample_class',
                                                                             1))
    elif dist:
        sampler = (DistributedGroupSampler(dataset, samples_per_gpu, world_size, rank, seed=seed)
                   if shuffle else
                   DistributedSampler(dataset, world_size, rank, shuffle=False, seed=seed))
    else:
        sampler = GroupSampler(dataset, samples_per_gpu) if shuffle else None
    init_fn = (partial(worker_init_fn, num_workers=num_workers, rank=rank, seed=seed)
               if seed is not None else None)
    if num_workers > 0:
        kwargs['persistent_workers'] = persistent_workers
    kwargs.setdefault('collate_fn', partial(collate, samples_per_gpu=samples_per_gpu))
    if batch_sampler is not None:
        return DataLoader(dataset, batch_sampler=batch_sampler, num_workers=num_workers,
                          pin_memory=kwargs.pop('pin_memory', False), worker_init_fn=init_fn,
                          **kwargs)
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler, num_workers=num_workers,
                      pin_memory=kwargs.pop('pin_memory', False), worker_init_fn=init_fn,
                      **kwargs)
