"""``make_divisible``: round channel counts to a multiple of a divisor (MobileNet rule)."""
from __future__ import annotations

from typing import Optional


def make_divisible(value: float, divisor: int, min_value: Optional[int] = None,
                   min_ratio: float = 0.9) -> int:
    """The multiple of ``divisor`` nearest to ``value``, at least ``min_value``
    (default ``divisor``) and not below ``min_ratio * value``."""
    if min_value is None:
        min_value = divisor
    new_value = max(min_value, int(value + divisor / 2) // divisor * divisor)
    # rounding down must not remove more than (1 - min_ratio) of the channels
    if new_value < min_ratio * value:
        new_value += divisor
    return new_value
