"""Loading one config file (and, recursively, its ``_base_`` files).

A ``.py`` config is executed in a fresh namespace; its variables, except
dunder names, modules, functions and classes, are the config. References to
base values work in two forms: ``{{_base_.a.b}}`` (any format, replaced by a
placeholder and resolved once the bases are loaded, as MMCV does) and, in
``.py`` files, plain ``_base_.a.b`` / ``_base_['a']`` expressions, which
evaluate against the merged bases.
"""

from __future__ import annotations

import ast
import copy
import json
import os
import os.path as osp
import warnings
from types import BuiltinFunctionType, FunctionType, ModuleType
from typing import Any, List, Tuple

from ._base_vars import BASE_KEY, mark_base_refs, resolve_base_refs, substitute_predefined
from ._io import load_yaml
from ._merge import merge_into, strip_delete, to_tree
from .config_dict import ConfigDict

SUPPORTED_EXTENSIONS = ('.py', '.json', '.yaml', '.yml')
DEPRECATION_KEY = '_deprecation_'
_BASE_NAME = '__detkit_base__'  # what `_base_.x` reads from while executing a .py


def load_file(
    filename: str, use_predefined_variables: bool = True, _stack: Tuple[str, ...] = ()
) -> Tuple[ConfigDict, List[str]]:
    """Load a config file with its bases merged in.

    Returns:
        The config as a ConfigDict tree (each node tagged with the file that
        defined it) and the texts of all files involved, bases first, each
        preceded by its path.
    """
    filename = osp.abspath(osp.expanduser(os.fspath(filename)))
    ext = osp.splitext(filename)[1]
    if ext not in SUPPORTED_EXTENSIONS:
        raise OSError(f'Only py/yml/yaml/json type are supported now! Got {filename}')
    if not osp.isfile(filename):
        raise FileNotFoundError(f'config file not found: {filename}')
    with open(filename, encoding='utf-8') as f:
        text = f.read()
    return load_text(text, ext, filename, use_predefined_variables, _stack)


def load_text(
    text: str,
    ext: str,
    filename: str | None = None,
    use_predefined_variables: bool = True,
    _stack: Tuple[str, ...] = (),
) -> Tuple[ConfigDict, List[str]]:
    """Like :func:`load_file`, for ``text`` in format ``ext`` ('.py', ...).

    ``filename`` (absolute) is used for messages, predefined variables and to
    resolve relative ``_base_`` paths (the current directory when None).
    """
    display = filename or '<string>'
    if filename is not None:
        real = osp.realpath(filename)
        if real in _stack:
            cycle = ' -> '.join(list(_stack[_stack.index(real) :]) + [real])
            raise RecursionError(f'circular _base_ inheritance: {cycle}')
        _stack = _stack + (real,)
    raw_text = text
    if use_predefined_variables and filename is not None:
        text = substitute_predefined(text, filename)
    text, refs = mark_base_refs(text)
    cfg_dir = osp.dirname(filename) if filename else os.getcwd()

    base: ConfigDict | None = None
    base_texts: List[str] = []

    def load_bases(names: Any) -> None:
        nonlocal base, base_texts
        base, base_texts = _load_bases(names, cfg_dir, display, use_predefined_variables, _stack)

    if ext == '.py':
        raw = _exec_py(text, display, load_bases, lambda: base)
    else:
        raw = _parse_data(text, ext, display)
        if BASE_KEY in raw:
            load_bases(raw[BASE_KEY])
    if BASE_KEY in raw and base is None:
        load_bases(raw[BASE_KEY])
    raw.pop(BASE_KEY, None)
    _warn_deprecated(raw, display)

    if refs:
        if base is None:
            raise KeyError(f'{display} references {{{{_base_.*}}}} but has no {BASE_KEY}')
        raw = resolve_base_refs(raw, refs, base, display)
    tree = to_tree(raw, filename)
    if base is not None:
        tree = merge_into(tree, base)
    # `_delete_` only means something against a base: never keep it.
    tree = strip_delete(tree)
    return tree, base_texts + [f'{display}\n{raw_text}']


