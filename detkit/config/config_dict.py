"""ConfigDict: a dict with attribute access that remembers where it came from."""

from __future__ import annotations

import copy
from typing import Any

from addict import Dict

from ..utils.suggest import did_you_mean
from ._source import ConfigSource, describe_source, get_source, set_source


def _rebuild_config_dict(cls: type, items: dict, source: ConfigSource | None) -> ConfigDict:
    """Pickle helper: rebuild a ConfigDict with its source."""
    obj = cls(items)
    set_source(obj, source)
    return obj


class ConfigDict(Dict):
    """A dict whose keys are also attributes (``cfg.model.backbone.depth``).

    Differences from :class:`addict.Dict`:

    * reading a missing key raises (``KeyError`` for ``cfg['x']``,
      ``AttributeError`` naming the key, the closest existing keys and the
      config location for ``cfg.x``) instead of creating an empty child;
    * assigning a plain dict (or a list/tuple holding dicts) stores it as
      ConfigDict, so attribute access keeps working below it;
    * every node may carry a :class:`~detkit.config._source.ConfigSource`
      (see :func:`describe_source`), kept by ``copy.copy``, ``copy.deepcopy``,
      ``.copy()`` and pickling. A child assigned into a node that has a
      source, and that has none itself, gets the parent's file and its key
      path.
    """

    def __missing__(self, name: Any) -> Any:
        raise KeyError(name)

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            if name.startswith('__') and name.endswith('__'):
                # Protocol probes (copy, pickle, numpy...): stay quiet and fast.
                raise AttributeError(name) from None
            keys = [k for k in self.keys() if isinstance(k, str)]
            msg = f"'{type(self).__name__}' object has no attribute '{name}'"
            msg += did_you_mean(name, keys)
            where = describe_source(self)
            if where:
                msg += f' — {where}'
            raise AttributeError(msg) from None

    def __setitem__(self, name: Any, value: Any) -> None:
        value = self._wrap(value)
        super().__setitem__(name, value)
        src = get_source(self)
        if src is not None:
            _adopt(value, src, src.path + (name,))

    @classmethod
    def _hook(cls, item: Any) -> Any:
        # addict copies nested dicts on construction; keep their sources.
        if isinstance(item, dict):
            new = cls(item)
            src = get_source(item)
            if src is not None:
                set_source(new, src)
            return new
        if isinstance(item, (list, tuple)):
            return _same_sequence_type(item, [cls._hook(v) for v in item])
        return item

    @classmethod
    def _wrap(cls, value: Any) -> Any:
        """Turn plain dicts (also inside lists/tuples) into ConfigDicts."""
        if isinstance(value, dict) and not isinstance(value, ConfigDict):
            return cls(value)
        if isinstance(value, (list, tuple)) and any(
            isinstance(v, (dict, list, tuple)) for v in value
        ):
            wrapped = [cls._wrap(v) for v in value]
            if all(a is b for a, b in zip(wrapped, value)):
                return value  # nothing changed: keep the caller's object
            return _same_sequence_type(value, wrapped)
        return value

    def setdefault(self, key: Any, default: Any = None) -> Any:
        """Like ``dict.setdefault``, returning the stored (wrapped) value."""
        if key not in self:
            self[key] = default
        return self[key]

    def to_dict(self) -> dict:
        """Plain-dict copy, converting ConfigDicts at any depth (also inside
        lists inside tuples, which addict's version misses)."""
        return _plain(self)

    # -- copies keep the source --------------------------------------------
    def copy(self) -> ConfigDict:
        """Shallow copy (children are shared), keeping the source."""
        return self.__copy__()

    def __copy__(self) -> ConfigDict:
        other = type(self)()
        set_source(other, get_source(self))
        dict.update(other, self)
        return other

    def __deepcopy__(self, memo: dict) -> ConfigDict:
        other = type(self)()
        memo[id(self)] = other
        set_source(other, get_source(self))
        for key, value in self.items():
            dict.__setitem__(other, copy.deepcopy(key, memo), copy.deepcopy(value, memo))
        return other

    def __reduce__(self) -> tuple:
        return (_rebuild_config_dict, (type(self), dict(self), get_source(self)))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return _same_sequence_type(value, [_plain(v) for v in value])
    return value


def _same_sequence_type(original: Any, items: list) -> Any:
    """Build a list/tuple/namedtuple of the same type as ``original``."""
    if isinstance(original, tuple) and hasattr(original, '_fields'):
        return type(original)(*items)
    return type(original)(items)


def _adopt(value: Any, parent: ConfigSource, path: tuple) -> None:
    """Give unannotated ConfigDicts under ``value`` a source below ``parent``."""
    if isinstance(value, ConfigDict):
        if get_source(value) is not None:
            return  # already placed somewhere: keep its original location
        set_source(value, ConfigSource(parent.filename, path, parent.root))
        for k, v in value.items():
            _adopt(v, parent, path + (k,))
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _adopt(v, parent, path + (i,))
