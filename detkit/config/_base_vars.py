"""Text substitutions done before a config file is parsed.

* predefined variables: ``{{ fileDirname }}``, ``{{ fileBasename }}``,
  ``{{ fileBasenameNoExtension }}``, ``{{ fileExtname }}``;
* references to base variables, ``{{ _base_.model.backbone.depth }}``: each
  is replaced by a unique placeholder string, resolved after the bases are
  loaded (MMCV does the same). A reference written inside quotes
  (``'{{_base_.x}}'``) is replaced together with its quotes.
"""

from __future__ import annotations

import copy
import os.path as osp
import re
import uuid
from typing import Any, Dict, Tuple

from ..utils.suggest import did_you_mean

BASE_KEY = '_base_'

_PREDEFINED = re.compile(
    r'\{\{\s*(fileDirname|fileBasename|fileBasenameNoExtension|fileExtname)\s*\}\}'
)
_BASE_REF = re.compile(r"""(['"]?)\{\{\s*_base_\.([\w.]+)\s*\}\}\1""")


def substitute_predefined(text: str, filename: str) -> str:
    """Replace the predefined ``{{ fileXxx }}`` variables of ``filename``."""
    dirname = osp.dirname(filename)
    basename = osp.basename(filename)
    stem, ext = osp.splitext(basename)
    values = {
        'fileDirname': dirname,
        'fileBasename': basename,
        'fileBasenameNoExtension': stem,
        'fileExtname': ext,
    }
    # Windows paths: keep the text valid inside python/json string literals.
    return _PREDEFINED.sub(lambda m: values[m.group(1)].replace('\\', '/'), text)


def mark_base_refs(text: str) -> Tuple[str, Dict[str, str]]:
    """Replace each ``{{_base_.key.path}}`` with a quoted placeholder.

    Returns the new text and ``{placeholder: 'key.path'}``.
    """
    refs: Dict[str, str] = {}
    tag = uuid.uuid4().hex[:8]

    def repl(m: re.Match) -> str:
        key = m.group(2)
        placeholder = f'__detkit_base_ref_{tag}_{len(refs)}__'
        refs[placeholder] = key
        return f'"{placeholder}"'

    return _BASE_REF.sub(repl, text), refs


def lookup_base(base: Any, dotted: str, filename: str) -> Any:
    """``base['model']['backbone']['depth']`` for ``'model.backbone.depth'``;
    digit components index lists. Returns a deep copy."""
    node = base
    done = []
    for part in dotted.split('.'):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            where = '.'.join(['_base_'] + done)
            hint = (
                did_you_mean(part, [k for k in node if isinstance(k, str)])
                if isinstance(node, dict)
                else ''
            )
            raise KeyError(
                f"'_base_.{dotted}' referenced in {filename} does not exist: "
                f"'{where}' has no key or index '{part}'{hint}"
            )
        done.append(part)
    return copy.deepcopy(node)


def resolve_base_refs(obj: Any, refs: Dict[str, str], base: Any, filename: str) -> Any:
    """Replace placeholder strings inside ``obj`` by the base values."""
    if not refs:
        return obj
    if isinstance(obj, str) and obj in refs:
        return lookup_base(base, refs[obj], filename)
    if isinstance(obj, dict):
        for k in list(obj.keys()):
            dict.__setitem__(obj, k, resolve_base_refs(obj[k], refs, base, filename))
        return obj
    if isinstance(obj, (list, tuple)) and not hasattr(obj, '_fields'):
        return type(obj)(resolve_base_refs(v, refs, base, filename) for v in obj)
    return obj
