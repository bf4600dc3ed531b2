"""Helpers shared by the ResNet blocks: dcn guard, plugins, checkpointed forward."""
from __future__ import annotations

from typing import Callable, Optional

import torch
import torch.nn as nn
import torch.utils.checkpoint as cp

from ..layers.plugin import build_plugin_layer

_PLUGIN_POSITIONS = ('after_conv1', 'after_conv2', 'after_conv3')


def check_no_dcn(owner: str, dcn: Optional[dict]) -> None:
    """Deformable convolution is not available in detkit; say so instead of ignoring it."""
    if dcn is not None:
        raise ValueError(
            f'{owner}: dcn={dcn!r} is not supported — detkit has no deformable convolution '
            f'op; use dcn=None (and stage_with_dcn all False)')


def build_block_plugins(block: nn.Module, plugins: Optional[list], channels: dict) -> dict:
    """Add the plugins of every position to ``block``; return position -> names.

    Args:
        plugins (list[dict]): each ``dict(cfg=dict(type=...), position=...)``.
        channels (dict): position -> input channels of the plugin.
    """
    names: dict[str, list[str]] = {p: [] for p in _PLUGIN_POSITIONS}
    for plugin in plugins or []:
        pos = plugin.get('position')
        if pos not in channels:
            raise ValueError(f'{type(block).__name__}: plugin position must be one of '
                             f'{tuple(channels)}, but got {pos!r}')
        cfg = dict(plugin['cfg'])
        postfix = cfg.pop('postfix', '')
        name, layer = build_plugin_layer(cfg, in_channels=channels[pos], postfix=postfix)
        if hasattr(block, name):
            raise ValueError(f'{type(block).__name__}: duplicate plugin name {name!r}; '
                             f'give the plugins different "postfix"es')
        block.add_module(name, layer)
        names[pos].append(name)
    return names


def run_plugins(block: nn.Module, x: torch.Tensor, names: list) -> torch.Tensor:
    for name in names:
        x = getattr(block, name)(x)
    return x


def maybe_checkpoint(fn: Callable, x: torch.Tensor, with_cp: bool) -> torch.Tensor:
    """Run ``fn(x)``, recomputing it in backward (saving memory) when ``with_cp``."""
    if with_cp and x.requires_grad:
        return cp.checkpoint(fn, x, use_reentrant=False)
    return fn(x)
