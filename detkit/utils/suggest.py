"""Closest-name suggestions for error messages ("did you mean ...?")."""
from __future__ import annotations

import difflib
from typing import Iterable


def closest_names(name: str, candidates: Iterable[str], n: int = 3,
                  cutoff: float = 0.6) -> list[str]:
    """Return up to ``n`` candidates closest to ``name``, best first.

    Matching is case-insensitive; the returned names keep their case.
    """
    cands = list(candidates)
    lower = {c.lower(): c for c in cands}
    hits = difflib.get_close_matches(name.lower(), list(lower), n=n, cutoff=cutoff)
    return [lower[h] for h in hits]


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'X'?)`` or ``''`` when nothing is close."""
    hits = closest_names(name, candidates)
    if not hits:
        return ''
    return ' (did you mean ' + ' or '.join(repr(h) for h in hits) + '?)'
