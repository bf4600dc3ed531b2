"""Private helpers of the core pipeline transforms (loading, geometry, formatting)."""
from __future__ import annotations

from typing import Iterable, Union

from ...utils.suggest import did_you_mean


def require(results: dict, keys: Union[str, Iterable[str]], owner: str) -> None:
    """Raise a ``KeyError`` naming ``owner`` and the first of ``keys`` missing in ``results``."""
    if not isinstance(results, dict):
        raise TypeError(f'{owner} expects a results dict, but got {type(results).__name__}')
    for key in [keys] if isinstance(keys, str) else keys:
        if key not in results:
            raise KeyError(f'{owner} needs the key {key!r} in results, but it is missing'
                           f'{did_you_mean(key, [str(k) for k in results])}; '
                           f'present keys: {sorted(map(str, results))}')


def check_choice(owner: str, name: str, value: str, accepted: Iterable[str]) -> None:
    """Raise a ``ValueError`` naming ``owner.name`` when ``value`` is not accepted."""
    accepted = tuple(accepted)
    if value not in accepted:
        raise ValueError(f'{owner}: {name} must be one of {accepted}, but got {value!r}'
                         f'{did_you_mean(str(value), accepted)}')


def field_keys(results: dict, field: str, owner: str, default=()) -> list:
    """The keys listed in ``results[field]`` (e.g. 'bbox_fields'), each checked to exist;
    ``default`` when ``results`` has no ``field``."""
    if field not in results:
        require(results, default, owner)
        return list(default)
    keys = list(results[field])
    for key in keys:
        if key not in results:
            raise KeyError(f"{owner}: results[{field!r}] lists {key!r}, but results has no "
                           f'{key!r}; present keys: {sorted(map(str, results))}')
    return keys
