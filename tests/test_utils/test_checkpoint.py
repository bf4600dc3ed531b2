"""load_checkpoint / load_state_dict / _load_checkpoint (local, torchvision://, open-mmlab://)."""
import pickle
import shutil
from collections import OrderedDict

import pytest
import torch
import torch.hub
import torch.nn as nn

from detkit.utils.checkpoint import (
    LoadReport,
    _load_checkpoint,
    get_open_mmlab_url,
    get_torchvision_url,
    load_checkpoint,
    load_state_dict,
)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 1)
        self.bn = nn.BatchNorm2d(3)


def _filled(val):
    net = Net()
    for t in net.state_dict().values():
        if t.is_floating_point():
            t.fill_(val)
    return net


def test_local_file_strips_module_prefix(tmp_path):
    src = _filled(0.5)
    path = tmp_path / 'ckpt.pth'
    torch.save({'meta': {'epoch': 3}, 'state_dict': OrderedDict(
        (f'module.{k}', v) for k, v in src.state_dict().items())}, path)
    net = Net()
    ckpt = load_checkpoint(net, str(path), map_location='cpu', strict=True)
    assert ckpt['meta'] == {'epoch': 3}
    assert torch.equal(net.conv.weight, torch.full((3, 2, 1, 1), 0.5))
    assert torch.equal(net.bn.running_var, torch.full((3,), 0.5))


def test_plain_state_dict_and_revise_keys(tmp_path):
    path = tmp_path / 'plain.pth'
    torch.save({f'backbone.{k}': v for k, v in _filled(2.0).state_dict().items()}, path)
    net = Net()
    load_checkpoint(net, str(path), strict=True, revise_keys=[(r'^backbone\.', '')])
    assert torch.equal(net.conv.bias, torch.full((3,), 2.0))


def test_missing_unexpected_and_mismatch_reported(tmp_path, capsys):
    sd = _filled(1.0).state_dict()
    del sd['conv.bias']
    del sd['bn.num_batches_tracked']  # old checkpoints lack it: not reported
    sd['extra.weight'] = torch.zeros(1)
    sd['head.x'] = torch.zeros(1)
    sd['bn.weight'] = torch.zeros(5)
    net = Net()
    report = load_state_dict(net, sd)
    assert isinstance(report, LoadReport)
    assert report.missing_keys == ['conv.bias']
    assert report.unexpected_keys == ['extra.weight', 'head.x']
    assert report.shape_mismatch == [('bn.weight', (5,), (3,))]
    out = capsys.readouterr().out
    assert 'unexpected key in source state_dict (2): extra.weight, head.x' in out
    assert 'missing keys in source state_dict (1): conv.bias' in out
    assert 'bn.weight: checkpoint (5,) vs model (3,)' in out
    assert torch.equal(net.conv.weight, torch.ones(3, 2, 1, 1))  # the rest is loaded
    path = tmp_path / 'c.pth'
    torch.save(sd, path)
    with pytest.raises(RuntimeError, match='missing keys in source state_dict'):
        load_checkpoint(Net(), str(path), strict=True)


class _Opaque:
    pass


def test_weights_only_by_default(tmp_path):
    path = tmp_path / 'obj.pth'
    torch.save({'state_dict': {}, 'obj': _Opaque()}, path)
    with pytest.raises(pickle.UnpicklingError, match='weights_only=False'):
        _load_checkpoint(str(path))
    assert isinstance(_load_checkpoint(str(path), weights_only=False)['obj'], _Opaque)
    with pytest.raises(FileNotFoundError, match='does not exist'):
        _load_checkpoint(str(tmp_path / 'nope.pth'))


def test_url_resolution():
    assert get_torchvision_url('resnet50') == \
        'https://download.pytorch.org/models/resnet50-0676ba61.pth'
    assert get_open_mmlab_url('detectron2/resnet50_caffe') == \
        'https://download.openmmlab.com/pretrain/third_party/resnet50_msra-5891d200.pth'
    # deprecated alias
    assert get_open_mmlab_url('resnet50_caffe') == get_open_mmlab_url('detectron/resnet50_caffe')
    with pytest.raises(KeyError, match="did you mean 'resnet50'"):
        get_torchvision_url('resnet05')
    with pytest.raises(KeyError, match="did you mean 'regnetx_3.2gf'"):
        get_open_mmlab_url('regnetx_3.2g')


@pytest.fixture
def fake_download(tmp_path, monkeypatch):
    """Serve every URL from a local file; torch.hub caches into tmp_path."""
    src = tmp_path / 'served.pth'
    seen = []

    def download(url, dst, hash_prefix=None, progress=True):
        seen.append(url)
        shutil.copyfile(src, dst)

    monkeypatch.setattr(torch.hub, 'download_url_to_file', download)
    hub_dir = tmp_path / 'hub'
    monkeypatch.setattr(torch.hub, '_hub_dir', str(hub_dir))
    return src, seen, hub_dir


def test_torchvision_scheme_downloads_into_hub_cache(fake_download):
    src, seen, hub_dir = fake_download
    torch.save(_filled(3.0).state_dict(), src)
    net = Net()
    load_checkpoint(net, 'torchvision://resnet50', strict=True)
    assert seen == ['https://download.pytorch.org/models/resnet50-0676ba61.pth']
    assert (hub_dir / 'checkpoints' / 'resnet50-0676ba61.pth').is_file()
    assert torch.equal(net.conv.weight, torch.full((3, 2, 1, 1), 3.0))
    load_checkpoint(Net(), 'torchvision://resnet50')  # cached: no second download
    assert len(seen) == 1


def test_open_mmlab_and_http_schemes(fake_download):
    src, seen, hub_dir = fake_download
    torch.save({'state_dict': _filled(4.0).state_dict()}, src)
    net = Net()
    load_checkpoint(net, 'open-mmlab://detectron2/resnet50_caffe', strict=True)
    assert seen[-1].endswith('/resnet50_msra-5891d200.pth')
    assert torch.equal(net.bn.bias, torch.full((3,), 4.0))
    load_checkpoint(Net(), 'https://example.com/models/x-1234.pth', strict=True)
    assert seen[-1] == 'https://example.com/models/x-1234.pth'
    assert (hub_dir / 'checkpoints' / 'x-1234.pth').is_file()
