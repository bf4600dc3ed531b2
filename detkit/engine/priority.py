"""Hook priorities, with mmcv 1.x's names and values (lower runs first)."""

from __future__ import annotations

from enum import Enum
from typing import Union

from ..utils.suggest import did_you_mean


class Priority(Enum):
    """Hook priority levels: a hook with a smaller value is called earlier."""

    HIGHEST = 0
    VERY_HIGH = 10
    HIGH = 30
    ABOVE_NORMAL = 40
    NORMAL = 50
    BELOW_NORMAL = 60
    LOW = 70
    VERY_LOW = 90
    LOWEST = 100


def get_priority(priority: Union[int, str, Priority]) -> int:
    """The integer value of ``priority``: an int in [0, 100], a level name or a ``Priority``."""
    if isinstance(priority, bool):  # bool is an int; never a meaningful priority
        raise TypeError(f'priority must be an int, a str or a Priority, but got {priority!r}')
    if isinstance(priority, int):
        if not 0 <= priority <= 100:
            raise ValueError(f'priority must be in [0, 100], but got {priority}')
        return priority
    if isinstance(priority, Priority):
        return priority.value
    if isinstance(priority, str):
        name = priority.upper()
        if name not in Priority.__members__:
            names = list(Priority.__members__)
            raise ValueError(
                f'unknown priority {priority!r}{did_you_mean(name, names)}; '
                f'accepted: {", ".join(names)} or an int in [0, 100]'
            )
        return Priority[name].value
    raise TypeError(
        f'priority must be an int, a str or a Priority, but got {type(priority).__name__}'
    )


def priority_name(value: int) -> str:
    """'NORMAL' for 50, ...; the number itself for values between the named levels."""
    names = {p.value: p.name for p in Priority}
    return names.get(value, str(value))
