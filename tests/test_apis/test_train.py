"""detkit.apis.train: train_detector (NaN stop, bf16 autocast on CPU, hooks wiring),
find_latest_checkpoint, and the --cfg-options typo check."""
import json
import os.path as osp

import pytest
import torch

from detkit.apis import find_latest_checkpoint, train_detector
from detkit.apis.cfg_options import check_cfg_options
from detkit.config import Config
from detkit.datasets import build_dataset
from detkit.models import build_detector

from ._tiny import CONFIG, make_data, tiny_config


@pytest.fixture(scope='module')
def data_dir(tmp_path_factory):
    return make_data(str(tmp_path_factory.mktemp('train_data')), num_train=2, num_val=2)


def _setup(data_dir, work_dir, **options):
    cfg = tiny_config(data_dir, samples_per_gpu=2)
    cfg.merge_from_dict(options)
    cfg.work_dir = str(work_dir)
    cfg.gpu_ids = [0]
    cfg.seed = 0
    cfg.device = 'cpu'
    torch.manual_seed(0)
    model = build_detector(cfg.model)
    model.init_weights()
    dataset = build_dataset(cfg.data.train)
    model.CLASSES = dataset.CLASSES
    return cfg, model, dataset


def test_nan_loss_stops_with_iteration_and_losses(data_dir, tmp_path):
    cfg, model, dataset = _setup(data_dir, tmp_path,
                                 **{'model.bbox_head.loss_cls.loss_weight': float('nan')})
    with pytest.raises(RuntimeError) as e:
        train_detector(model, dataset, cfg, validate=False, timestamp='t0')
    msg = str(e.value)
    assert 'iteration 1' in msg and 'loss_cls: nan' in msg and 'loss_bbox' in msg
    assert not osp.exists(tmp_path / 'epoch_1.pth')  # stopped before finishing the epoch


@pytest.mark.slow
def test_fp16_runs_bf16_autocast_and_lowers_the_loss(data_dir, tmp_path):
    cfg, model, dataset = _setup(
        data_dir, tmp_path, **{'fp16': dict(loss_scale=512.), 'runner.max_epochs': 8,
                               'optimizer.lr': 0.005, 'checkpoint_config.interval': 8,
                               'model.train_cfg': dict(allowed_border=-1, pos_weight=-1,
                                                       debug=False)})
    cfg.data.train.pipeline[3].flip_ratio = 0.0  # the same two images every step
    runner = train_detector(model, dataset, cfg, validate=False, timestamp='t1')
    assert runner.autocast['dtype'] == torch.bfloat16 and runner.autocast['device_type'] == 'cpu'
    with open(tmp_path / 't1.log.json') as f:
        losses = [r['loss'] for r in map(json.loads, f) if r.get('mode') == 'train']
    assert len(losses) == 8
    assert losses[-1] < 0.8 * losses[0], losses
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert osp.isfile(tmp_path / 'epoch_8.pth')


def test_validate_registers_eval_hook_low(data_dir, tmp_path):
    cfg, model, dataset = _setup(data_dir, tmp_path, **{'runner.max_epochs': 1})
    runner = train_detector(model, [dataset], cfg, validate=True, timestamp='t2')
    names = {type(h).__name__: h for h in runner.hooks}
    assert names['EvalHook'].priority == 70  # 'LOW'
    assert names['CheckInvalidLossHook'].interval == 1
    with open(tmp_path / 't2.log.json') as f:
        vals = [r for r in map(json.loads, f) if r.get('mode') == 'val']
    assert len(vals) == 1 and 'bbox_mAP' in vals[0]


def test_find_latest_checkpoint(tmp_path):
    assert find_latest_checkpoint(str(tmp_path / 'none')) is None
    assert find_latest_checkpoint(str(tmp_path)) is None
    for name in ['epoch_2.pth', 'epoch_10.pth', 'epoch_9.pth', 'best_bbox_mAP_epoch_99.pth']:
        (tmp_path / name).write_bytes(b'')
    assert find_latest_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_10.pth')
    (tmp_path / 'latest.pth').write_bytes(b'')
    assert find_latest_checkpoint(str(tmp_path)) == str(tmp_path / 'latest.pth')


@pytest.mark.parametrize('key, hint', [
    ('data.samples_per_gpus', "did you mean 'samples_per_gpu'"),
    ('runner.max_epoch', "EpochBasedRunner (at 'runner') has no argument 'max_epoch' "
                         "(did you mean 'max_epochs'?)"),
    ('model.backbone.dept', "ResNet (at 'model.backbone') has no argument 'dept'"),
    ('evaluatoin.interval', "did you mean 'evaluation'"),
    ('optimizer.lrr', "did you mean 'lr'"),
])
def test_cfg_option_typos_are_refused(key, hint):
    cfg = Config.fromfile(CONFIG)
    with pytest.raises(KeyError) as e:
        check_cfg_options(cfg, {key: 1})
    assert hint in str(e.value) and key in str(e.value)


def test_cfg_option_new_keys_are_accepted():
    cfg = Config.fromfile(CONFIG)
    check_cfg_options(cfg, {'model.backbone.base_channels': 16, 'fp16.loss_scale': 512.,
                            'optimizer.paramwise_cfg.norm_decay_mult': 0.,
                            'data.train.pipeline.2.img_scale': (64, 64),
                            'evaluation.save_best': 'auto', 'data.test.samples_per_gpu': 2})
