"""detkit.apis.inference: init_detector, inference_detector, show_result_pyplot,
load_detector_weights (checkpoint safety and architecture mismatch)."""
import os.path as osp
import pickle

import numpy as np
import pytest
import torch

from detkit.apis import inference_detector, init_detector, show_result_pyplot
from detkit.datasets import SHAPE_CLASSES
from detkit.engine import save_checkpoint
from detkit.structures.image_io import imread

from ._tiny import make_data, tiny_config


@pytest.fixture(scope='module')
def data_dir(tmp_path_factory):
    return make_data(str(tmp_path_factory.mktemp('apis_data')))


@pytest.fixture(scope='module')
def trained_ckpt(data_dir, tmp_path_factory):
    """A checkpoint whose weights differ from a fresh init (so loading is observable)."""
    torch.manual_seed(1)
    model = init_detector(tiny_config(data_dir), device='cpu')
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.01 * torch.randn_like(p))
    model.CLASSES = ('a', 'b', 'c', 'd', 'e', 'f')
    path = str(tmp_path_factory.mktemp('ckpt') / 'model.pth')
    save_checkpoint(model, path)
    return path, {k: v.clone() for k, v in model.state_dict().items()}


def _val_images(data_dir):
    folder = osp.join(data_dir, 'val2017')
    import os
    return [osp.join(folder, f) for f in sorted(os.listdir(folder))]


def test_init_detector_classes_from_dataset_and_checkpoint(data_dir, trained_ckpt):
    cfg = tiny_config(data_dir)
    model = init_detector(cfg, device='cpu')
    assert model.CLASSES == tuple(SHAPE_CLASSES)  # the config's data.test.classes
    assert model.cfg is cfg and not model.training
    path, state = trained_ckpt
    model = init_detector(cfg, path, device='cpu')
    assert model.CLASSES == ('a', 'b', 'c', 'd', 'e', 'f')  # the checkpoint meta wins
    for k, v in model.state_dict().items():
        assert torch.equal(v, state[k]), k


def test_init_detector_from_path_with_cfg_options(data_dir):
    from ._tiny import CONFIG, tiny_options
    model = init_detector(CONFIG, device='cpu', cfg_options=tiny_options(data_dir))
    assert model.backbone.conv1.out_channels == 16  # base_channels applied
    assert model.bbox_head.test_cfg['score_thr'] == 0.0


def test_inference_path_array_and_batch_agree(data_dir, trained_ckpt):
    model = init_detector(tiny_config(data_dir), trained_ckpt[0], device='cpu')
    paths = _val_images(data_dir)[:2]
    one = inference_detector(model, paths[0])
    assert isinstance(one, list) and len(one) == len(SHAPE_CLASSES)
    assert all(r.dtype == np.float32 and r.ndim == 2 and r.shape[1] == 5 for r in one)
    assert sum(len(r) for r in one) > 0
    from_array = inference_detector(model, imread(paths[0]))
    batch = inference_detector(model, paths)
    assert isinstance(batch, list) and len(batch) == 2
    for a, b, c in zip(one, from_array, batch[0]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-4)
        np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-4)
    # boxes are in original-image pixels (rescale=True)
    h, w = imread(paths[0]).shape[:2]
    boxes = np.concatenate(one)
    assert (boxes[:, [0, 2]] <= w + 1e-3).all() and (boxes[:, [1, 3]] <= h + 1e-3).all()


def test_inference_errors(data_dir):
    model = init_detector(tiny_config(data_dir), device='cpu')
    with pytest.raises(FileNotFoundError, match='nope.jpg'):
        inference_detector(model, 'nope.jpg')
    assert inference_detector(model, []) == []
    del model.cfg
    with pytest.raises(AttributeError, match='init_detector'):
        inference_detector(model, np.zeros((8, 8, 3), np.uint8))


def test_missing_checkpoint_is_named(data_dir):
    with pytest.raises(FileNotFoundError, match='no/such.pth'):
        init_detector(tiny_config(data_dir), 'no/such.pth', device='cpu')


def test_checkpoint_of_another_architecture_lists_keys_with_counts(data_dir, tmp_path):
    cfg = tiny_config(data_dir)
    model = init_detector(cfg, device='cpu')
    other = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))
    path = str(tmp_path / 'other.pth')
    torch.save({'state_dict': other.state_dict(), 'meta': {}}, path)
    n_missing = len([k for k in model.state_dict() if not k.endswith('num_batches_tracked')])
    n_unexpected = len(other.state_dict())
    with pytest.raises(RuntimeError) as e:
        init_detector(cfg, path, device='cpu')
    msg = str(e.value)
    assert f'{n_missing} missing keys' in msg and f'{n_unexpected} unexpected keys' in msg
    assert 'backbone.conv1.weight' in msg and 'another architecture' in msg


def test_shape_mismatch_is_refused(data_dir, tmp_path):
    cfg = tiny_config(data_dir)
    state = init_detector(cfg, device='cpu').state_dict()
    state['bbox_head.conv_cls.weight'] = torch.zeros(3, 16, 3, 3)  # 3 classes, not 6
    path = str(tmp_path / 'mismatch.pth')
    torch.save({'state_dict': state}, path)
    with pytest.raises(RuntimeError, match=r'1 size mismatches \[bbox_head.conv_cls.weight\]'):
        init_detector(cfg, path, device='cpu')


class _Arbitrary:
    """Not a tensor or a plain container: weights_only loading must refuse it."""


def test_pickled_objects_refused_unless_opted_out(data_dir, trained_ckpt, tmp_path):
    path, state = trained_ckpt
    ckpt = torch.load(path, weights_only=True)
    ckpt['meta']['payload'] = _Arbitrary()
    evil = str(tmp_path / 'evil.pth')
    torch.save(ckpt, evil)
    cfg = tiny_config(data_dir)
    with pytest.raises(pickle.UnpicklingError) as e:
        init_detector(cfg, evil, device='cpu')
    assert 'weights_only=False' in str(e.value) and '--unsafe-load' in str(e.value)
    assert '_Arbitrary' in str(e.value)
    model = init_detector(cfg, evil, device='cpu', weights_only=False)
    assert torch.equal(model.state_dict()['bbox_head.conv_reg.weight'],
                       state['bbox_head.conv_reg.weight'])


def test_show_result_pyplot_writes_drawing(data_dir, tmp_path):
    model = init_detector(tiny_config(data_dir), device='cpu')
    img = np.full((40, 60, 3), 255, np.uint8)
    result = [np.zeros((0, 5), np.float32) for _ in SHAPE_CLASSES]
    result[2] = np.array([[10, 5, 30, 25, 0.9]], np.float32)
    out = str(tmp_path / 'vis' / 'drawn.png')
    drawn = show_result_pyplot(model, img, result, score_thr=0.3, out_file=out)
    written = imread(out)
    assert written.shape == img.shape and np.array_equal(written, drawn)
    assert (drawn[5:26, 10] != 255).any()  # the box's left edge is drawn
    assert (drawn[35:, 45:] == 255).all()  # far from the box nothing changes
    # below the threshold nothing is drawn
    result[2][0, 4] = 0.1
    assert (show_result_pyplot(model, img, result, score_thr=0.3, out_file=out) == 255).all()
