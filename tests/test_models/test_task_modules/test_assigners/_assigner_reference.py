"""Float64 brute-force references shared by the assigner tests (plain Python loops)."""
import torch


def iou(a, b, mode='iou'):
    """IoU / IoF of two boxes given as lists."""
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    area_a = (a[2] - a[0]) * (a[3] - a[1])
    area_b = (b[2] - b[0]) * (b[3] - b[1])
    denom = area_a if mode == 'iof' else area_a + area_b - inter
    return inter / max(denom, 1e-6)


def iou_matrix(boxes1, boxes2, mode='iou'):
    return [[iou(a, b, mode) for b in boxes2] for a in boxes1]


def random_boxes(n, size=100.0, seed=0, min_wh=4.0, max_wh=40.0):
    g = torch.Generator().manual_seed(seed)
    xy = torch.rand(n, 2, generator=g, dtype=torch.float64) * size
    wh = min_wh + torch.rand(n, 2, generator=g, dtype=torch.float64) * (max_wh - min_wh)
    return torch.cat([xy, xy + wh], dim=1)
