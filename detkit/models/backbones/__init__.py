"""Backbones. Importing this package registers every one of them in BACKBONES."""
from .basic_block import BasicBlock
from .bottleneck import Bottleneck
from .csp_darknet import CSPDarknet
from .darknet import Darknet
from .hr_module import HRModule
from .hrnet import HRNet
from .mobilenet_v2 import MobileNetV2
from .regnet import RegNet
from .resnet import ResNet
from .resnet_v1d import ResNetV1d
from .resnext import ResNeXt
from .ssd_vgg import SSDVGG

__all__ = ['BasicBlock', 'Bottleneck', 'CSPDarknet', 'Darknet', 'HRModule', 'HRNet',
           'MobileNetV2', 'RegNet', 'ResNet', 'ResNetV1d', 'ResNeXt', 'SSDVGG']
