"""detkit's compiled ops: NMS variants, RoI feature extractors, box overlaps, fused losses.

Importing this package loads the extension ``detkit._C`` (which registers
``torch.ops.detkit.*``) and raises an ImportError explaining how to build it
when it is absent.
"""
from . import _fake  # noqa: F401  (fake kernels for torch.compile)
from ._ext import compiled_ops, cuda_compiled
from .bbox_overlaps import bbox_overlaps

__all__ = ['bbox_overlaps', 'compiled_ops', 'cuda_compiled']
