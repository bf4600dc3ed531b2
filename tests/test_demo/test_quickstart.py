"""demo/quickstart.py: its config (a child of the synthetic FCOS config), its schedule
options, its data reuse, and one tiny end-to-end run (2 epochs on 8 images of 64 px)."""

import importlib.util
import json
import os.path as osp

import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SYNTH = osp.join(ROOT, 'configs', 'synthetic')


def _load_demo():
    spec = importlib.util.spec_from_file_location(
        '_quickstart', osp.join(ROOT, 'demo', 'quickstart.py')
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


demo = _load_demo()


def _flat(d, prefix=''):
    if isinstance(d, dict):
        out = {}
        for k, v in d.items():
            out.update(_flat(v, f'{prefix}.{k}' if prefix else str(k)))
        return out
    if isinstance(d, (list, tuple)):
        out = {}
        for i, v in enumerate(d):
            out.update(_flat(v, f'{prefix}.{i}'))
        return out
    return {prefix: d}


def _cfg(name):
    from detkit.config import Config

    cfg = Config.fromfile(osp.join(SYNTH, name))
    return cfg.to_dict() if hasattr(cfg, 'to_dict') else cfg._cfg_dict.to_dict()


def test_config_is_the_synthetic_fcos_config_with_few_overrides():
    text = open(osp.join(SYNTH, 'quickstart_fcos_r18.py')).read()
    assert "_base_ = ['./fcos_r18_fpn_synthetic.py']" in text
    base, quick = _flat(_cfg('fcos_r18_fpn_synthetic.py')), _flat(_cfg('quickstart_fcos_r18.py'))
    differ = {k for k in set(base) | set(quick) if base.get(k, '<none>') != quick.get(k, '<none>')}
    # what the demo changes: widths, image size, data paths, schedule, logging
    allowed_prefixes = (
        'model.backbone.base_channels',
        'model.neck.in_channels',
        'model.neck.out_channels',
        'model.bbox_head.in_channels',
        'model.bbox_head.feat_channels',
        'model.bbox_head.norm_cfg.num_groups',
        'img_scale',
        'data_root',
        'optimizer.lr',
        'lr_config',
        'runner.max_epochs',
        'evaluation.interval',
        'checkpoint_config.interval',
        'log_config',
        'custom_hooks',
        'data.test_dataloader',
    )
    path_keys = {
        f'data.{s}.{k}' for s in ('train', 'val', 'test') for k in ('ann_file', 'img_prefix')
    }
    scale_keys = {
        'train_pipeline.2.img_scale.0',
        'train_pipeline.2.img_scale.1',
        'test_pipeline.1.img_scale.0',
        'test_pipeline.1.img_scale.1',
    }
    scale_keys |= {f'data.train.pipeline.2.img_scale.{i}' for i in (0, 1)}
    scale_keys |= {f'data.{s}.pipeline.1.img_scale.{i}' for s in ('val', 'test') for i in (0, 1)}
    unexpected = sorted(
        k for k in differ if not k.startswith(allowed_prefixes) and k not in path_keys | scale_keys
    )
    assert unexpected == []
    # the tests' tiny configs (tests/test_apis/_tiny.py) reach the resize steps by index
    assert quick['data.train.pipeline.2.type'] == 'Resize'
    assert quick['data.test.pipeline.1.type'] == 'MultiScaleFlipAug'
    assert quick['data.train.pipeline.2.img_scale.0'] == 192
    assert quick['lr_config.policy'] == 'CosineAnnealing'
    assert 'lr_config.step' not in quick  # _delete_ dropped the base's step list


def test_schedule_options_scale_step_policies_only():
    from detkit.config import Config

    cfg = Config.fromfile(osp.join(SYNTH, 'fcos_r18_fpn_synthetic.py'))  # step=[120] of 150
    opts = demo.schedule_options(cfg, 30)
    assert opts == {
        'runner.max_epochs': 30,
        'evaluation.interval': 7,
        'checkpoint_config.interval': 15,
        'lr_config.step': [24],
    }
    assert demo.schedule_options(cfg, 1) == {
        'runner.max_epochs': 1,
        'evaluation.interval': 1,
        'checkpoint_config.interval': 1,
        'lr_config.step': [1],
    }
    cosine = Config.fromfile(osp.join(SYNTH, 'quickstart_fcos_r18.py'))
    assert demo.schedule_options(cosine, 6) == {
        'runner.max_epochs': 6,
        'evaluation.interval': 1,
        'checkpoint_config.interval': 3,
    }


def test_make_data_reuses_only_data_made_with_the_same_settings(tmp_path, capsys):
    root = str(tmp_path / 'data')
    demo.make_data(root, 2, 1, 64, 0)
    ann = osp.join(root, 'annotations', 'instances_train2017.json')
    assert len(json.load(open(ann))['images']) == 2
    demo.make_data(root, 2, 1, 64, 0)
    assert 'using the synthetic data' in capsys.readouterr().out
    demo.make_data(root, 3, 1, 64, 0)
    out = capsys.readouterr().out
    assert 'remaking it' in out and "'num_train': 2" in out
    assert len(json.load(open(ann))['images']) == 3


@pytest.fixture
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_quickstart_end_to_end_tiny(tmp_path, one_thread):
    work = str(tmp_path / 'work')
    summary = demo.main(
        [
            '--work-dir',
            work,
            '--data-root',
            str(tmp_path / 'data'),
            '--num-train',
            '8',
            '--num-val',
            '4',
            '--img-size',
            '64',
            '--epochs',
            '2',
            '--num-vis',
            '2',
        ]
    )
    assert set(summary) == {'bbox_mAP', 'bbox_mAP_50', 'train_seconds', 'total_seconds'}
    assert 0 <= summary['bbox_mAP'] <= summary['bbox_mAP_50'] <= 1
    assert json.load(open(osp.join(work, 'summary.json'))) == summary
    for name in (
        'epoch_1.pth',
        'epoch_2.pth',
        'latest.pth',
        'curves.png',
        'quickstart_fcos_r18.py',
        'vis/000001.jpg',
        'vis/000002.jpg',
    ):
        assert osp.isfile(osp.join(work, name)), name
    assert not osp.exists(osp.join(work, 'vis', '000003.jpg'))
    logs = [f for f in __import__('os').listdir(work) if f.endswith('.log.json')]
    records = [json.loads(line) for line in open(osp.join(work, logs[0]))]
    assert [r['epoch'] for r in records if r.get('mode') == 'val'] == [1, 2]
    dumped = open(osp.join(work, 'quickstart_fcos_r18.py')).read()
    assert 'max_epochs=2' in dumped.replace(' ', '') or "'max_epochs':2" in dumped.replace(' ', '')
