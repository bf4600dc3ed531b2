"""Colour palettes for drawing: per-class RGB tuples, and a headless-safe pyplot."""
from __future__ import annotations

import colorsys
import os
from typing import Union

import numpy as np

from detkit.utils.suggest import did_you_mean

#: mmcv's colour names, as RGB.
COLOR_NAMES = {'red': (255, 0, 0), 'green': (0, 255, 0), 'blue': (0, 0, 255),
               'cyan': (0, 255, 255), 'yellow': (255, 255, 0), 'magenta': (255, 0, 255),
               'white': (255, 255, 255), 'black': (0, 0, 0)}

_DATASET_PALETTES = ('coco', 'voc', 'citys')


def import_pyplot():
    """matplotlib.pyplot, on the Agg backend when there is no display."""
    import matplotlib
    if not os.environ.get('DISPLAY') and os.name != 'nt':
        matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    return plt


def palette_val(palette: list) -> list:
    """0-255 RGB tuples -> 0-1 RGB tuples (matplotlib colours)."""
    return [tuple(c / 255 for c in color) for color in palette]


def _distinct(n: int, offset: float) -> list:
    """``n`` well-separated saturated colours (golden-ratio hue steps), deterministic."""
    out = []
    for i in range(n):
        h = (offset + i * 0.618033988749895) % 1.0
        s, v = (0.85, 0.95) if i % 2 == 0 else (0.65, 0.8)
        out.append(tuple(int(round(255 * c)) for c in colorsys.hsv_to_rgb(h, s, v)))
    return out


def get_palette(palette: Union[list, tuple, str, None], num_classes: int) -> list:
    """A list of at least ``num_classes`` RGB (0-255) tuples.

    Args:
        palette: a list of RGB tuples; one RGB tuple for every class; 'random' or
            None (a fixed random palette, seed 42); 'coco' / 'voc' / 'citys'
            (fixed distinct palettes); or a colour name from :data:`COLOR_NAMES`.
        num_classes (int): how many colours are needed.
    """
    if not isinstance(num_classes, int):
        raise TypeError(f'num_classes must be an int, but got {type(num_classes).__name__}')
    if isinstance(palette, list):
        colors = [tuple(int(v) for v in c) for c in palette]
    elif isinstance(palette, tuple):
        colors = [tuple(int(v) for v in palette)] * num_classes
    elif palette is None or palette == 'random':
        rng = np.random.default_rng(42)  # own generator: never touches the global RNG
        colors = [tuple(int(v) for v in c) for c in rng.integers(0, 256, (num_classes, 3))]
    elif palette in _DATASET_PALETTES:
        colors = _distinct(max(num_classes, 1), _DATASET_PALETTES.index(palette) / 3)
    elif isinstance(palette, str):
        if palette not in COLOR_NAMES:
            known = list(COLOR_NAMES) + ['random', *_DATASET_PALETTES]
            raise ValueError(f'unknown palette or colour {palette!r}'
                             f'{did_you_mean(palette, known)}; known: {", ".join(known)}')
        colors = [COLOR_NAMES[palette]] * num_classes
    else:
        raise TypeError(f'Invalid type for palette: {type(palette).__name__}')
    if len(colors) < num_classes:
        raise ValueError(f'the palette has {len(colors)} colours for {num_classes} classes')
    return colors
