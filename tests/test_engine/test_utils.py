from collections import OrderedDict, namedtuple

import numpy as np
import torch

from detkit.engine import model_device, to_device, unwrap_model


def test_to_device_keeps_structure():
    Pair = namedtuple('Pair', 'a b')
    meta = {'filename': 'x.jpg', 'scale_factor': np.ones(4)}
    data = OrderedDict(
        img=torch.zeros(2, 3, 4, 4),
        img_metas=[meta, meta],
        gt_bboxes=[torch.zeros(1, 4), torch.zeros(0, 4)],
        pair=Pair(torch.ones(1), 3),
        nested=({'t': torch.ones(2)},),
    )
    out = to_device(data, torch.device('meta'))
    assert type(out) is OrderedDict and list(out) == list(data)
    assert out['img'].device.type == 'meta' and out['img'].shape == (2, 3, 4, 4)
    # non-tensors are passed through untouched (dicts are shallow copies)
    assert out['img_metas'][0]['scale_factor'] is meta['scale_factor']
    assert out['img_metas'][1]['filename'] == 'x.jpg'
    assert [b.device.type for b in out['gt_bboxes']] == ['meta', 'meta']
    assert type(out['pair']) is Pair and out['pair'].a.device.type == 'meta'
    assert out['pair'].b == 3
    assert out['nested'][0]['t'].device.type == 'meta'
    assert data['img'].device.type == 'cpu'  # the input is not modified


def test_unwrap_and_device():
    m = torch.nn.Linear(2, 2)
    assert unwrap_model(torch.nn.DataParallel(m)) is m and unwrap_model(m) is m
    assert model_device(m) == torch.device('cpu')
    assert model_device(torch.nn.Module()) == torch.device('cpu')


def test_gpu_count_from_config_text():
    from detkit.engine.utils import gpu_count_from_config_text

    assert gpu_count_from_config_text('a = 1\ngpu_ids = range(0, 8)\n') == 8
    assert gpu_count_from_config_text('gpu_ids = [0, 1]') == 2
    assert gpu_count_from_config_text('gpu_ids = range(2)') == 2
    assert gpu_count_from_config_text('x = 1') is None
    assert gpu_count_from_config_text("gpu_ids = __import__('os').getpid()") is None  # not run
    assert gpu_count_from_config_text('gpu_ids = [') is None
    assert gpu_count_from_config_text(None) is None
