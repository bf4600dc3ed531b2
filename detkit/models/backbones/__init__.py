"""Backbones. Importing this package registers every one of them in BACKBONES."""
from .basic_block import BasicBlock
from .bottleneck import Bottleneck
from .resnet import ResNet
from .resnet_v1d import ResNetV1d
from .resnext import ResNeXt

__all__ = ['BasicBlock', 'Bottleneck', 'ResNet', 'ResNetV1d', 'ResNeXt']
