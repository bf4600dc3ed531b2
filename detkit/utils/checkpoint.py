"""Loading checkpoints into models: ``load_checkpoint`` and friends (mmcv 1.x API).

A ``filename`` may be a local path, ``torchvision://<name>`` (torchvision's
ImageNet weights, e.g. ``torchvision://resnet50``), ``open-mmlab://<name>``
(OpenMMLab's pretrain zoo, e.g. ``open-mmlab://detectron2/resnet50_caffe``) or an
``http(s)://`` URL; URLs are downloaded once into torch.hub's cache
(``torch.hub.get_dir()/checkpoints``). Files are read with
``torch.load(weights_only=True)`` unless the caller passes ``weights_only=False``
for a file they trust.
"""
from __future__ import annotations

import logging
import os.path as osp
import pickle
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Optional, Union

import torch
import torch.nn as nn

from .logging import print_log
from .suggest import did_you_mean

# OpenMMLab's pretrain zoo (mmcv's model_zoo/open_mmlab.json, the entries
# detection configs use).
_OPEN_MMLAB_PREFIX = 'https://download.openmmlab.com/pretrain/third_party/'
OPEN_MMLAB_URLS = {
    'vgg16_caffe': 'vgg16_caffe-292e1171.pth',
    'detectron/resnet50_caffe': 'resnet50_caffe-788b5fa3.pth',
    'detectron2/resnet50_caffe': 'resnet50_msra-5891d200.pth',
    'detectron/resnet101_caffe': 'resnet101_caffe-3ad79236.pth',
    'detectron2/resnet101_caffe': 'resnet101_msra-6cc46731.pth',
    'detectron2/resnext101_32x8d': 'resnext101_32x8d-1516f1aa.pth',
    'resnext50_32x4d': 'resnext50-32x4d-0ab1a123.pth',
    'resnext101_32x4d': 'resnext101_32x4d-a5af3160.pth',
    'resnext101_64x4d': 'resnext101_64x4d-ee2c6f71.pth',
    'contrib/resnet50_gn': 'resnet50_gn_thangvubk-ad1730dd.pth',
    'detectron/resnet50_gn': 'resnet50_gn-9186a21c.pth',
    'detectron/resnet101_gn': 'resnet101_gn-cac0ab98.pth',
    'jhu/resnet50_gn_ws': 'resnet50_gn_ws-15beedd8.pth',
    'jhu/resnet101_gn_ws': 'resnet101_gn_ws-3e3c308c.pth',
    'jhu/resnext50_32x4d_gn_ws': 'resnext50_32x4d_gn_ws-0d87ac85.pth',
    'jhu/resnext101_32x4d_gn_ws': 'resnext101_32x4d_gn_ws-34ac1a9e.pth',
    'jhu/resnext50_32x4d_gn': 'resnext50_32x4d_gn-c7e8b754.pth',
    'jhu/resnext101_32x4d_gn': 'resnext101_32x4d_gn-ac3bb84e.pth',
    'msra/hrnetv2_w18_small': 'hrnetv2_w18_small-b5a04e21.pth',
    'msra/hrnetv2_w18': 'hrnetv2_w18-00eb2006.pth',
    'msra/hrnetv2_w32': 'hrnetv2_w32-dc9eeb4f.pth',
    'msra/hrnetv2_w40': 'hrnetv2_w40-ed0b031c.pth',
    'msra/hrnetv2_w48': 'hrnetv2_w48-d2186c55.pth',
    'res2net101_v1d_26w_4s': 'res2net101_v1d_26w_4s_mmdetv2-f0a600f9.pth',
    'regnetx_400mf': 'regnetx_400mf-a5b10d96.pth',
    'regnetx_800mf': 'regnetx_800mf-1f4be4c7.pth',
    'regnetx_1.6gf': 'regnetx_1.6gf-5791c176.pth',
    'regnetx_3.2gf': 'regnetx_3.2gf-c2599b0f.pth',
    'regnetx_4.0gf': 'regnetx_4.0gf-a88f671e.pth',
    'regnetx_6.4gf': 'regnetx_6.4gf-006af45d.pth',
    'regnetx_8.0gf': 'regnetx_8.0gf-3c68abe7.pth',
    'regnetx_12gf': 'regnetx_12gf-4c2a3350.pth',
    'resnet18_v1c': 'resnet18_v1c-b5776b93.pth',
    'resnet50_v1c': 'resnet50_v1c-2cccc1ad.pth',
    'resnet101_v1c': 'resnet101_v1c-e67eebb6.pth',
    'resnest50': 'resnest50_d2-7497a55b.pth',
    'resnest101': 'resnest101_d2-f3b931b2.pth',
    'resnest200': 'resnest200_d2-ca88e41f.pth',
    'darknet53': 'darknet53-a628ea1b.pth',
}
# old names mmcv still accepts, with a warning
OPEN_MMLAB_DEPRECATED = {
    'resnet50_caffe': 'detectron/resnet50_caffe',
    'resnet50_caffe_bgr': 'detectron2/resnet50_caffe',
    'resnet101_caffe': 'detectron/resnet101_caffe',
    'resnet101_caffe_bgr': 'detectron2/resnet101_caffe',
}


