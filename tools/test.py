"""Test (and evaluate) a detector checkpoint (MMDetection 2.x ``tools/test.py``).

    python tools/test.py CONFIG CHECKPOINT [--out r.pkl] [--eval bbox] [--show-dir D]
    python tools/test.py CONFIG CHECKPOINT --format-only --eval-options jsonfile_prefix=P
    bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [args]   # torchrun, --launcher pytorch
"""
from __future__ import annotations

import argparse
import json
import os
import os.path as osp
import pickle
import sys
import time
import warnings
from typing import Optional, Sequence

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a checkout

import torch  # noqa: E402

from detkit.apis import load_detector_weights, multi_gpu_test, single_gpu_test  # noqa: E402
from detkit.apis.cfg_options import load_config, setup_multi_processes  # noqa: E402
from detkit.config import DictAction  # noqa: E402
from detkit.engine import atomic_write, get_dist_info, init_dist  # noqa: E402

EVAL_METRICS = ('bbox', 'segm', 'proposal', 'proposal_fast', 'mAP', 'recall')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description='detkit test (and eval) a model')
    p.add_argument('config', help='test config file path')
    p.add_argument('checkpoint', help='checkpoint file')
    p.add_argument('--work-dir', help='the directory to save the file containing evaluation '
                   'metrics')
    p.add_argument('--out', help='output result file in pickle format')
    p.add_argument('--fuse-conv-bn', action='store_true', help='Whether to fuse conv and bn, '
                   'this will slightly increase the inference speed')
    p.add_argument('--gpu-ids', type=int, nargs='+', help='(Deprecated, please use --gpu-id) '
                   'ids of gpus to use (only applicable to non-distributed testing)')
    p.add_argument('--gpu-id', type=int, default=0, help='id of gpu to use '
                   '(only applicable to non-distributed testing)')
    p.add_argument('--format-only', action='store_true', help='Format the output results '
                   'without perform evaluation. It is useful when you want to format the '
                   'result to a specific format and submit it to the test server')
    p.add_argument('--eval', type=str, nargs='+', help='evaluation metrics, which depends on '
                   'the dataset, e.g., "bbox", "segm", "proposal" for COCO, and "mAP", '
                   '"recall" for PASCAL VOC')
    p.add_argument('--show', action='store_true', help='show results')
    p.add_argument('--show-dir', help='directory where painted images will be saved')
    p.add_argument('--show-score-thr', type=float, default=0.3,
                   help='score threshold (default: 0.3)')
    p.add_argument('--gpu-collect', action='store_true',
                   help='whether to use gpu to collect results.')
    p.add_argument('--tmpdir', help='tmp directory used for collecting results from multiple '
                   'workers, available when gpu-collect is not specified')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='override some settings in the used config, the key-value pair in '
                   'xxx=yyy format will be merged into config file.')
    p.add_argument('--options', nargs='+', action=DictAction,
                   help='custom options for evaluation, the key-value pair in xxx=yyy format '
                   'will be kwargs for dataset.evaluate() function (deprecate), change to '
                   '--eval-options instead.')
    p.add_argument('--eval-options', nargs='+', action=DictAction,
                   help='custom options for evaluation, the key-value pair in xxx=yyy format '
                   'will be kwargs for dataset.evaluate() function')
    p.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                   help='job launcher')
    p.add_argument('--local_rank', '--local-rank', type=int, default=0)
    p.add_argument('--unsafe-load', action='store_true',
                   help='read the checkpoint with full unpickling (torch.load('
                   'weights_only=False)); only for files you trust')
    args = p.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    if args.options and args.eval_options:
        p.error('--options and --eval-options cannot be both specified, --options is '
                'deprecated in favor of --eval-options')
    if args.options:
        warnings.warn('--options is deprecated in favor of --eval-options', stacklevel=2)
        args.eval_options = args.options
    if not (args.out or args.eval or args.format_only or args.show or args.show_dir):
        p.error('Please specify at least one operation (save/eval/format/show the results / '
                'save the results) with the argument "--out", "--eval", "--format-only", '
                '"--show" or "--show-dir"')
    if args.eval and args.format_only:
        p.error('--eval and --format-only cannot be both specified')
    if args.out is not None and not args.out.endswith(('.pkl', '.pickle')):
        p.error(f'The output file must be a pkl file, but got --out {args.out}')
    return args


