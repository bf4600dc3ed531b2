"""Backbones. Importing this package registers every one of them in BACKBONES."""
from .basic_block import BasicBlock
from .bottle2neck import Bottle2neck
from .bottleneck import Bottleneck
from .csp_darknet import CSPDarknet
from .darknet import Darknet
from .hr_module import HRModule
from .hrnet import HRNet
from .mobilenet_v2 import MobileNetV2
from .regnet import RegNet
from .res2net import Res2Net
from .resnet import ResNet
from .resnet_v1d import ResNetV1d
from .resnext import ResNeXt
from .ssd_vgg import SSDVGG

__all__ = ['BasicBlock', 'Bottle2neck', 'Bottleneck', 'CSPDarknet', 'Darknet', 'HRModule', 'HRNet',
           'MobileNetV2', 'RegNet', 'Res2Net', 'ResNet', 'ResNetV1d', 'ResNeXt', 'SSDVGG']
