"""Python source text for a config dict (``Config.pretty_text``).

Output is valid Python that evaluates back to the same values: one
``key = value`` statement per top-level key; dicts whose keys are all
identifiers as ``dict(a=1)``, others as ``{'a-b': 1}``; lists, tuples (with
the one-element comma) and sets as literals. A value that fits in the line
width stays on one line; otherwise its items go one per line, indented by
four spaces, with a trailing comma.
"""

from __future__ import annotations

import keyword
import math
from typing import Any, List

LINE_WIDTH = 79
INDENT = '    '


def format_config(cfg: dict) -> str:
    """Python text for the top-level mapping ``cfg``."""
    lines: List[str] = []
    for key, value in cfg.items():
        if _is_identifier(key):
            prefix = f'{key} = '
        else:  # e.g. a JSON key 'a-b': still valid, still collected on load
            prefix = f'globals()[{key!r}] = '
        lines.append(prefix + _format(value, 0, len(prefix)))
    return '\n'.join(lines) + '\n'


def _is_identifier(key: Any) -> bool:
    return isinstance(key, str) and key.isidentifier() and not keyword.iskeyword(key)


def _format(value: Any, level: int, used: int) -> str:
    """Text of ``value`` at nesting ``level``; ``used`` columns precede it."""
    flat = _flat(value)
    if used + len(flat) <= LINE_WIDTH or not _is_container(value) or not value:
        return flat
    inner = INDENT * (level + 1)
    # +1: every item line ends with a comma.
    open_, close, items = _parts(value, level + 1, len(inner) + 1)
    body = ''.join(f'{inner}{item},\n' for item in items)
    return f'{open_}\n{body}{INDENT * level}{close}'


def _is_container(value: Any) -> bool:
    return isinstance(value, (dict, list, tuple, set, frozenset))


def _parts(value: Any, level: int, used: int) -> tuple:
    """Opening text, closing text and item texts of a container."""
    if isinstance(value, dict):
        if all(_is_identifier(k) for k in value):
            items = [f'{k}=' + _format(v, level, used + len(k) + 1) for k, v in value.items()]
            return 'dict(', ')', items
        items = []
        for k, v in value.items():
            key = _flat(k) + ': '
            items.append(key + _format(v, level, used + len(key)))
        return '{', '}', items
    items = [_format(v, level, used) for v in value]
    if isinstance(value, tuple):
        return '(', ')', items
    if isinstance(value, (set, frozenset)):
        return (
            ('{' if isinstance(value, set) else 'frozenset({'),
            ('}' if isinstance(value, set) else '})'),
            items,
        )
    return '[', ']', items


def _flat(value: Any) -> str:
    """One-line text of ``value``."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "float('nan')"
        if math.isinf(value):
            return "float('inf')" if value > 0 else "float('-inf')"
        return repr(value)
    if isinstance(value, (int, str, bytes)):
        return repr(value)
    if isinstance(value, dict):
        if all(_is_identifier(k) for k in value):
            return 'dict(' + ', '.join(f'{k}={_flat(v)}' for k, v in value.items()) + ')'
        return '{' + ', '.join(f'{_flat(k)}: {_flat(v)}' for k, v in value.items()) + '}'
    if isinstance(value, tuple) and not hasattr(value, '_fields'):
        if len(value) == 1:
            return f'({_flat(value[0])},)'
        return '(' + ', '.join(_flat(v) for v in value) + ')'
    if isinstance(value, list):
        return '[' + ', '.join(_flat(v) for v in value) + ']'
    if isinstance(value, (set, frozenset)):
        if not value:
            return 'set()' if isinstance(value, set) else 'frozenset()'
        body = ', '.join(sorted(_flat(v) for v in value))
        return '{' + body + '}' if isinstance(value, set) else 'frozenset({' + body + '})'
    # Anything else (a class, an object): its repr; it will not load back.
    return repr(value)
