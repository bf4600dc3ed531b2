"""``BaseModule``: an ``nn.Module`` initialised by its ``init_cfg``.

``init_weights()`` applies this module's ``init_cfg`` first, then calls
``init_weights()`` of its children, so a child's own ``init_cfg`` wins over its
parent's (mmcv 1.x semantics). After a ``Pretrained`` init the children are left
alone, so the loaded weights are not overwritten.
"""
from __future__ import annotations

import copy
import warnings
from typing import Iterable, Optional, Union

import torch.nn as nn

from .initializers import initialize


class BaseModule(nn.Module):
    """Base class of detkit's models.

    Args:
        init_cfg (dict | list[dict], optional): initialisation config.
    """

    def __init__(self, init_cfg: Union[dict, list, None] = None):
        super().__init__()
        self._is_init = False
        self.init_cfg = copy.deepcopy(init_cfg)

    @property
    def is_init(self) -> bool:
        return self._is_init

    def init_weights(self) -> None:
        """Initialise the parameters from ``init_cfg``, then the children's."""
        if self._is_init:
            warnings.warn(f'init_weights of {self.__class__.__name__} has been called '
                          f'more than once.', stacklevel=2)
            return
        if self.init_cfg:
            initialize(self, self.init_cfg)
            if isinstance(self.init_cfg, dict) and self.init_cfg.get('type') == 'Pretrained':
                return
        for m in self.children():
            if hasattr(m, 'init_weights'):
                m.init_weights()
        self._is_init = True

    def __repr__(self) -> str:
        s = super().__repr__()
        if self.init_cfg:
            s += f'\ninit_cfg={self.init_cfg}'
        return s


class Sequential(BaseModule, nn.Sequential):
    """``nn.Sequential`` with an ``init_cfg``."""

    def __init__(self, *args: nn.Module, init_cfg: Union[dict, list, None] = None):
        BaseModule.__init__(self, init_cfg)
        nn.Sequential.__init__(self, *args)


class ModuleList(BaseModule, nn.ModuleList):
    """``nn.ModuleList`` with an ``init_cfg``."""

    def __init__(self, modules: Optional[Iterable[nn.Module]] = None,
                 init_cfg: Union[dict, list, None] = None):
        BaseModule.__init__(self, init_cfg)
        nn.ModuleList.__init__(self, modules)


class ModuleDict(BaseModule, nn.ModuleDict):
    """``nn.ModuleDict`` with an ``init_cfg``."""

    def __init__(self, modules: Optional[dict] = None,
                 init_cfg: Union[dict, list, None] = None):
        BaseModule.__init__(self, init_cfg)
        nn.ModuleDict.__init__(self, modules)
