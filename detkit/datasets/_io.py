"""Reading annotation files (json / pickle / yaml / text lists), with clear errors."""
from __future__ import annotations

import json
import os.path as osp
import pickle
from typing import Any


def load_file(path: str, what: str = 'annotation file') -> Any:
    """Load a .json, .pkl/.pickle or .yaml/.yml file."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} not found: {path!r}')
    ext = osp.splitext(path)[1].lower()
    try:
        if ext == '.json':
            with open(path) as f:
                return json.load(f)
        if ext in ('.pkl', '.pickle'):
            with open(path, 'rb') as f:
                return pickle.load(f)
        if ext in ('.yaml', '.yml'):
            import yaml
            with open(path) as f:
                return yaml.safe_load(f)
    except (ValueError, pickle.UnpicklingError, EOFError) as e:
        raise ValueError(f'could not parse {what} {path!r}: {e}') from None
    raise ValueError(f'unsupported {what} format {ext!r} ({path}); '
                     f'use .json, .pkl/.pickle or .yaml/.yml')


def list_from_file(path: str, what: str = 'list file') -> list[str]:
    """Non-empty lines of a text file, stripped."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} not found: {path!r}')
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


def dump_json(obj: Any, path: str) -> None:
    """Write JSON atomically (a temporary file in the same folder, then rename)."""
    import os
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(obj, f)
    os.replace(tmp, path)
