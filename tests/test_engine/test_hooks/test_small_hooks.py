"""IterTimerHook, DistSamplerSeedHook, EmptyCacheHook, MemoryProfilerHook,
TensorboardLoggerHook, YOLOXModeSwitchHook, SyncNormHook (single process)."""

import importlib.util

import pytest
import torch
from torch.utils.data import DataLoader, DistributedSampler

from detkit.engine import (
    DistSamplerSeedHook,
    EmptyCacheHook,
    Hook,
    IterTimerHook,
    MemoryProfilerHook,
    SyncNormHook,
    TensorboardLoggerHook,
    YOLOXModeSwitchHook,
)

from .._toy import ToyDataset, ToyModel, toy_loader
from ._run import make_runner


def test_iter_timer_logs_time_and_data_time():
    runner = make_runner(epochs=1)
    runner.register_hook(IterTimerHook())
    runner.run([toy_loader(8, 2)], [('train', 1)])
    history = runner.log_buffer.val_history
    times, data_times = history['time'], history['data_time']
    assert len(times) == len(data_times) == 4
    assert all(0 <= d <= t for d, t in zip(data_times, times))


def test_dist_sampler_seed_hook_sets_the_epoch():
    ds = ToyDataset(8)
    sampler = DistributedSampler(ds, num_replicas=2, rank=0, shuffle=True, seed=0)
    seen = []

    class Record(Hook):
        def before_train_epoch(self, runner):
            seen.append(runner.data_loader.sampler.epoch)

    runner = make_runner(epochs=3)
    runner.register_hook(DistSamplerSeedHook())
    runner.register_hook(Record(), 'LOWEST')
    runner.run([DataLoader(ds, batch_size=2, sampler=sampler)], [('train', 1)])
    assert seen == [0, 1, 2]


def test_empty_cache_and_memory_profiler_run(caplog):
    runner = make_runner(epochs=1)
    runner.logger.setLevel('INFO')
    runner.register_hook(EmptyCacheHook(before_epoch=True, after_iter=True))
    runner.register_hook(MemoryProfilerHook(interval=2))
    logged = []
    runner.logger.info = lambda msg, *a: logged.append(msg % a if a else msg)
    runner.run([toy_loader(8, 2)], [('train', 1)])
    mem = [m for m in logged if m.startswith('Memory information')]
    assert len(mem) == 2
    assert 'current_process_memory: ' in mem[0] and ' MB' in mem[0]
    assert int(mem[0].split('current_process_memory: ')[1].split(' MB')[0]) > 10


@pytest.mark.skipif(
    importlib.util.find_spec('tensorboard') is not None,
    reason='checks the message when tensorboard is missing',
)
def test_tensorboard_missing_is_explained(tmp_path):
    runner = make_runner(tmp_path, epochs=1)
    runner.register_hook(TensorboardLoggerHook())
    with pytest.raises(ImportError, match='pip install tensorboard'):
        runner.run([toy_loader()], [('train', 1)])


class MixDataset(ToyDataset):
    skip = None

    def update_skip_type_keys(self, keys):
        self.skip = keys


def test_yolox_mode_switch():
    ds = MixDataset()
    runner = make_runner(epochs=4)
    runner.model.bbox_head.use_l1 = False
    flags = []

    class Record(Hook):
        def before_train_epoch(self, runner):
            flags.append((runner.model.bbox_head.use_l1, ds.skip))

    runner.register_hook(YOLOXModeSwitchHook(num_last_epochs=2, skip_type_keys=('Mosaic',)))
    runner.register_hook(Record(), 'LOWEST')
    runner.run([DataLoader(ds, batch_size=2)], [('train', 1)])
    # switched at the start of epoch max_epochs - num_last_epochs = 2 (1-based)
    assert flags == [(False, None), (True, ('Mosaic',)), (True, ('Mosaic',)), (True, ('Mosaic',))]


def test_sync_norm_switches_to_every_epoch_for_the_last_epochs():
    runner = make_runner(epochs=3)
    hook = SyncNormHook(num_last_epochs=1, interval=3)
    hook.before_train_epoch(runner)
    assert hook.interval == 3
    runner._epoch = 1  # entering epoch 2 = max_epochs - num_last_epochs (1-based)
    hook.before_train_epoch(runner)
    assert hook.interval == 1
    hook.after_train_epoch(runner)  # one process: nothing to average, no error


class EpochModel(ToyModel):
    def set_epoch(self, epoch):
        self.epochs = getattr(self, 'epochs', []) + [epoch]


def test_set_epoch_info_hook():
    from detkit.engine import SetEpochInfoHook

    runner = make_runner(model=EpochModel(), epochs=3)
    runner.register_hook(SetEpochInfoHook())
    runner.run([toy_loader()], [('train', 1)])
    assert runner.model.epochs == [0, 1, 2]
    runner = make_runner(epochs=1)
    runner.register_hook(SetEpochInfoHook())
    with pytest.raises(TypeError, match='set_epoch'):
        runner.run([toy_loader()], [('train', 1)])


class ScaleDataset(ToyDataset):
    scales = []

    def update_dynamic_scale(self, scale):
        self.scales.append(scale)


def test_sync_random_size_hook_keeps_the_aspect_ratio():
    from detkit.engine import SyncRandomSizeHook

    ds = ScaleDataset()
    with pytest.warns(UserWarning, match='deprecated'):
        hook = SyncRandomSizeHook(ratio_range=(10, 12), img_scale=(640, 320), interval=2)
    runner = make_runner(epochs=4)
    runner.register_hook(hook)
    runner.run([DataLoader(ds, batch_size=2)], [('train', 1)])
    assert len(ds.scales) == 2  # after epochs 2 and 4
    for w, h in ds.scales:
        s = w // 32
        assert w == 32 * s and 10 <= s <= 12 and h == 32 * int(s * 0.5)


def test_sync_buffers_hook_single_process_keeps_buffers():
    from detkit.engine import SyncBuffersHook

    runner = make_runner(epochs=1)
    runner.model.register_buffer('stat', torch.tensor([3.0]))
    runner.register_hook(SyncBuffersHook())
    runner.run([toy_loader()], [('train', 1)])
    assert runner.model.stat.item() == 3.0


def test_closure_hook():
    from detkit.engine import ClosureHook

    epochs = []
    runner = make_runner(epochs=2)
    runner.register_hook(ClosureHook('after_train_epoch', lambda r: epochs.append(r.epoch)))
    runner.run([toy_loader()], [('train', 1)])
    assert epochs == [0, 1]
    assert 'after_train_epoch:\n(NORMAL      ) ClosureHook' in runner.get_hook_info()
    with pytest.raises(ValueError, match="did you mean 'after_train_iter'"):
        ClosureHook('after_train_iters', print)
