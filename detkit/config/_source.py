"""Where a config node came from: the file and the key path inside the config.

The information lives in an attribute of the :class:`ConfigDict` instance (its
``__dict__``), never in its keys, so it does not show in the dict, in dumps, or
in ``**cfg``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Tuple, Union

# Attribute name under which a ConfigDict keeps its ConfigSource.
SOURCE_ATTR = '_detkit_source'

PathKey = Union[str, int]


@dataclass(frozen=True)
class ConfigSource:
    """Origin of one dict node of a config.

    Attributes:
        filename: absolute path of the file that defined the node (for a node
            that came from a ``_base_`` file and that the child did not
            retype, the base file), or None when unknown.
        path: keys and list indices from the config root to the node.
        root: the config file the user loaded (the top of the ``_base_``
            chain), or None when unknown.
    """

    filename: str | None
    path: Tuple[PathKey, ...] = ()
    root: str | None = None

    def with_path(self, path: Tuple[PathKey, ...]) -> ConfigSource:
        return ConfigSource(self.filename, tuple(path), self.root)


def get_source(obj: Any) -> ConfigSource | None:
    """The :class:`ConfigSource` attached to ``obj``, or None."""
    try:
        return vars(obj).get(SOURCE_ATTR)
    except TypeError:  # objects without __dict__ (plain dict, list, int, ...)
        return None


def set_source(obj: Any, source: ConfigSource | None) -> None:
    """Attach ``source`` to ``obj`` without touching its keys."""
    object.__setattr__(obj, SOURCE_ATTR, source)


def format_path(path: Tuple[PathKey, ...]) -> str:
    """``('data', 'train', 'pipeline', 2)`` -> ``'data.train.pipeline.2'``."""
    return '.'.join(str(p) for p in path)


def describe_source(cfg: Any) -> str:
    """Describe where a config node came from, for error messages.

    Args:
        cfg: a ``ConfigDict`` (any node of a loaded config) or a ``Config``.

    Returns:
        ``'in /abs/configs/foo.py: model.bbox_head'`` for a node defined in
        the loaded file; ``'in /abs/_base_/models/x.py (inherited by
        /abs/configs/foo.py): model.bbox_head'`` for a node whose ``type``
        was set in a base file; ``'in /abs/configs/foo.py'`` for the root;
        ``'at model.bbox_head'`` for a node of a Config built from a dict or
        a string (no file). ``''`` when nothing is known (plain dicts,
        free-standing ConfigDicts, the root of a Config without a file).
    """
    src = get_source(cfg)
    if src is None:
        # A Config keeps its ConfigDict in `_cfg_dict`.
        inner = vars(cfg).get('_cfg_dict') if hasattr(cfg, '__dict__') else None
        src = get_source(inner) if inner is not None else None
    if src is None:
        return ''
    path = format_path(src.path)
    if src.filename is None:
        # Built from a dict or a string: only the key path is known.
        return f'at {path}' if path else ''
    where = src.filename
    if src.root and src.root != src.filename:
        where = f'{where} (inherited by {src.root})'
    return f'in {where}: {path}' if path else f'in {where}'
