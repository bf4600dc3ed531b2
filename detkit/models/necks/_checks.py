"""Input checks shared by the necks: a wrong backbone/neck pairing fails by name."""
from __future__ import annotations

from typing import Sequence

import torch


def check_neck_inputs(neck: str, inputs: Sequence[torch.Tensor],
                      in_channels: Sequence[int]) -> None:
    """Raise ``ValueError`` if ``inputs`` do not match ``in_channels`` in number or width.

    Args:
        neck (str): class name, for the message.
        inputs (Sequence[Tensor]): per level ``(B, C_l, H_l, W_l)``.
        in_channels (Sequence[int]): the ``C_l`` the neck was built for.
    """
    if torch.jit.is_tracing():
        # channel counts are fixed by the weights; reading shapes here would only add
        # constants (and warnings) to the trace
        return
    if not isinstance(inputs, (tuple, list)):
        raise TypeError(f'{neck} expects a tuple/list of feature maps (one per level), '
                        f'but got {type(inputs).__name__}')
    got = [int(x.shape[1]) for x in inputs]
    if len(got) != len(in_channels):
        raise ValueError(f'{neck} was built for {len(in_channels)} input levels with '
                         f'in_channels={list(in_channels)}, but got {len(got)} feature maps '
                         f'with channels {got}; check the backbone out_indices against the '
                         f'neck in_channels')
    if got != list(in_channels):
        raise ValueError(f'{neck}: in_channels={list(in_channels)} but the input feature maps '
                         f'have channels {got}; the backbone outputs must match the neck '
                         f'in_channels')
