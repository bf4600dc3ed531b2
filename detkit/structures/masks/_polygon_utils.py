"""Polygon helpers of PolygonMasks: rasterisation, area, clipping to a box.

Polygons are flat [x0, y0, x1, y1, ...] arrays in continuous pixel coordinates
(pixel (i, j) covers [j, j + 1] x [i, i + 1]), as pycocotools reads them.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pycocotools.mask as mask_util


def polygon_to_bitmap(polygons: Sequence[np.ndarray], height: int, width: int) -> np.ndarray:
    """Rasterise the polygons of one instance (their union) into an (H, W) bool array."""
    rles = mask_util.frPyObjects([np.asarray(p, dtype=np.float64) for p in polygons],
                                 height, width)
    return mask_util.decode(mask_util.merge(rles)).astype(bool)


def polygon_area(x: np.ndarray, y: np.ndarray) -> float:
    """Shoelace area of one simple polygon."""
    return 0.5 * float(np.abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))


def _clip_half_plane(pts: np.ndarray, axis: int, bound: float, keep_above: bool) -> np.ndarray:
    """One Sutherland-Hodgman step: clip (n, 2) vertices to x[axis] >= / <= bound."""
    if len(pts) == 0:
        return pts
    prev = np.roll(pts, 1, axis=0)
    sign = 1.0 if keep_above else -1.0
    inside = sign * (pts[:, axis] - bound) >= 0
    prev_inside = np.roll(inside, 1)
    denom = pts[:, axis] - prev[:, axis]
    t = (bound - prev[:, axis]) / np.where(denom == 0, 1.0, denom)
    cross = prev + t[:, None] * (pts - prev)
    cross[:, axis] = bound  # exact, so the clipped polygon sits on the border
    # per vertex: the crossing point (if the edge prev->cur crosses), then cur (if inside)
    cand = np.stack([cross, pts], axis=1)  # (n, 2, 2)
    keep = np.stack([inside != prev_inside, inside], axis=1)  # (n, 2)
    return cand[keep]


def clip_polygon(poly: np.ndarray, x1: float, y1: float, x2: float, y2: float) -> np.ndarray:
    """Clip a flat [x0, y0, x1, y1, ...] polygon to a box; (0,) if nothing is left.

    A concave polygon cut into pieces stays one polygon joined by zero-area
    edges along the box border, which rasterises and measures correctly.
    """
    pts = poly.reshape(-1, 2).astype(np.float64)
    for axis, bound, above in ((0, x1, True), (0, x2, False), (1, y1, True), (1, y2, False)):
        pts = _clip_half_plane(pts, axis, bound, above)
    if len(pts) < 3 or polygon_area(pts[:, 0], pts[:, 1]) == 0:
        return np.zeros((0,))
    return pts.reshape(-1)