@dataclass
class LoadReport:
    """What did not fit when a state dict was loaded.

    ``missing_keys`` ignores BatchNorm's ``num_batches_tracked`` (old
    checkpoints lack it; it does not change results).
    """

    missing_keys: list = field(default_factory=list)
    unexpected_keys: list = field(default_factory=list)
    shape_mismatch: list = field(default_factory=list)  # (key, ckpt shape, model shape)

    def message(self) -> str:
        parts = []
        if self.unexpected_keys:
            parts.append(f'unexpected key in source state_dict ({len(self.unexpected_keys)}): '
                         + ', '.join(self.unexpected_keys))
        if self.missing_keys:
            parts.append(f'missing keys in source state_dict ({len(self.missing_keys)}): '
                         + ', '.join(self.missing_keys))
        if self.shape_mismatch:
            parts.append(f'size mismatch ({len(self.shape_mismatch)}): ' + '; '.join(
                f'{k}: checkpoint {tuple(a)} vs model {tuple(b)}'
                for k, a, b in self.shape_mismatch))
        return '\n'.join(parts)

    def __bool__(self) -> bool:
        return bool(self.missing_keys or self.unexpected_keys or self.shape_mismatch)


def get_torchvision_url(name: str) -> str:
    """The URL of torchvision's ImageNet weights for model ``name`` (e.g. 'resnet50').

    These are the weights mmcv means by ``torchvision://name``: the first
    (``IMAGENET1K_V1``) release, else the default weights.
    """
    from torchvision.models import get_model_weights, list_models
    names = list_models()
    if name not in names:
        raise KeyError(f'torchvision://{name}: {name!r} is not a torchvision model'
                       f'{did_you_mean(name, names)}')
    weights = get_model_weights(name)
    chosen = getattr(weights, 'IMAGENET1K_V1', None) or weights.DEFAULT
    return chosen.url


def get_open_mmlab_url(name: str) -> str:
    """The URL of ``open-mmlab://name`` (deprecated names are mapped, with a warning)."""
    if name in OPEN_MMLAB_DEPRECATED:
        new = OPEN_MMLAB_DEPRECATED[name]
        print_log(f'open-mmlab://{name} is deprecated in favor of open-mmlab://{new}',
                  logger='detkit', level=logging.WARNING)
        name = new
    if name not in OPEN_MMLAB_URLS:
        raise KeyError(f'open-mmlab://{name}: unknown model name'
                       f'{did_you_mean(name, OPEN_MMLAB_URLS)}; known names: '
                       f'{", ".join(OPEN_MMLAB_URLS)}')
    return _OPEN_MMLAB_PREFIX + OPEN_MMLAB_URLS[name]


def _torch_load(filename: str, map_location: Any, weights_only: bool) -> Any:
    try:
        return torch.load(filename, map_location=map_location, weights_only=weights_only)
    except pickle.UnpicklingError as e:
        if not weights_only:
            raise
        raise pickle.UnpicklingError(
            f'{filename} holds objects other than tensors and plain containers, so it '
            f'cannot be read with weights_only=True. If you trust the file, pass '
            f'weights_only=False. ({e})') from e


def _dist_info() -> tuple[int, int]:
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def load_from_http(url: str, map_location: Any = None, model_dir: Optional[str] = None,
                   weights_only: bool = True) -> Any:
    """Download ``url`` into torch.hub's cache (once) and load it.

    Under ``torch.distributed`` rank 0 downloads first and the other ranks read
    the cached file after a barrier, so the file is fetched once per machine.
    """
    def fetch() -> Any:
        return torch.hub.load_state_dict_from_url(url, model_dir=model_dir,
                                                  map_location=map_location,
                                                  weights_only=weights_only)

    rank, world_size = _dist_info()
    checkpoint = fetch() if rank == 0 else None
    if world_size > 1:
        import torch.distributed as dist
        dist.barrier()
        if rank > 0:
            checkpoint = fetch()
    return checkpoint


def _load_checkpoint(filename: str, map_location: Any = None, logger: Any = None,
                     weights_only: bool = True) -> Any:
    """Load a checkpoint (local path, torchvision://, open-mmlab://, http(s)://).

    Returns:
        dict | OrderedDict: what the file holds (a state dict, or a dict with
        ``state_dict``, ``meta``, ...).
    """
    if not isinstance(filename, str):
        raise TypeError(f'checkpoint filename must be a str, but got {type(filename).__name__}')
    if filename.startswith('modelzoo://'):
        print_log('modelzoo:// is deprecated, use torchvision:// instead', logger,
                  level=logging.WARNING)
        filename = 'torchvision://' + filename[len('modelzoo://'):]
    if filename.startswith('torchvision://'):
        url = get_torchvision_url(filename[len('torchvision://'):])
        return load_from_http(url, map_location, weights_only=weights_only)
    if filename.startswith(('open-mmlab://', 'openmmlab://')):
        url = get_open_mmlab_url(filename.split('://', 1)[1])
        return load_from_http(url, map_location, weights_only=weights_only)
    if filename.startswith(('http://', 'https://')):
        return load_from_http(filename, map_location, weights_only=weights_only)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint file {filename!r} does not exist (accepted: a '
                                f'local file, torchvision://, open-mmlab://, http(s)://)')
    return _torch_load(filename, map_location, weights_only)


