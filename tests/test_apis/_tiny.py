"""A tiny FCOS (ResNet-18 at base width 16) on a tiny synthetic set, for API and CLI tests."""
from __future__ import annotations

import os.path as osp

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs', 'synthetic', 'quickstart_fcos_r18.py')
IMG = 64


def make_data(out_dir: str, num_train: int = 8, num_val: int = 4, seed: int = 0) -> str:
    """Fixed-size images: one aspect-ratio group, so an epoch is num_train / batch iterations."""
    from detkit.datasets.synthetic import make_synthetic_dataset
    make_synthetic_dataset(out_dir, num_train, num_val, seed=seed, img_size=(IMG, IMG))
    return out_dir


def tiny_options(data_dir: str, samples_per_gpu: int = 4, max_epochs: int = 2) -> dict:
    """--cfg-options that shrink configs/synthetic/quickstart_fcos_r18.py for tests."""
    ann = osp.join(data_dir, 'annotations', 'instances_{}2017.json')
    return {
        'data.train.ann_file': ann.format('train'),
        'data.train.img_prefix': osp.join(data_dir, 'train2017') + '/',
        'data.val.ann_file': ann.format('val'),
        'data.val.img_prefix': osp.join(data_dir, 'val2017') + '/',
        'data.test.ann_file': ann.format('val'),
        'data.test.img_prefix': osp.join(data_dir, 'val2017') + '/',
        'data.samples_per_gpu': samples_per_gpu,
        'data.train.pipeline.2.img_scale': (IMG, IMG),
        'data.val.pipeline.1.img_scale': (IMG, IMG),
        'data.test.pipeline.1.img_scale': (IMG, IMG),
        'model.backbone.base_channels': 16,
        'model.neck.out_channels': 16,
        'model.bbox_head.in_channels': 16,
        'model.bbox_head.feat_channels': 16,
        'model.bbox_head.stacked_convs': 1,
        # an untrained model scores below the default 0.05: keep its boxes so
        # that formatting and evaluation have something to work on
        'model.test_cfg.score_thr': 0.0,
        'model.test_cfg.max_per_img': 20,
        'runner.max_epochs': max_epochs,
        'evaluation.interval': 1,
        'checkpoint_config.interval': 1,
        'log_config.interval': 1,
        'lr_config.warmup_iters': 2,
    }


def as_cli(options: dict) -> list:
    """``--cfg-options`` arguments for ``options`` (DictAction syntax)."""
    def fmt(v):
        if isinstance(v, (list, tuple)):
            inner = ','.join(fmt(x) for x in v)
            return f'[{inner}]' if isinstance(v, list) else f'({inner})'
        return str(v)
    return [f'{k}={fmt(v)}' for k, v in options.items()]


def tiny_config(data_dir: str, **kw):
    from detkit.config import Config
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict(tiny_options(data_dir, **kw))
    return cfg
