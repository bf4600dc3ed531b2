"""Box generators shared by the ops tests."""

import torch


def random_boxes(n, scale=100.0, generator=None, dtype=torch.float32):
    xy = torch.rand(n, 2, generator=generator, dtype=torch.float64) * scale
    wh = torch.rand(n, 2, generator=generator, dtype=torch.float64) * scale / 2
    return torch.cat([xy, xy + wh], 1).to(dtype)


def clustered_boxes(n, generator, per_cluster=10, image=(1333.0, 800.0)):
    """Detector-like boxes: ~n/per_cluster objects, each with jittered copies.

    Object sizes are log-uniform in [20, 245] px, centres uniform in the image;
    each copy moves its centre by N(0, 0.1 * size) and scales w, h by
    exp(N(0, 0.1)); its score is the object's uniform score times U(0, 1).
    """
    k = max(1, n // per_cluster)
    size = torch.exp(torch.empty(k, 2).uniform_(3.0, 5.5, generator=generator))
    centre = torch.rand(k, 2, generator=generator) * torch.tensor(image)
    quality = torch.rand(k, generator=generator)
    c = torch.randint(0, k, (n,), generator=generator)
    wh = size[c] * torch.exp(torch.randn(n, 2, generator=generator) * 0.1)
    xy = centre[c] + torch.randn(n, 2, generator=generator) * size[c] * 0.1
    boxes = torch.cat([xy - wh / 2, xy + wh / 2], 1)
    scores = quality[c] * torch.rand(n, generator=generator)
    return boxes, scores
