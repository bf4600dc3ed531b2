"""Small helpers the runner and the hooks share."""

from __future__ import annotations

import ast
from typing import Any, Callable, Optional, Union

import torch
import torch.nn as nn


def to_device(data: Any, device: torch.device) -> Any:
    """Move every tensor inside ``data`` (dicts, lists, tuples, nested) to ``device``.

    Anything that is not a tensor or a container (image metas' strings,
    numbers, numpy arrays) is returned unchanged, so a collated batch
    ``{'img': Tensor(B, C, H, W), 'img_metas': [dict] * B, 'gt_bboxes': [Tensor(N, 4)] * B}``
    keeps its structure.
    """
    if isinstance(data, torch.Tensor):
        # pinned host memory can be copied asynchronously to a GPU
        return data.to(device, non_blocking=device.type == 'cuda')
    if isinstance(data, dict):
        out = data.copy()  # keeps the mapping's type (OrderedDict, ConfigDict, ...)
        for k, v in data.items():
            out[k] = to_device(v, device)
        return out
    if isinstance(data, tuple) and hasattr(data, '_fields'):  # namedtuple
        return type(data)(*(to_device(v, device) for v in data))
    if isinstance(data, (list, tuple)):
        return type(data)(to_device(v, device) for v in data)
    return data


def unwrap_model(model: nn.Module) -> nn.Module:
    """The model inside a DataParallel / DistributedDataParallel wrapper, else ``model``."""
    if isinstance(model, (nn.DataParallel, nn.parallel.DistributedDataParallel)):
        return model.module
    return model


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter (or buffer); CPU for an empty model."""
    for t in model.parameters():
        return t.device
    for t in model.buffers():
        return t.device
    return torch.device('cpu')


def param_group_values(optimizer: Any, value: Callable[[dict], Any]) -> Union[list, dict]:
    """``value(group)`` for every param group; a dict of lists for a dict of optimizers."""
    if isinstance(optimizer, dict):
        return {k: [value(g) for g in o.param_groups] for k, o in optimizer.items()}
    return [value(g) for g in optimizer.param_groups]


def group_momentum(group: dict) -> float:
    """SGD's ``momentum`` or the Adam family's ``betas[0]`` of a param group; 0 if neither."""
    if 'momentum' in group:
        return group['momentum']
    if 'betas' in group:
        return group['betas'][0]
    return 0


def gpu_count_from_config_text(text: Optional[str]) -> Optional[int]:
    """``len(gpu_ids)`` of a dumped config (``gpu_ids = range(0, 8)`` or ``[0, 1]``), else None.

    The text comes from a checkpoint, so it is parsed, never executed: only a
    list/tuple literal or ``range`` with literal arguments is understood.
    """
    if not isinstance(text, str):
        return None
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    for node in tree.body:
        if not (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == 'gpu_ids'
        ):
            continue
        value = node.value
        try:
            if (
                isinstance(value, ast.Call)
                and isinstance(value.func, ast.Name)
                and value.func.id == 'range'
                and not value.keywords
            ):
                count = len(range(*[ast.literal_eval(a) for a in value.args]))
            else:
                count = len(ast.literal_eval(value))
        except (ValueError, TypeError, SyntaxError):
            return None
        return count or None
    return None
