"""Necks. Importing this package registers every one of them in NECKS."""
from .fpn import FPN
from .yolox_pafpn import YOLOXPAFPN

__all__ = ['FPN', 'YOLOXPAFPN']
