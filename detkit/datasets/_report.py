"""Counting what a dataset skipped while loading, for one summary line per dataset."""
from __future__ import annotations

from collections import OrderedDict
from typing import Optional


class LoadReport:
    """Counts of skipped records by reason, each with its first example.

    ``summary()`` gives the line datasets log when built, e.g. ``"train.json:
    1000 images: 990 used, 6 without annotations, 4 skipped: 3 bbox w/h ≤ 0
    (e.g. ann id 17 in train.json), 1 missing image file (img/0042.jpg)"``.
    """

    def __init__(self, source: str):
        self.source = source
        self.total = 0
        self.used = 0
        self.dropped: OrderedDict[str, int] = OrderedDict()  # valid, filtered images
        self.skipped: OrderedDict[str, list] = OrderedDict()  # reason -> [count, example]

    def skip(self, reason: str, example: str) -> None:
        """Count one skipped record (an image or an annotation) for ``reason``."""
        entry = self.skipped.setdefault(reason, [0, example])
        entry[0] += 1

    def drop(self, reason: str, count: int = 1) -> None:
        """Count images left out by a filter (empty, too small)."""
        self.dropped[reason] = self.dropped.get(reason, 0) + count

    def count(self, reason: str) -> int:
        return self.skipped.get(reason, [0])[0] + self.dropped.get(reason, 0)

    def example(self, reason: str) -> Optional[str]:
        return self.skipped.get(reason, [0, None])[1]

    def summary(self) -> str:
        parts = [f'{self.used} used'] + [f'{n} {r}' for r, n in self.dropped.items() if n]
        line = f'{self.source}: {self.total} images: ' + ', '.join(parts)
        if self.skipped:
            n = sum(c for c, _ in self.skipped.values())
            line += f', {n} skipped: ' + ', '.join(
                f'{c} {r} ({ex})' for r, (c, ex) in self.skipped.items())
        return line
