"""RegNet: stage widths of every arch, parity with torchvision's RegNetX-400MF."""
import re

import pytest
import torch
import torchvision

from detkit.models import build_backbone
from detkit.models.backbones import RegNet

# stage widths / blocks of the RegNetX models (MMDetection's FPN in_channels for its
# regnet configs)
EXPECTED = {
    'regnetx_400mf': ([32, 64, 160, 384], [1, 2, 7, 12]),
    'regnetx_800mf': ([64, 128, 288, 672], [1, 3, 7, 5]),
    'regnetx_1.6gf': ([72, 168, 408, 912], [2, 4, 10, 2]),
    'regnetx_3.2gf': ([96, 192, 432, 1008], [2, 6, 15, 2]),
    'regnetx_4.0gf': ([80, 240, 560, 1360], [2, 5, 14, 2]),
    'regnetx_6.4gf': ([168, 392, 784, 1624], [2, 4, 10, 1]),
    'regnetx_8.0gf': ([80, 240, 720, 1920], [2, 5, 15, 1]),
    'regnetx_12gf': ([224, 448, 896, 2240], [2, 5, 11, 1]),
}


@pytest.mark.parametrize('arch', list(EXPECTED))
def test_stage_widths(arch):
    with torch.device('meta'):
        m = RegNet(arch)
    assert (m.stage_widths, m.stage_blocks) == EXPECTED[arch]
    assert m.layer4[0].conv3.weight.shape[0] == EXPECTED[arch][0][3]  # expansion 1


def _to_torchvision_key(k):
    k = re.sub(r'^conv1\.', 'stem.0.', k)
    k = re.sub(r'^bn1\.', 'stem.1.', k)
    m = re.match(r'^layer(\d)\.(\d+)\.(.*)$', k)
    if m is None:
        return k
    i, j, rest = m.groups()
    for ours, theirs in (('conv1', 'f.a.0'), ('bn1', 'f.a.1'), ('conv2', 'f.b.0'),
                         ('bn2', 'f.b.1'), ('conv3', 'f.c.0'), ('bn3', 'f.c.1'),
                         ('downsample.0', 'proj.0'), ('downsample.1', 'proj.1')):
        if rest.startswith(ours + '.'):
            rest = theirs + rest[len(ours):]
            break
    return f'trunk_output.block{i}.block{i}-{j}.{rest}'


def test_matches_torchvision_regnet_x_800mf():
    # (not 400mf: torchvision rounds its last width 392 half-up to 400 where pycls and
    # MMDetection round half-to-even to 384)
    torch.manual_seed(0)
    tv = torchvision.models.regnet_x_800mf().eval()
    ours = build_backbone(dict(type='RegNet', arch='regnetx_800mf')).eval()
    tv_sd = tv.state_dict()
    mapped = {k: tv_sd[_to_torchvision_key(k)] for k in ours.state_dict()}
    ours.load_state_dict(mapped, strict=True)
    assert len(mapped) == len([k for k in tv_sd if not k.startswith('fc.')])
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        outs = ours(x)
        y = tv.stem(x)
        ref = []
        for stage in tv.trunk_output:
            y = stage(y)
            ref.append(y)
    for o, r in zip(outs, ref):
        torch.testing.assert_close(o, r, atol=1e-5, rtol=1e-5)


def test_arch_dict_and_errors():
    arch = dict(w0=24, wa=24.48, wm=2.54, group_w=16, depth=22, bot_mul=1.0)
    m = RegNet(arch, out_indices=(3,), frozen_stages=2).train()
    assert m.stage_widths == EXPECTED['regnetx_400mf'][0]
    assert not m.layer2.training and not any(p.requires_grad for p in m.layer2.parameters())
    assert all(p.requires_grad for p in m.layer3.parameters())
    with pytest.raises(KeyError, match="invalid arch 'regnetx_3.2g'.*did you mean "
                                       "'regnetx_3.2gf'.*valid archs: regnetx_400mf"):
        RegNet('regnetx_3.2g')
    with pytest.raises(KeyError, match="missing \\['bot_mul'\\]"):
        RegNet(dict(w0=24, wa=24.48, wm=2.54, group_w=16, depth=22))
    with pytest.raises(ValueError, match='frozen_stages'):
        RegNet('regnetx_400mf', frozen_stages=7)
