"""detkit.apis.test: single_gpu_test (order, drawings) and multi_gpu_test (one-rank group)."""
import os
import os.path as osp

import numpy as np
import pytest
import torch
import torch.distributed as dist

from detkit.apis import inference_detector, init_detector, multi_gpu_test, single_gpu_test
from detkit.datasets import build_dataloader, build_dataset
from detkit.structures.image_io import imread

from ._tiny import make_data, tiny_config


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    data = make_data(str(tmp_path_factory.mktemp('test_data')), num_train=2, num_val=3)
    cfg = tiny_config(data)
    torch.manual_seed(0)
    model = init_detector(cfg, device='cpu')
    dataset = build_dataset(cfg.data.test, dict(test_mode=True))
    return model, dataset


def _loader(dataset, dist_mode=False):
    return build_dataloader(dataset, samples_per_gpu=2, workers_per_gpu=0, dist=dist_mode,
                            shuffle=False)


def test_single_gpu_test_order_and_drawings(setup, tmp_path):
    model, dataset = setup
    out_dir = str(tmp_path / 'show')
    results = single_gpu_test(model, _loader(dataset), out_dir=out_dir, show_score_thr=0.0)
    assert len(results) == len(dataset) == 3
    for i, result in enumerate(results):
        info = dataset.data_infos[i]
        img = osp.join(dataset.img_prefix, info['filename'])
        for a, b in zip(result, inference_detector(model, img)):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-4)
        drawn = imread(osp.join(out_dir, info['filename']))
        assert drawn.shape == imread(img).shape
    assert sorted(os.listdir(out_dir)) == sorted(i['filename'] for i in dataset.data_infos)


def test_multi_gpu_test_on_one_rank_equals_single(setup, tmp_path):
    model, dataset = setup
    single = single_gpu_test(model, _loader(dataset))
    dist.init_process_group('gloo', init_method=f'file://{tmp_path}/pg', rank=0, world_size=1)
    try:
        for gpu_collect in (False, True):
            multi = multi_gpu_test(model, _loader(dataset, dist_mode=True),
                                   tmpdir=str(tmp_path / 'parts'), gpu_collect=gpu_collect)
            assert len(multi) == 3
            for x, y in zip(single, multi):
                for p, q in zip(x, y):
                    np.testing.assert_array_equal(p, q)
    finally:
        dist.destroy_process_group()
