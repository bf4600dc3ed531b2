"""detkit: a config-driven, modular object-detection toolbox for PyTorch.

Importing ``detkit`` is cheap: it loads no models and registers nothing.
Import ``detkit.models`` / ``detkit.datasets`` to register their components.
"""
from .version import __version__

__all__ = ['__version__']