def main(argv: Optional[Sequence[str]] = None) -> Optional[dict]:
    args = parse_args(argv)
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint file {args.checkpoint!r} does not exist')
    cfg = load_config(args.config, args.cfg_options)
    if 'data' not in cfg or 'test' not in cfg.data:
        raise KeyError(f'{args.config}: the config has no data.test; testing needs '
                       f'data = dict(test=dict(type=..., ann_file=..., pipeline=...), ...)')
    setup_multi_processes(cfg)
    if cfg.get('cudnn_benchmark', False):
        torch.backends.cudnn.benchmark = True
    if 'pretrained' in cfg.model:
        cfg.model.pretrained = None
    if isinstance(cfg.model.get('backbone'), dict) and cfg.model.backbone.get('init_cfg'):
        cfg.model.backbone.init_cfg = None  # the checkpoint has the weights: no download
    cfg.model.train_cfg = None
    if args.gpu_ids is not None:
        cfg.gpu_ids = args.gpu_ids[0:1]
        warnings.warn('`--gpu-ids` is deprecated, please use `--gpu-id`. Because we only '
                      'support single GPU mode in non-distributed testing. Use the first GPU '
                      'in `gpu_ids` now.', stacklevel=1)
    else:
        cfg.gpu_ids = [args.gpu_id]
    device = torch.device(f'cuda:{cfg.gpu_ids[0]}' if torch.cuda.is_available() else 'cpu')

    distributed = args.launcher != 'none'
    if distributed:
        dist_params = dict(cfg.get('dist_params', {}))
        if not torch.cuda.is_available():
            dist_params['backend'] = 'gloo'
        init_dist(args.launcher, **dist_params)
        if device.type == 'cuda':
            device = torch.device('cuda', int(os.environ.get('LOCAL_RANK', 0)))
    rank, _ = get_dist_info()

    json_file = None
    if args.work_dir is not None and rank == 0:
        os.makedirs(osp.abspath(args.work_dir), exist_ok=True)
        timestamp = time.strftime('%Y%m%d_%H%M%S', time.localtime())
        json_file = osp.join(args.work_dir, f'eval_{timestamp}.json')

    from detkit.datasets import build_dataloader, build_dataset
    from detkit.models import build_detector
    test_loader_cfg = dict(samples_per_gpu=1, workers_per_gpu=cfg.data.get('workers_per_gpu', 2),
                           dist=distributed, shuffle=False)
    test_loader_cfg.update({k: v for k, v in dict(cfg.data.get('test_dataloader') or {}).items()})
    test_cfg = cfg.data.test
    if 'samples_per_gpu' in test_cfg:  # the MMDetection 2.x spelling of the batch size
        per_gpu = test_cfg.pop('samples_per_gpu')
        if 'samples_per_gpu' not in (cfg.data.get('test_dataloader') or {}):
            test_loader_cfg['samples_per_gpu'] = per_gpu
    test_cfg.test_mode = True
    dataset = build_dataset(test_cfg)
    data_loader = build_dataloader(dataset, **test_loader_cfg)

    model = build_detector(cfg.model, test_cfg=cfg.get('test_cfg'))
    checkpoint = load_detector_weights(model, args.checkpoint, map_location='cpu',
                                       weights_only=not args.unsafe_load)
    if args.fuse_conv_bn:
        model = fuse_conv_bn(model)
    meta = checkpoint.get('meta', {}) if isinstance(checkpoint, dict) else {}
    model.CLASSES = meta.get('CLASSES', dataset.CLASSES)
    model = model.to(device)

    if not distributed:
        outputs = single_gpu_test(model, data_loader, args.show, args.show_dir,
                                  args.show_score_thr)
    else:
        outputs = multi_gpu_test(model, data_loader, args.tmpdir, args.gpu_collect)

    if rank != 0:
        return None
    metric = None
    if args.out:
        print(f'\nwriting results to {args.out}')
        atomic_write(args.out, lambda f: pickle.dump(outputs, f, protocol=4))
    kwargs = dict(args.eval_options or {})
    if args.format_only:
        dataset.format_results(outputs, **kwargs)
    if args.eval:
        bad = [m for m in args.eval if m not in EVAL_METRICS]
        if bad:
            raise KeyError(f'--eval: unknown metric(s) {bad}; accepted: {", ".join(EVAL_METRICS)}')
        eval_kwargs = dict(cfg.get('evaluation', {}))
        # EvalHook's own arguments are not evaluate()'s
        for key in ['interval', 'tmpdir', 'start', 'gpu_collect', 'save_best', 'rule',
                    'dynamic_intervals', 'by_epoch', 'out_dir', 'greater_keys', 'less_keys']:
            eval_kwargs.pop(key, None)
        eval_kwargs.update(dict(metric=args.eval, **kwargs))
        metric = dataset.evaluate(outputs, **eval_kwargs)
        print(metric)
        if json_file is not None:
            text = json.dumps(dict(config=args.config, checkpoint=args.checkpoint,
                                   metric=metric), indent=2)
            atomic_write(json_file, lambda f: f.write(text.encode()))
    return metric


def fuse_conv_bn(module: torch.nn.Module) -> torch.nn.Module:
    """Fold every BatchNorm that directly follows a Conv2d (in module order) into it.

    Inference only: the fused conv computes conv then BN in one op; the BN
    becomes an identity.
    """
    last_conv, last_name = None, None
    for name, child in list(module.named_children()):
        if isinstance(child, (torch.nn.BatchNorm2d, torch.nn.SyncBatchNorm)) \
                and last_conv is not None:
            module._modules[last_name] = torch.nn.utils.fusion.fuse_conv_bn_eval(
                last_conv.eval(), child.eval())
            module._modules[name] = torch.nn.Identity()
            last_conv = None
        elif isinstance(child, torch.nn.Conv2d):
            last_conv, last_name = child, name
        else:
            fuse_conv_bn(child)
    return module


if __name__ == '__main__':
    main()
