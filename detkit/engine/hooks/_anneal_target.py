"""The end point of annealing schedules: ``min_lr`` or ``min_lr_ratio * base_lr``."""

from __future__ import annotations

from typing import Optional


def check_min_lr(
    name: str, min_lr: Optional[float], min_lr_ratio: Optional[float], prefix: str = 'min_lr'
) -> None:
    """Exactly one of ``min_lr`` and ``min_lr_ratio`` must be given."""
    if (min_lr is None) == (min_lr_ratio is None):
        raise ValueError(
            f'{name}: set exactly one of {prefix} and {prefix}_ratio, but got '
            f'{prefix}={min_lr}, {prefix}_ratio={min_lr_ratio}'
        )


def target_value(base: float, min_value: Optional[float], min_ratio: Optional[float]) -> float:
    return base * min_ratio if min_ratio is not None else min_value  # type: ignore[return-value]