def _load_checkpoint_with_prefix(prefix: str, filename: str, map_location: Any = None,
                                 weights_only: bool = True) -> OrderedDict:
    """The part of a checkpoint's state dict under ``prefix``, with ``prefix`` removed."""
    checkpoint = _load_checkpoint(filename, map_location, weights_only=weights_only)
    state_dict = checkpoint.get('state_dict', checkpoint)
    if not prefix.endswith('.'):
        prefix += '.'
    out = OrderedDict((k[len(prefix):], v) for k, v in state_dict.items()
                      if k.startswith(prefix))
    if not out:
        heads = sorted({k.split('.', 1)[0] + '.' for k in state_dict})
        raise KeyError(f'prefix {prefix!r} is not in the checkpoint {filename}'
                       f'{did_you_mean(prefix, heads)}; its top-level prefixes: '
                       f'{", ".join(heads)}')
    return out


def load_state_dict(module: nn.Module, state_dict: dict, strict: bool = False,
                    logger: Any = None) -> LoadReport:
    """Load ``state_dict`` into ``module`` and report what did not fit.

    Unlike ``nn.Module.load_state_dict`` with ``strict=False``, a tensor whose
    shape differs is skipped and reported rather than raising.

    Args:
        module (nn.Module): the model (a DataParallel/DDP wrapper is unwrapped).
        state_dict (dict): name -> tensor.
        strict (bool): raise ``RuntimeError`` if anything does not fit.
        logger: where the report goes (Logger, name, 'silent' or None = print).

    Returns:
        LoadReport: missing keys, unexpected keys and shape mismatches.
    """
    if isinstance(module, (nn.DataParallel, nn.parallel.DistributedDataParallel)):
        module = module.module
    own = module.state_dict()
    report = LoadReport()
    to_load = OrderedDict()
    for k, v in state_dict.items():
        if k not in own:
            report.unexpected_keys.append(k)
        elif isinstance(v, torch.Tensor) and v.shape != own[k].shape:
            report.shape_mismatch.append((k, tuple(v.shape), tuple(own[k].shape)))
        else:
            to_load[k] = v
    report.missing_keys = [k for k in own if k not in state_dict
                           and not k.endswith('num_batches_tracked')]
    metadata = getattr(state_dict, '_metadata', None)
    if metadata is not None:
        to_load._metadata = metadata  # type: ignore[attr-defined]
    module.load_state_dict(to_load, strict=False)
    if report:
        msg = ('The model and loaded state dict do not match exactly\n'
               f'{report.message()}')
        if strict:
            raise RuntimeError(msg)
        print_log(msg, logger, level=logging.WARNING)
    return report


def load_checkpoint(model: nn.Module, filename: str, map_location: Any = None,
                    strict: bool = False, logger: Any = None,
                    revise_keys: list = [(r'^module\.', '')],  # noqa: B006 (mmcv's default)
                    weights_only: bool = True) -> Union[dict, OrderedDict]:
    """Load a checkpoint into ``model``.

    Args:
        model (nn.Module): the model.
        filename (str): local path, ``torchvision://``, ``open-mmlab://`` or http(s) URL.
        map_location: passed to ``torch.load``.
        strict (bool): raise if keys or shapes do not match.
        logger: where the mismatch report goes.
        revise_keys (list[tuple[str, str]]): ``(pattern, replacement)`` regexes
            applied to every key; the default strips DataParallel's ``module.``.
        weights_only (bool): ``torch.load``'s safe mode; set False only for
            files you trust.

    Returns:
        dict | OrderedDict: the loaded checkpoint.
    """
    checkpoint = _load_checkpoint(filename, map_location, logger, weights_only=weights_only)
    if not isinstance(checkpoint, dict):
        raise RuntimeError(f'No state_dict found in checkpoint file {filename}: it holds a '
                           f'{type(checkpoint).__name__}')
    state_dict = checkpoint['state_dict'] if 'state_dict' in checkpoint else checkpoint
    metadata = getattr(state_dict, '_metadata', OrderedDict())
    for pattern, repl in revise_keys:
        state_dict = OrderedDict((re.sub(pattern, repl, k), v) for k, v in state_dict.items())
    state_dict._metadata = metadata  # type: ignore[attr-defined]
    load_state_dict(model, state_dict, strict, logger)
    return checkpoint
