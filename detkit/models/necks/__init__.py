"""Necks. Importing this package registers every one of them in NECKS."""
from .fpn import FPN

__all__ = ['FPN']