def _load_bases(
    names: Any, cfg_dir: str, referer: str, use_predefined_variables: bool, stack: Tuple[str, ...]
) -> Tuple[ConfigDict, List[str]]:
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        raise TypeError(f'{BASE_KEY} in {referer} must be a path or a list of paths, got {names!r}')
    merged = ConfigDict()
    owner: dict = {}
    texts: List[str] = []
    for name in names:
        path = osp.normpath(osp.join(cfg_dir, osp.expanduser(name)))
        if not osp.isfile(path):
            raise FileNotFoundError(
                f"base config '{name}' not found: {path} does not exist "
                f'(referenced by {BASE_KEY} in {referer})'
            )
        cfg, sub_texts = load_file(path, use_predefined_variables, stack)
        duplicates = sorted(set(cfg) & set(merged), key=str)
        if duplicates:
            detail = '; '.join(f"'{k}' in {owner[k]} and {path}" for k in duplicates)
            raise KeyError(f'Duplicate key is not allowed among bases of {referer}: {detail}')
        for key in cfg:
            dict.__setitem__(merged, key, cfg[key])
            owner[key] = path
        texts += sub_texts
    return merged, texts


def _parse_data(text: str, ext: str, display: str) -> dict:
    try:
        data = json.loads(text) if ext == '.json' else load_yaml(text)
    except json.JSONDecodeError as e:
        raise ValueError(f'invalid JSON in config {display}, line {e.lineno}: {e.msg}') from e
    except Exception as e:  # yaml.YAMLError; marked ones know the line
        mark = getattr(e, 'problem_mark', None)
        where = f', line {mark.line + 1}' if mark is not None else ''
        why = getattr(e, 'problem', None) or str(e)
        raise ValueError(f'invalid YAML in config {display}{where}: {why}') from e
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise TypeError(
            f'config {display} must hold a mapping at top level, got {type(data).__name__}'
        )
    return data


class _BaseRefRewriter(ast.NodeTransformer):
    """``_base_.x`` / ``_base_[...]`` -> read from the merged bases."""

    found = False

    def _rewrite(self, node: ast.AST) -> ast.AST:
        self.generic_visit(node)
        value = node.value  # type: ignore[attr-defined]
        if isinstance(value, ast.Name) and value.id == BASE_KEY and isinstance(value.ctx, ast.Load):
            node.value = ast.copy_location(ast.Name(_BASE_NAME, ast.Load()), value)  # type: ignore
            self.found = True
        return node

    visit_Attribute = _rewrite
    visit_Subscript = _rewrite


def _literal_base(tree: ast.Module) -> Any:
    """The literal value of a top-level ``_base_ = ...``, or None."""
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == BASE_KEY for t in stmt.targets
        ):
            try:
                return ast.literal_eval(stmt.value)
            except ValueError:
                return None
    return None


def _exec_py(text: str, display: str, load_bases: Any, get_base: Any) -> dict:
    try:
        tree = ast.parse(text, filename=display)
    except SyntaxError as e:
        msg = f'invalid syntax in config {display}, line {e.lineno}: {e.msg}'
        raise SyntaxError(msg, (display, e.lineno, e.offset, e.text)) from None
    rewriter = _BaseRefRewriter()
    tree = ast.fix_missing_locations(rewriter.visit(tree))
    namespace: dict = {'__name__': 'detkit_config', '__file__': display}
    if rewriter.found:
        names = _literal_base(tree)
        if names is None:
            raise ValueError(
                f'{display} uses `{BASE_KEY}.xxx`, so `{BASE_KEY}` must be '
                f'assigned a literal path or list of paths'
            )
        load_bases(names)
        namespace[_BASE_NAME] = copy.deepcopy(get_base())
    try:
        exec(compile(tree, display, 'exec'), namespace)
    except Exception as e:
        if hasattr(e, 'add_note'):  # python >= 3.11
            e.add_note(f'(while executing config {display})')
        raise
    return {
        k: v
        for k, v in namespace.items()
        if not k.startswith('__')
        and not isinstance(v, (ModuleType, FunctionType, BuiltinFunctionType, type))
    }


def _warn_deprecated(raw: dict, display: str) -> None:
    info = raw.pop(DEPRECATION_KEY, None)
    if info is None:
        return
    msg = f'The config file {display} will be deprecated in the future.'
    if isinstance(info, dict) and 'expected' in info:
        msg += f' Please use {info["expected"]} instead.'
    if isinstance(info, dict) and 'reference' in info:
        msg += f' More information can be found at {info["reference"]}'
    warnings.warn(msg, DeprecationWarning, stacklevel=3)
