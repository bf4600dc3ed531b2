"""Config system: MMCV 1.x compatible ``Config``/``ConfigDict``/``DictAction``.

``Config.fromfile`` reads .py/.json/.yaml configs with ``_base_`` inheritance,
``_delete_``, predefined variables and base-variable references; every
ConfigDict node remembers its file and key path (``describe_source``).
"""

from ._source import describe_source
from .config import Config
from .config_dict import ConfigDict
from .dict_action import DictAction

__all__ = ['Config', 'ConfigDict', 'DictAction', 'describe_source']
