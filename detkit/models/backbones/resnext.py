"""``ResNeXt``: ResNet with grouped 3x3 convs (cardinality ``groups``)."""
from __future__ import annotations

from ...registry import BACKBONES
from ..layers.res_layer import ResLayer
from .bottleneck import Bottleneck
from .resnet import ResNet, check_resnet_kwargs


@BACKBONES.register_module()
class ResNeXt(ResNet):
    """ResNeXt backbone (depth 50, 101 or 152).

    Args:
        groups (int): cardinality of the grouped 3x3 convs.
        base_width (int): width per group at ``base_channels`` planes.
        **kwargs: the :class:`ResNet` arguments.
    """

    arch_settings = {
        50: (Bottleneck, (3, 4, 6, 3)),
        101: (Bottleneck, (3, 4, 23, 3)),
        152: (Bottleneck, (3, 8, 36, 3)),
    }

    def __init__(self, groups: int = 1, base_width: int = 4, **kwargs):
        check_resnet_kwargs('ResNeXt', kwargs)
        self.groups = groups
        self.base_width = base_width
        super().__init__(**kwargs)

    def make_res_layer(self, **kwargs) -> ResLayer:
        return ResLayer(groups=self.groups, base_width=self.base_width,
                        base_channels=self.base_channels, **kwargs)
