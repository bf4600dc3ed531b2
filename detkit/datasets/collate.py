"""collate: a list of pipeline outputs -> one batch of plain tensors and lists."""
from __future__ import annotations

import math
from typing import Any, Optional, Sequence

import torch

#: keys stacked into one padded tensor, with their padding value
_STACKED = {'img': 0, 'gt_semantic_seg': 255}


def pad_stack(tensors: Sequence[torch.Tensor], pad_value: float = 0,
              pad_size_divisor: Optional[int] = None) -> torch.Tensor:
    """Stack (..., H_i, W_i) tensors into (B, ..., H, W), padding bottom-right.

    H, W are the largest H_i, W_i, rounded up to a multiple of
    ``pad_size_divisor`` if given.
    """
    if not tensors:
        raise ValueError('pad_stack got no tensors')
    lead = tensors[0].shape[:-2]
    for i, t in enumerate(tensors):
        if t.shape[:-2] != lead:
            raise ValueError(f'cannot batch tensors of shapes {tuple(tensors[0].shape)} and '
                             f'{tuple(t.shape)} (sample {i}): only H and W may differ')
    h = max(t.shape[-2] for t in tensors)
    w = max(t.shape[-1] for t in tensors)
    if pad_size_divisor:
        h = int(math.ceil(h / pad_size_divisor)) * pad_size_divisor
        w = int(math.ceil(w / pad_size_divisor)) * pad_size_divisor
    shape = (len(tensors), *lead, h, w)
    first = tensors[0]
    if torch.utils.data.get_worker_info() is not None:
        # in a loader worker, write the batch straight into shared memory: it then
        # crosses to the main process without another copy (as default_collate does)
        numel = math.prod(shape)
        storage = first._typed_storage()._new_shared(numel, device=first.device)
        out = first.new(storage).resize_(shape)
    else:
        out = first.new_empty(shape)
    if all(t.shape[-2:] == (h, w) for t in tensors):
        return torch.stack(list(tensors), out=out)
    out.fill_(pad_value)
    for i, t in enumerate(tensors):  # one copy per image, straight into its slot
        out[i, ..., :t.shape[-2], :t.shape[-1]] = t
    return out


def _merge(values: list, key: str, pad_size_divisor: Optional[int]) -> Any:
    if key in _STACKED and values and all(isinstance(v, torch.Tensor) for v in values):
        return pad_stack(values, _STACKED[key], pad_size_divisor)
    return values


def collate(batch: Sequence[dict], samples_per_gpu: int = 1,
            pad_size_divisor: Optional[int] = None) -> dict:
    """Batch pipeline outputs without DataContainer.

    Args:
        batch (Sequence[dict]): B samples, e.g. ``{'img': Tensor(C, H_i, W_i),
            'img_metas': dict, 'gt_bboxes': Tensor(N_i, 4), ...}``. Test-time
            augmentation samples hold lists: ``{'img': [Tensor]*A, 'img_metas': [dict]*A}``.
        samples_per_gpu (int): accepted for MMDetection's signature; one batch is
            returned whatever its value (no scatter across GPUs).
        pad_size_divisor (int, optional): pad H and W up to a multiple of it.

    Returns:
        dict: ``img`` Tensor(B, C, H, W) padded with 0 at the bottom-right,
        ``gt_semantic_seg`` likewise padded with 255, every other key a list of
        B values. With test-time augmentation: ``img`` a list of A tensors
        (B, C, H, W) and ``img_metas`` a list of A lists of B dicts.
    """
    if not batch:
        raise ValueError('collate got an empty batch')
    if not isinstance(batch[0], dict):
        return torch.utils.data.default_collate(list(batch))
    keys = list(batch[0])
    for i, b in enumerate(batch):
        if list(b) != keys:
            raise KeyError(f'collate: sample {i} has keys {sorted(b)}, sample 0 has '
                           f'{sorted(keys)}; every sample must have the same keys')
    tta = isinstance(batch[0].get('img'), list)
    out = {}
    for key in keys:
        values = [b[key] for b in batch]
        if tta and isinstance(values[0], list):
            n_aug = len(values[0])
            if any(len(v) != n_aug for v in values):
                raise ValueError(f'collate: samples hold different numbers of test-time '
                                 f'augmentations for {key!r}: {[len(v) for v in values]}')
            out[key] = [_merge([v[a] for v in values], key, pad_size_divisor)
                        for a in range(n_aug)]
        else:
            out[key] = _merge(values, key, pad_size_divisor)
    return out
