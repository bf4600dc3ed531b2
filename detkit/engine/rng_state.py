"""Capturing and restoring the global random number generators for exact resumption.

States are stored as tensors and plain containers, so a checkpoint holding
them still loads with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import random

import numpy as np
import torch


def get_rng_state() -> dict:
    """The states of python's ``random``, numpy's and torch's (CPU and CUDA) global RNGs."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    version, internal, gauss_next = random.getstate()
    state = {
        'python': [version, list(internal), gauss_next],
        'numpy': {
            'kind': kind,
            'keys': torch.from_numpy(keys.astype(np.int64)),
            'pos': int(pos),
            'has_gauss': int(has_gauss),
            'cached_gaussian': float(cached),
        },
        'torch': torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    """Restore the states written by :func:`get_rng_state` (missing parts are left alone)."""
    if 'python' in state:
        version, internal, gauss_next = state['python']
        random.setstate((version, tuple(internal), gauss_next))
    if 'numpy' in state:
        s = state['numpy']
        np.random.set_state(
            (
                s['kind'],
                s['keys'].numpy().astype(np.uint32),
                s['pos'],
                s['has_gauss'],
                s['cached_gaussian'],
            )
        )
    if 'torch' in state:
        torch.set_rng_state(state['torch'].cpu())
    if 'cuda' in state and torch.cuda.is_available():
        cuda_states = state['cuda']
        if len(cuda_states) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all([s.cpu() for s in cuda_states])
