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
