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


def as_scale_list(img_scale, owner: str) -> list:
    """``img_scale`` as a list of (a, b) tuples.

    Accepts MMDetection's forms — a tuple or a list of tuples — and the lists
    that YAML / JSON configs give for them: ``[a, b]`` and ``[[a, b], ...]``.
    """
    def is_pair(s) -> bool:
        return (isinstance(s, (tuple, list)) and len(s) == 2
                and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in s))

    if is_pair(img_scale):
        return [tuple(img_scale)]
    if isinstance(img_scale, (list, tuple)) and img_scale and all(is_pair(s) for s in img_scale):
        return [tuple(s) for s in img_scale]
    raise TypeError(f'{owner}: img_scale must be a tuple (a, b) or a list of them, but got '
                    f'{img_scale!r}')
