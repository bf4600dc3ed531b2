"""``ResNetV1d``: ResNet with a deep stem and average-pool shortcuts (ResNet-D)."""
from __future__ import annotations

from ...registry import BACKBONES
from .resnet import ResNet, check_resnet_kwargs


@BACKBONES.register_module()
class ResNetV1d(ResNet):
    """ResNet-D: ``deep_stem=True`` (three 3x3 convs) and ``avg_down=True``.

    See :class:`ResNet` for the arguments (``deep_stem``/``avg_down`` are fixed).
    """

    def __init__(self, **kwargs):
        for fixed in ('deep_stem', 'avg_down'):
            if fixed in kwargs:
                raise TypeError(f'ResNetV1d fixes {fixed}=True; do not pass it')
        check_resnet_kwargs('ResNetV1d', kwargs)
        super().__init__(deep_stem=True, avg_down=True, **kwargs)
