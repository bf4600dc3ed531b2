"""build_dataset (wrappers from configs) and build_dataloader (samplers, seeding, batches)."""
import numpy as np
import pytest
import torch

from detkit.datasets import (
    SHAPE_CLASSES,
    ClassBalancedDataset,
    CocoDataset,
    ConcatDataset,
    DistributedGroupSampler,
    GroupSampler,
    InfiniteGroupBatchSampler,
    MultiImageMixDataset,
    RepeatDataset,
    build_dataloader,
    build_dataset,
    make_synthetic_dataset,
)
from detkit.registry import PIPELINES


@PIPELINES.register_module(force=True)
class _RandomTag:
    """Puts one draw of numpy's global RNG into the sample (to see worker seeding)."""

    def __call__(self, results):
        results['tag'] = float(np.random.rand())
        return results


PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='_RandomTag'),  # the first draw of each sample
    dict(type='Resize', img_scale=(64, 48), keep_ratio=True),
    dict(type='RandomFlip', flip_ratio=0.5),
    dict(type='Normalize', mean=[0, 0, 0], std=[1, 1, 1], to_rgb=True),
    dict(type='Pad', size_divisor=32),
    dict(type='DefaultFormatBundle'),
    dict(type='Collect', keys=['img', 'gt_bboxes', 'gt_labels'],
         meta_keys=('filename', 'img_shape', 'pad_shape', 'tag')),
]


@pytest.fixture(scope='module')
def cfg(tmp_path_factory):
    root = tmp_path_factory.mktemp('shapes')
    make_synthetic_dataset(str(root), num_train=12, num_val=4, seed=1, img_size=64)
    return dict(type='CocoDataset', data_root=str(root) + '/',
                ann_file='annotations/instances_train2017.json', img_prefix='train2017/',
                classes=SHAPE_CLASSES, pipeline=PIPELINE)


def test_build_dataset_wrappers(cfg):
    ds = build_dataset(cfg)
    assert isinstance(ds, CocoDataset)
    rep = build_dataset(dict(type='RepeatDataset', times=2, dataset=cfg))
    assert isinstance(rep, RepeatDataset) and len(rep) == 2 * len(ds)
    cb = build_dataset(dict(type='ClassBalancedDataset', oversample_thr=0.3, dataset=cfg))
    assert isinstance(cb, ClassBalancedDataset) and len(cb) >= len(ds)
    cat = build_dataset([cfg, cfg])
    assert isinstance(cat, ConcatDataset) and len(cat) == 2 * len(ds)
    listed = build_dataset(dict(cfg, ann_file=[cfg['ann_file']] * 2,
                                img_prefix=[cfg['img_prefix']] * 2))
    assert isinstance(listed, ConcatDataset) and listed.separate_eval
    assert listed.datasets[1].img_prefix.endswith('train2017/')
    with pytest.raises(ValueError, match='concatenated CocoDataset as a whole'):
        build_dataset(dict(cfg, ann_file=[cfg['ann_file']] * 2, separate_eval=False))
    cat2 = build_dataset(dict(type='ConcatDataset', datasets=[cfg, cfg]))
    assert len(cat2) == 2 * len(ds)
    mix = build_dataset(dict(type='MultiImageMixDataset', dataset=cfg, pipeline=[]))
    assert isinstance(mix, MultiImageMixDataset) and len(mix) == len(ds)
    with pytest.raises(KeyError, match="'CocoDatset' is not in the dataset registry "
                       "\\(did you mean 'CocoDataset'"):
        build_dataset(dict(cfg, type='CocoDatset'))
    with pytest.raises(ValueError, match='img_prefix has 1 entries for 2 ann_files'):
        build_dataset(dict(cfg, ann_file=[cfg['ann_file']] * 2, img_prefix=['a']))


def test_build_dataloader_batches_and_samplers(cfg):
    ds = build_dataset(cfg)
    dl = build_dataloader(ds, samples_per_gpu=3, workers_per_gpu=0, dist=False, seed=0)
    assert isinstance(dl.sampler, GroupSampler)
    batch = next(iter(dl))
    assert batch['img'].shape[0] == 3 and batch['img'].shape[1] == 3
    assert batch['img'].shape[2] % 32 == 0 and batch['img'].shape[3] % 32 == 0
    assert len(batch['gt_bboxes']) == 3 and batch['gt_bboxes'][0].shape[1] == 4
    assert len({m['img_shape'][1] > m['img_shape'][0] for m in batch['img_metas']}) == 1
    dl = build_dataloader(ds, 2, 0, dist=True, seed=0)
    assert isinstance(dl.sampler, DistributedGroupSampler)
    dl = build_dataloader(ds, 2, 0, runner_type='IterBasedRunner', seed=0)
    assert isinstance(dl.batch_sampler, InfiniteGroupBatchSampler)
    assert next(iter(dl))['img'].shape[0] == 2
    dl = build_dataloader(ds, 2, 0, dist=False, shuffle=False)
    assert dl.sampler.__class__.__name__ == 'SequentialSampler'


def test_seeded_workers_repeat_their_draws(cfg):
    ds = build_dataset(cfg)

    def tags(seed):
        torch.manual_seed(0)
        np.random.seed(0)
        dl = build_dataloader(ds, 2, 1, dist=False, shuffle=False, seed=seed)
        return [m['tag'] for b in dl for m in b['img_metas']]

    a, b = tags(5), tags(5)
    assert a == b and len(set(a)) == len(a)
    assert tags(6) != a
    # worker 0 of rank 0 is seeded with seed: its first draw is np.random.seed(5)'s
    np.random.seed(5)
    assert a[0] == np.random.rand()
