"""YAML/JSON reading and writing for configs, plus atomic file writes.

YAML keeps tuples with the ``!!python/tuple`` tag (what MMCV's dumps contain)
while loading nothing else beyond safe YAML.
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

import yaml


class _Loader(yaml.SafeLoader):
    pass


class _Dumper(yaml.SafeDumper):
    pass


def _construct_tuple(loader: yaml.SafeLoader, node: yaml.Node) -> tuple:
    return tuple(loader.construct_sequence(node, deep=True))


def _represent_tuple(dumper: yaml.SafeDumper, data: tuple) -> yaml.Node:
    return dumper.represent_sequence('tag:yaml.org,2002:python/tuple', data, flow_style=True)


_Loader.add_constructor('tag:yaml.org,2002:python/tuple', _construct_tuple)
_Dumper.add_representer(tuple, _represent_tuple)


def load_yaml(text: str) -> Any:
    """Parse YAML text (safe, plus ``!!python/tuple``)."""
    return yaml.load(text, Loader=_Loader)


def dump_yaml(data: Any) -> str:
    """YAML text for ``data`` (plain dicts/lists/tuples/scalars)."""
    return yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, default_flow_style=None, allow_unicode=True
    )


def dump_json(data: Any) -> str:
    """JSON text for ``data``; tuples become lists."""
    return json.dumps(data, indent=4, ensure_ascii=False) + '\n'


def write_atomic(path: str, text: str) -> None:
    """Write ``text`` to a temporary file next to ``path``, then rename it."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix='.tmp_', suffix=os.path.basename(path))
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
            f.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; a dumped config is for sharing
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
