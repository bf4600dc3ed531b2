"""Detectors (DETECTORS): whole models from image to result."""
from .base import BaseDetector
from .retinanet import RetinaNet
from .rpn import RPN
from .single_stage import SingleStageDetector

__all__ = ['BaseDetector', 'SingleStageDetector', 'RetinaNet', 'RPN']
