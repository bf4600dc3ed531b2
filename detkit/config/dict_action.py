"""``--cfg-options key=value ...`` for argparse, parsed without ``eval``.

Value grammar (MMCV's, plus quoted strings)::

    value    := sequence | item
    sequence := item (',' item)+          -> list      ('a,b' -> ['a', 'b'])
    item     := '[' items? ']'            -> list
              | '(' items? ')'            -> tuple     ('(1)' -> (1,))
              | '"' chars '"' | "'" chars "'"  -> str  (quotes removed, as is)
              | word                      -> int, float, True/False (any case),
                                             None, else the str itself
    items    := item (',' item)* ','?

Whitespace around items and separators is ignored.
"""

from __future__ import annotations

import argparse
from typing import Any, List, Sequence, Tuple, Union

_CLOSING = {'[': ']', '(': ')'}


class OptionValueError(ValueError):
    """A ``--cfg-options`` value that does not follow the grammar."""


def parse_option_value(text: str) -> Any:
    """Parse one ``--cfg-options`` value (the part after ``=``).

    Examples: ``'1'`` -> 1, ``'1e-4'`` -> 0.0001, ``'true'`` -> True,
    ``'None'`` -> None, ``'a,b'`` -> ['a', 'b'],
    ``'[(train,1),(val,1)]'`` -> [('train', 1), ('val', 1)].

    Raises:
        OptionValueError: unbalanced or mismatched brackets, stray quotes,
            empty items.
    """
    parser = _ValueParser(text)
    return parser.parse()


class _ValueParser:
    """Recursive-descent parser over ``text``; ``pos`` is the cursor."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, why: str) -> OptionValueError:
        return OptionValueError(f'{why} at position {self.pos} of {self.text!r}')

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self) -> str:
        self.skip_space()
        return self.text[self.pos] if self.pos < len(self.text) else ''

    def parse(self) -> Any:
        if not self.text.strip():
            return ''
        first = self.item()
        if self.peek() == '':
            return first
        values = [first]
        while self.peek() == ',':
            self.pos += 1
            if self.peek() == '':
                break  # trailing comma: 'a,b,'
            values.append(self.item())
        ch = self.peek()
        if ch != '':
            raise self.fail(f'unbalanced {ch!r}' if ch in ')]' else f'unexpected {ch!r}')
        return values

    def item(self) -> Any:
        ch = self.peek()
        if ch in _CLOSING:
            return self.sequence(ch)
        if ch in ('"', "'"):
            return self.quoted(ch)
        if ch in (']', ')'):
            raise self.fail(f'unbalanced {ch!r}')
        if ch in (',', ''):
            raise self.fail('empty item')
        return self.word()

    def sequence(self, opening: str) -> Union[list, tuple]:
        closing = _CLOSING[opening]
        start = self.pos
        self.pos += 1
        values: List[Any] = []
        while True:
            ch = self.peek()
            if ch == closing:
                self.pos += 1
                break
            if ch == '':
                self.pos = start
                raise self.fail(f'unclosed {opening!r}')
            if ch in (']', ')'):
                raise self.fail(f'{ch!r} does not match {opening!r} opened at position {start}')
            values.append(self.item())
            ch = self.peek()
            if ch == ',':
                self.pos += 1
            elif ch in (']', ')') and ch != closing:
                raise self.fail(f'{ch!r} does not match {opening!r} opened at position {start}')
            elif ch != closing and ch != '':
                raise self.fail(f"expected ',' or {closing!r}, got {ch!r}")
        return tuple(values) if opening == '(' else values

    def quoted(self, quote: str) -> str:
        end = self.text.find(quote, self.pos + 1)
        if end < 0:
            raise self.fail(f'unclosed quote {quote}')
        value = self.text[self.pos + 1 : end]
        self.pos = end + 1
        return value

    def word(self) -> Any:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in ',[]()"\'':
            self.pos += 1
        if self.pos < len(self.text) and self.text[self.pos] in '[("\'':
            raise self.fail(f'unexpected {self.text[self.pos]!r} inside a word')
        return _scalar(self.text[start : self.pos].strip())


def _scalar(word: str) -> Any:
    """int, float, bool, None or the word itself."""
    try:
        return int(word)
    except ValueError:
        pass
    try:
        return float(word)
    except ValueError:
        pass
    if word.lower() in ('true', 'false'):
        return word.lower() == 'true'
    if word == 'None':
        return None
    return word


def parse_option(option: str) -> Tuple[str, Any]:
    """``'a.b=[1,2]'`` -> ``('a.b', [1, 2])``; raises OptionValueError."""
    key, sep, value = option.partition('=')
    key = key.strip()
    if not sep:
        raise OptionValueError(f'expected KEY=VALUE, got {option!r}')
    if not key:
        raise OptionValueError(f'missing KEY before "=" in {option!r}')
    return key, parse_option_value(value)


class DictAction(argparse.Action):
    """argparse action collecting ``KEY=VALUE`` pairs into a dict.

    Use with ``nargs='+'``: ``--cfg-options model.backbone.depth=101
    workflow="[(train,1),(val,1)]"`` gives ``{'model.backbone.depth': 101,
    'workflow': [('train', 1), ('val', 1)]}``. Repeating the flag adds to the
    same dict. A malformed pair is reported the argparse way (usage line,
    ``error: argument --cfg-options: ...``, exit status 2).
    """

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Union[str, Sequence[Any], None],
        option_string: str | None = None,
    ) -> None:
        previous = getattr(namespace, self.dest, None)
        options = dict(previous) if isinstance(previous, dict) else {}
        if isinstance(values, str):
            values = [values]
        for option in values or []:
            try:
                key, value = parse_option(option)
            except OptionValueError as e:
                raise argparse.ArgumentError(self, f'invalid option {option!r}: {e}') from None
            options[key] = value
        setattr(namespace, self.dest, options)
