import os
import os.path as osp

import torch

from detkit.engine import IterBasedRunner

from .._toy import ToyModel, toy_loader
from ._run import make_runner, quiet_logger


def test_interval_max_keep_and_latest(tmp_path):
    runner = make_runner(tmp_path, epochs=5, meta={})
    runner.register_training_hooks(None, checkpoint_config=dict(interval=1, max_keep_ckpts=2))
    runner.run([toy_loader()], [('train', 1)])
    files = sorted(f for f in os.listdir(tmp_path) if f.endswith('.pth'))
    assert files == ['epoch_4.pth', 'epoch_5.pth', 'latest.pth']
    assert os.readlink(tmp_path / 'latest.pth') == 'epoch_5.pth'
    assert runner.meta['hook_msgs']['last_ckpt'] == str(tmp_path / 'epoch_5.pth')
    ckpt = torch.load(tmp_path / 'epoch_5.pth', weights_only=True)
    assert ckpt['meta']['epoch'] == 5 and ckpt['meta']['iter'] == 20 and 'optimizer' in ckpt


def test_save_last_out_dir_and_no_optimizer(tmp_path):
    work = tmp_path / 'work_dir'
    runner = make_runner(work, epochs=3)
    runner.register_training_hooks(
        None,
        checkpoint_config=dict(interval=2, out_dir=str(tmp_path / 'out'), save_optimizer=False),
    )
    runner.run([toy_loader()], [('train', 1)])
    out = tmp_path / 'out' / 'work_dir'  # mmcv: out_dir / basename(work_dir)
    assert sorted(os.listdir(out)) == ['epoch_2.pth', 'epoch_3.pth', 'latest.pth']
    assert 'optimizer' not in torch.load(out / 'epoch_3.pth', weights_only=True)


def test_by_iter(tmp_path):
    model = ToyModel()
    runner = IterBasedRunner(
        model,
        torch.optim.SGD(model.parameters(), lr=0.1),
        work_dir=str(tmp_path),
        logger=quiet_logger(),
        max_iters=8,
    )
    runner.register_training_hooks(
        None, checkpoint_config=dict(interval=3, by_epoch=False, filename_tmpl='it{}.pth')
    )
    runner.run([toy_loader()], [('train', 1)])
    assert sorted(f for f in os.listdir(tmp_path)) == [
        'it3.pth',
        'it6.pth',
        'it8.pth',
        'latest.pth',
    ]
    assert osp.realpath(tmp_path / 'latest.pth') == str(tmp_path / 'it8.pth')
