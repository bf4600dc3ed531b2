"""Necks. Importing this package registers every one of them in NECKS."""
from .channel_mapper import ChannelMapper
from .detection_block import DetectionBlock
from .dilated_encoder import DilatedEncoder
from .fpn import FPN
from .hrfpn import HRFPN
from .l2_norm import L2Norm
from .pafpn import PAFPN
from .ssd_neck import SSDNeck
from .yolov3_neck import YOLOV3Neck
from .yolox_pafpn import YOLOXPAFPN

__all__ = ['ChannelMapper', 'DetectionBlock', 'DilatedEncoder', 'FPN', 'HRFPN', 'L2Norm', 'PAFPN',
           'SSDNeck', 'YOLOV3Neck', 'YOLOXPAFPN']
