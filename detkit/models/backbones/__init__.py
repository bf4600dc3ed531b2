"""Backbones. Importing this package registers every one of them in BACKBONES."""
from .basic_block import BasicBlock
from .bottleneck import Bottleneck
from .csp_darknet import CSPDarknet
from .resnet import ResNet
from .resnet_v1d import ResNetV1d
from .resnext import ResNeXt

__all__ = ['BasicBlock', 'Bottleneck', 'CSPDarknet', 'ResNet', 'ResNetV1d', 'ResNeXt']
