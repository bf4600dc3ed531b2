"""Config: a loaded config file (MMCV 1.x ``mmcv.Config`` semantics)."""

from __future__ import annotations

import copy
import os
import os.path as osp
import warnings
from typing import Any, Iterator, Union

from ._format import format_config
from ._io import dump_json, dump_yaml, write_atomic
from ._merge import finalize_tree, merge_into
from ._parse import SUPPORTED_EXTENSIONS, load_file, load_text
from ._post_load import import_modules_from_strings, move_deprecated_train_test_cfg
from ._source import format_path, get_source
from .config_dict import ConfigDict

RESERVED_KEYS = ('filename', 'text', 'pretty_text')
PathLike = Union[str, 'os.PathLike[str]']


class Config:
    """A config: a :class:`ConfigDict` plus the file and text it came from.

    Keys read as attributes or items (``cfg.model.backbone.depth``,
    ``cfg['model']``); dict methods (``get``, ``keys``, ``pop``...) act on
    the ConfigDict. Every ConfigDict node of a loaded config knows its file
    and key path, see :func:`detkit.config.describe_source`.

    Args:
        cfg_dict: the config values.
        cfg_text: the source text; read from ``filename`` when omitted.
        filename: the file the config came from.
    """

    def __init__(
        self,
        cfg_dict: dict | None = None,
        cfg_text: str | None = None,
        filename: PathLike | None = None,
    ) -> None:
        if cfg_dict is None:
            cfg_dict = {}
        elif not isinstance(cfg_dict, dict):
            raise TypeError(f'cfg_dict must be a dict, but got {type(cfg_dict)}')
        for key in cfg_dict:
            if key in RESERVED_KEYS:
                raise KeyError(f'{key} is reserved for config file')
        if filename is not None:
            filename = os.fspath(filename)
        src = get_source(cfg_dict)
        root = (
            src.root
            if src is not None and src.root
            else (osp.abspath(filename) if filename else None)
        )
        object.__setattr__(self, '_cfg_dict', finalize_tree(cfg_dict, root))
        object.__setattr__(self, '_filename', filename)
        if cfg_text is None:
            cfg_text = ''
            if filename and osp.isfile(filename):
                with open(filename, encoding='utf-8') as f:
                    cfg_text = f.read()
        object.__setattr__(self, '_text', cfg_text)

    # -- construction -----------------------------------------------------
    @staticmethod
    def fromfile(
        filename: PathLike,
        use_predefined_variables: bool = True,
        import_custom_modules: bool = True,
    ) -> Config:
        """Load a ``.py``/``.json``/``.yaml``/``.yml`` config with its bases.

        Also moves deprecated top-level ``train_cfg``/``test_cfg`` into
        ``model`` (with a warning) and, if ``import_custom_modules``, imports
        ``custom_imports=dict(imports=[...], allow_failed_imports=False)``.
        """
        filename = os.fspath(filename)
        tree, texts = load_file(filename, use_predefined_variables)
        return Config._finish(tree, '\n'.join(texts), filename, import_custom_modules)

    @staticmethod
    def fromstring(cfg_str: str, file_format: str) -> Config:
        """Load a config from text; ``file_format`` is '.py', '.json', '.yaml'
        or '.yml'. Relative ``_base_`` paths resolve against the current
        directory; predefined ``{{ fileXxx }}`` variables are not available."""
        if file_format not in SUPPORTED_EXTENSIONS:
            raise OSError(
                f'Only py/yml/yaml/json type are supported now! Got file_format={file_format!r}'
            )
        if file_format != '.py' and 'dict(' in cfg_str:
            warnings.warn('Please check "file_format", the file format may be .py', stacklevel=2)
        tree, _ = load_text(cfg_str, file_format, None, use_predefined_variables=False)
        return Config._finish(tree, cfg_str, None, True)

    @staticmethod
    def _finish(
        tree: ConfigDict, text: str, filename: str | None, import_custom_modules: bool
    ) -> Config:
        move_deprecated_train_test_cfg(tree, filename or '<string>')
        if import_custom_modules and tree.get('custom_imports', None):
            custom = tree['custom_imports']
            if not isinstance(custom, dict):
                raise TypeError(f'custom_imports must be a dict(imports=[...]), got {custom!r}')
            import_modules_from_strings(**custom)
        return Config(tree, cfg_text=text, filename=filename)

    # -- properties ---------------------------------------------------------
    @property
    def filename(self) -> str | None:
        """The file the config was loaded from (as given), or None."""
        return self._filename

    @property
    def text(self) -> str:
        """Source text: every file of the ``_base_`` chain, each after its path."""
        return self._text

    @property
    def pretty_text(self) -> str:
        """The config as formatted, valid Python source."""
        return format_config(self._cfg_dict.to_dict())

    # -- editing ------------------------------------------------------------
    def merge_from_dict(self, options: dict, allow_list_keys: bool = True) -> None:
        """Merge dotted-key options into the config (``--cfg-options``).

        ``{'model.backbone.depth': 101, 'data.train.pipeline.1.img_scale':
        (640, 640)}``: each key path is followed through dicts, and through
        lists by index when ``allow_list_keys``. A dict value merges into an
        existing dict; any other value replaces.

        Raises:
            KeyError: a list index out of range (or a non-index key on a list).
            TypeError: a key path runs through a value that is not a dict.
        """
        nested: dict = {}
        for full_key, value in options.items():
            self._check_option_path(full_key, allow_list_keys)
            keys = full_key.split('.')
            node = nested
            for depth, key in enumerate(keys[:-1]):
                node = node.setdefault(key, {})
                if not isinstance(node, dict):
                    raise KeyError(
                        f"options '{'.'.join(keys[: depth + 1])}' and '{full_key}' conflict"
                    )
            if isinstance(node.get(keys[-1]), dict) and not isinstance(value, dict):
                raise KeyError(f"option '{full_key}' conflicts with options below it")
            node[keys[-1]] = value
        merged = merge_into(nested, self._cfg_dict, allow_list_keys)
        root = get_source(self._cfg_dict)
        object.__setattr__(self, '_cfg_dict', finalize_tree(merged, root.root if root else None))

    def _check_option_path(self, full_key: str, allow_list_keys: bool) -> None:
        node: Any = self._cfg_dict
        keys = full_key.split('.')
        for depth, key in enumerate(keys):
            where = format_path(tuple(keys[:depth])) or '<root>'
            if isinstance(node, dict):
                if key not in node:
                    return  # the rest of the path is created
                node = node[key]
            elif isinstance(node, (list, tuple)):
                kind = f'a {type(node).__name__} of {len(node)} items'
                if not allow_list_keys:
                    raise TypeError(
                        f"cannot set '{full_key}': '{where}' is {kind} and allow_list_keys=False"
                    )
                if not key.isdigit():
                    raise KeyError(
                        f"cannot set '{full_key}': '{where}' is {kind}, so '{key}' must be an index"
                    )
                if int(key) >= len(node):
                    raise KeyError(
                        f"cannot set '{full_key}': index {key} is out of range "
                        f"for '{where}' ({kind})"
                    )
                node = node[int(key)]
            else:
                raise TypeError(
                    f"cannot set '{full_key}': '{where}' is a "
                    f'{type(node).__name__} ({node!r}), not a dict'
                )

    # -- output -------------------------------------------------------------
    def dump(self, file: PathLike | None = None) -> str | None:
        """Write the config to ``file`` (format from its extension), or return
        it as text (in the format of :attr:`filename`, Python by default)."""
        if file is None:
            ext = osp.splitext(self.filename)[1] if self.filename else '.py'
            return self._dump_text(ext)
        file = os.fspath(file)
        write_atomic(file, self._dump_text(osp.splitext(file)[1]))
        return None

    def _dump_text(self, ext: str) -> str:
        if ext == '.py':
            return self.pretty_text
        data = self._cfg_dict.to_dict()
        if ext == '.json':
            return dump_json(data)
        if ext in ('.yaml', '.yml'):
            return dump_yaml(data)
        raise ValueError(f'cannot dump a config as {ext!r}; use .py, .json, .yaml or .yml')

    # -- dict-like access -----------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name in ('_cfg_dict', '_filename', '_text'):
            raise AttributeError(name)  # not yet set (unpickling)
        return getattr(self._cfg_dict, name)

    def __getitem__(self, name: Any) -> Any:
        return self._cfg_dict[name]

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._cfg_dict, name, value)

    def __setitem__(self, name: Any, value: Any) -> None:
        self._cfg_dict[name] = value

    def __delattr__(self, name: str) -> None:
        del self._cfg_dict[name]

    def __delitem__(self, name: Any) -> None:
        del self._cfg_dict[name]

    def __iter__(self) -> Iterator:
        return iter(self._cfg_dict)

    def __len__(self) -> int:
        return len(self._cfg_dict)

    def __contains__(self, name: Any) -> bool:
        return name in self._cfg_dict

    def __repr__(self) -> str:
        return f'Config (path: {self.filename}): {self._cfg_dict.__repr__()}'

    def __getstate__(self) -> tuple:
        return (self._cfg_dict, self._filename, self._text)

    def __setstate__(self, state: tuple) -> None:
        cfg_dict, filename, text = state
        object.__setattr__(self, '_cfg_dict', cfg_dict)
        object.__setattr__(self, '_filename', filename)
        object.__setattr__(self, '_text', text)

    def __copy__(self) -> Config:
        other = type(self).__new__(type(self))
        other.__setstate__((self._cfg_dict, self._filename, self._text))
        return other

    def __deepcopy__(self, memo: dict) -> Config:
        other = type(self).__new__(type(self))
        memo[id(self)] = other
        other.__setstate__(copy.deepcopy((self._cfg_dict, self._filename, self._text), memo))
        return other
