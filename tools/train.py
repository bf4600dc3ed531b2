"""Train a detector (MMDetection 2.x ``tools/train.py``).

    python tools/train.py CONFIG [--work-dir W] [--auto-resume] [--cfg-options k=v ...]
    bash tools/dist_train.sh CONFIG GPUS [args]      # torchrun, --launcher pytorch
"""
from __future__ import annotations

import argparse
import copy
import logging
import os
import os.path as osp
import sys
import time
import warnings
from typing import Optional, Sequence

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a checkout

import torch  # noqa: E402

from detkit.apis import init_random_seed, set_random_seed, train_detector  # noqa: E402
from detkit.apis.cfg_options import load_config, setup_multi_processes  # noqa: E402
from detkit.config import DictAction  # noqa: E402
from detkit.engine import get_dist_info, init_dist  # noqa: E402
from detkit.utils.collect_env import collect_env  # noqa: E402
from detkit.utils.logging import get_root_logger  # noqa: E402
from detkit.version import __version__  # noqa: E402


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description='Train a detector')
    p.add_argument('config', help='train config file path')
    p.add_argument('--work-dir', help='the dir to save logs and models')
    p.add_argument('--resume-from', help='the checkpoint file to resume from')
    p.add_argument('--auto-resume', action='store_true',
                   help='resume from the latest checkpoint in the work_dir automatically')
    p.add_argument('--no-validate', action='store_true',
                   help='whether not to evaluate the checkpoint during training')
    group = p.add_mutually_exclusive_group()
    group.add_argument('--gpus', type=int, help='(Deprecated, please use --gpu-id) number of '
                       'gpus to use (only applicable to non-distributed training)')
    group.add_argument('--gpu-ids', type=int, nargs='+', help='(Deprecated, please use '
                       '--gpu-id) ids of gpus to use (only applicable to non-distributed '
                       'training)')
    group.add_argument('--gpu-id', type=int, default=0,
                       help='id of gpu to use (only applicable to non-distributed training)')
    p.add_argument('--seed', type=int, default=None, help='random seed')
    p.add_argument('--diff-seed', action='store_true',
                   help='whether or not set different seeds for different ranks')
    p.add_argument('--deterministic', action='store_true',
                   help='whether to set deterministic options for CUDNN backend.')
    p.add_argument('--options', nargs='+', action=DictAction,
                   help='(Deprecated, use --cfg-options) override config settings')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='override some settings in the used config, the key-value pair in '
                   'xxx=yyy format will be merged into config file.')
    p.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                   help='job launcher')
    p.add_argument('--local_rank', '--local-rank', type=int, default=0)
    p.add_argument('--auto-scale-lr', action='store_true',
                   help='enable automatically scaling LR.')
    p.add_argument('--unsafe-load', action='store_true',
                   help='read --resume-from / load_from checkpoints with full unpickling '
                   '(torch.load(weights_only=False)); only for files you trust')
    args = p.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    if args.options and args.cfg_options:
        p.error('--options and --cfg-options cannot be both specified; --options is '
                'deprecated in favor of --cfg-options')
    if args.options:
        warnings.warn('--options is deprecated in favor of --cfg-options', stacklevel=2)
        args.cfg_options = args.options
    return args


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    if 'data' not in cfg or 'train' not in cfg.data:
        raise KeyError(f'{args.config}: the config has no data.train; training needs '
                       f'data = dict(train=dict(type=..., ann_file=..., pipeline=...), ...)')
    setup_multi_processes(cfg)
    if args.auto_scale_lr:
        if 'auto_scale_lr' in cfg and 'base_batch_size' in cfg.auto_scale_lr:
            cfg.auto_scale_lr.enable = True
        else:
            warnings.warn('Can not find "auto_scale_lr" or "auto_scale_lr.base_batch_size" in '
                          'your configuration file; Automatic scaling of LR is skipped.',
                          stacklevel=1)
    if cfg.get('cudnn_benchmark', False):
        torch.backends.cudnn.benchmark = True

    # work_dir: CLI > config > ./work_dirs/<config name>
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    if args.resume_from is not None:
        cfg.resume_from = args.resume_from
    cfg.auto_resume = args.auto_resume
    cfg.unsafe_load = args.unsafe_load
    if args.gpus is not None:
        cfg.gpu_ids = range(1)
        warnings.warn('`--gpus` is deprecated because we only support single GPU mode in '
                      'non-distributed training. Use `gpus=1` now.', stacklevel=1)
    if args.gpu_ids is not None:
        cfg.gpu_ids = args.gpu_ids[0:1]
        warnings.warn('`--gpu-ids` is deprecated, please use `--gpu-id`. Because we only '
                      'support single GPU mode in non-distributed training. Use the first '
                      'GPU in `gpu_ids` now.', stacklevel=1)
    if args.gpus is None and args.gpu_ids is None:
        cfg.gpu_ids = [args.gpu_id]
    cfg.device = 'cuda' if torch.cuda.is_available() else 'cpu'

    if args.launcher == 'none':
        distributed = False
    else:
        distributed = True
        dist_params = dict(cfg.get('dist_params', {}))
        if not torch.cuda.is_available():
            dist_params['backend'] = 'gloo'  # nccl needs GPUs; CPU runs use gloo
        init_dist(args.launcher, **dist_params)
        _, world_size = get_dist_info()
        cfg.gpu_ids = range(world_size)
        if cfg.device == 'cuda':
            cfg.device = f'cuda:{int(os.environ.get("LOCAL_RANK", 0))}'

    os.makedirs(osp.abspath(cfg.work_dir), exist_ok=True)
    rank, _ = get_dist_info()
    if rank == 0:
        cfg.dump(osp.join(cfg.work_dir, osp.basename(args.config)))
    timestamp = time.strftime('%Y%m%d_%H%M%S', time.localtime())
    log_file = osp.join(cfg.work_dir, f'{timestamp}.log')
    logger = get_root_logger(log_file=log_file,
                             log_level=getattr(logging, str(cfg.get('log_level', 'INFO'))))

    meta: dict = dict()
    env_info = '\n'.join(f'{k}: {v}' for k, v in collect_env().items())
    dash_line = '-' * 60 + '\n'
    logger.info('Environment info:\n' + dash_line + env_info + '\n' + dash_line)
    meta['env_info'] = env_info
    meta['config'] = cfg.pretty_text
    logger.info(f'Distributed training: {distributed}')
    logger.info(f'Config:\n{cfg.pretty_text}')

    seed = init_random_seed(args.seed, device='cpu')
    seed = seed + rank if args.diff_seed else seed
    logger.info(f'Set random seed to {seed}, deterministic: {args.deterministic}')
    set_random_seed(seed, deterministic=args.deterministic)
    cfg.seed = seed
    meta['seed'] = seed
    meta['exp_name'] = osp.basename(args.config)

    from detkit.datasets import build_dataset
    from detkit.models import build_detector
    model = build_detector(cfg.model, train_cfg=cfg.get('train_cfg'),
                           test_cfg=cfg.get('test_cfg'))
    model.init_weights()

    datasets = [build_dataset(cfg.data.train)]
    if len(cfg.workflow) == 2:
        val_dataset = copy.deepcopy(cfg.data.val)
        val_dataset.pipeline = cfg.data.train.pipeline
        datasets.append(build_dataset(val_dataset))
    # the version and class names go into every checkpoint's meta; through the runner's
    # plain meta dict (a ConfigDict in a checkpoint would need unpickling to read back)
    meta['mmdet_version'] = __version__
    meta['CLASSES'] = tuple(datasets[0].CLASSES)
    model.CLASSES = datasets[0].CLASSES
    train_detector(model, datasets, cfg, distributed=distributed,
                   validate=(not args.no_validate), timestamp=timestamp, meta=meta)


if __name__ == '__main__':
    main()
