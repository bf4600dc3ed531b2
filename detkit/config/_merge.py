"""Recursive merge of a child config into its base (MMCV ``_merge_a_into_b``).

Rules: a child dict merges into a base dict key by key; any other child value
(including lists) replaces the base value; ``_delete_=True`` in a child dict
replaces the base dict instead of merging into it. With ``allow_list_keys``
(used by ``--cfg-options``), digit keys index into base lists and tuples.
"""

from __future__ import annotations

from typing import Any

from ._source import ConfigSource, format_path, get_source, set_source
from .config_dict import ConfigDict

DELETE_KEY = '_delete_'
_MISSING = object()


def merge_into(child: dict, base: Any, allow_list_keys: bool = False, path: tuple = ()) -> Any:
    """Return ``base`` updated by ``child``; neither input is modified.

    Args:
        child: the overriding dict (keys may be dotted-path components).
        base: a dict, or with ``allow_list_keys`` a list/tuple.
        allow_list_keys: let digit keys of ``child`` index into lists.
        path: key path of ``base`` inside the whole config (for messages).

    Raises:
        KeyError: a list index out of range, or a non-digit key on a list.
        TypeError: a child dict over a base value that is not a dict.
    """
    if isinstance(base, (list, tuple)):
        return _merge_into_sequence(child, base, allow_list_keys, path)
    out = base.copy() if isinstance(base, ConfigDict) else ConfigDict(base)
    for key, value in child.items():
        if key == DELETE_KEY:
            continue
        old = out[key] if key in out else _MISSING
        dict.__setitem__(out, key, _merge_value(value, old, allow_list_keys, path + (key,)))
    child_src = get_source(child)
    if child_src is not None and ('type' in child or get_source(out) is None):
        # The file that (re)sets `type` is the one an error should point to.
        set_source(out, child_src)
    return out


def _merge_into_sequence(child: dict, base: Any, allow_list_keys: bool, path: tuple) -> Any:
    where = format_path(path)
    items = list(base)
    for key, value in child.items():
        if key == DELETE_KEY:
            continue
        if not (allow_list_keys and isinstance(key, str) and key.isdigit()):
            raise KeyError(
                f"cannot set key '{key}' under '{where}': '{where}' is a "
                f'{type(base).__name__} of {len(items)} items, so the next key must be '
                f'an index (0..{len(items) - 1})'
            )
        index = int(key)
        if index >= len(items):
            raise KeyError(
                f"index {index} is out of range for '{where}' "
                f'(a {type(base).__name__} of {len(items)} items) when setting '
                f"'{format_path(path + (index,))}'"
            )
        items[index] = _merge_value(value, items[index], allow_list_keys, path + (index,))
    if isinstance(base, tuple) and hasattr(base, '_fields'):
        return type(base)(*items)
    return type(base)(items)


def _merge_value(value: Any, old: Any, allow_list_keys: bool, path: tuple) -> Any:
    if not isinstance(value, dict):
        return value
    if old is _MISSING or value.get(DELETE_KEY, False):
        return strip_delete(value)
    mergeable = (dict, list, tuple) if allow_list_keys else (dict,)
    if isinstance(old, mergeable):
        return merge_into(value, old, allow_list_keys, path)
    where = format_path(path)
    raise TypeError(
        f"'{where}' cannot be merged: it is a dict in the child config ({dict(value)!r}) "
        f'but a {type(old).__name__} ({old!r}) in the base config. Set '
        f'`{DELETE_KEY}=True` in the child dict to replace the base value.'
    )


def strip_delete(value: Any) -> Any:
    """A ConfigDict copy of ``value`` with every ``_delete_`` key removed."""
    if isinstance(value, dict):
        out = ConfigDict()
        set_source(out, get_source(value))
        for k, v in value.items():
            if k != DELETE_KEY:
                dict.__setitem__(out, k, strip_delete(v))
        return out
    if isinstance(value, (list, tuple)) and not hasattr(value, '_fields'):
        return type(value)(strip_delete(v) for v in value)
    return value


def to_tree(obj: Any, filename: str | None) -> Any:
    """Copy ``obj`` with every dict as a ConfigDict tagged with ``filename``.

    Dicts that already carry a source (values taken from a base config) keep
    their file.
    """
    if isinstance(obj, dict):
        out = ConfigDict()
        src = get_source(obj)
        set_source(out, src if src is not None else ConfigSource(filename))
        for k, v in obj.items():
            dict.__setitem__(out, k, to_tree(v, filename))
        return out
    if isinstance(obj, (list, tuple)) and not hasattr(obj, '_fields'):
        return type(obj)(to_tree(v, filename) for v in obj)
    return obj


def finalize_tree(obj: Any, root: str | None, path: tuple = ()) -> Any:
    """Fresh copy of ``obj`` whose every ConfigDict knows its file, key path
    and the root config file (nodes shared between two places are split)."""
    if isinstance(obj, dict):
        out = ConfigDict()
        src = get_source(obj)
        filename = src.filename if src is not None and src.filename else root
        set_source(out, ConfigSource(filename, path, root))
        for k, v in obj.items():
            dict.__setitem__(out, k, finalize_tree(v, root, path + (k,)))
        return out
    if isinstance(obj, (list, tuple)) and not hasattr(obj, '_fields'):
        return type(obj)(finalize_tree(v, root, path + (i,)) for i, v in enumerate(obj))
    return obj
