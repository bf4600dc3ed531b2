"""DefaultOptimizerConstructor: per-parameter lr / weight decay rules (mmcv 1.x)."""

from __future__ import annotations

import warnings
from typing import Any, Optional

import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.instancenorm import _InstanceNorm

from ..registry import OPTIMIZER_BUILDERS, OPTIMIZERS, build_from_cfg
from .utils import unwrap_model

_PARAMWISE_KEYS = (
    'bias_lr_mult',
    'bias_decay_mult',
    'norm_decay_mult',
    'dwconv_decay_mult',
    'dcn_offset_lr_mult',
    'custom_keys',
    'bypass_duplicate',
)
# mmcv's deformable convolutions, recognised by name so no import of the ops is needed
_DCN_NAMES = ('DeformConv2d', 'ModulatedDeformConv2d')


def _is_dcn(module: nn.Module) -> bool:
    return any(c.__name__ in _DCN_NAMES for c in type(module).__mro__)


@OPTIMIZER_BUILDERS.register_module()
class DefaultOptimizerConstructor:
    """Builds an optimizer whose param groups follow ``paramwise_cfg``.

    Rules, per parameter (mmcv 1.x semantics):

    - ``custom_keys`` (dict[str, dict(lr_mult, decay_mult)]): the first key
      (longest first, then alphabetical) contained in the parameter's full
      name ``'<module path>.<param name>'`` sets its lr and decay; no other
      rule applies to it.
    - ``bias_lr_mult``: biases, except those of norm layers and of the
      children of deformable convs.
    - ``dcn_offset_lr_mult``: the conv_offset of deformable convs.
    - ``norm_decay_mult`` (BN/GN/LN/IN weight and bias), else
      ``dwconv_decay_mult`` (Conv2d with ``groups == in_channels``), else
      ``bias_decay_mult`` (biases outside deformable convs).
    - ``bypass_duplicate``: a parameter shared by two modules is added once.

    Frozen parameters (``requires_grad=False``) keep the base settings.

    Args:
        optimizer_cfg (dict): ``dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4)``.
        paramwise_cfg (dict, optional): the rules above.
    """

    def __init__(self, optimizer_cfg: dict, paramwise_cfg: Optional[dict] = None):
        if not isinstance(optimizer_cfg, dict):
            raise TypeError(f'optimizer_cfg must be a dict, but got {type(optimizer_cfg).__name__}')
        self.optimizer_cfg = optimizer_cfg
        self.paramwise_cfg = {} if paramwise_cfg is None else paramwise_cfg
        self.base_lr = optimizer_cfg.get('lr', None)
        self.base_wd = optimizer_cfg.get('weight_decay', None)
        self._validate_cfg()

    def _validate_cfg(self) -> None:
        if not isinstance(self.paramwise_cfg, dict):
            raise TypeError(
                f'paramwise_cfg must be None or a dict, but got {type(self.paramwise_cfg).__name__}'
            )
        unknown = [k for k in self.paramwise_cfg if k not in _PARAMWISE_KEYS]
        if unknown:
            from ..utils.suggest import did_you_mean

            raise KeyError(
                f'unknown paramwise_cfg key {unknown[0]!r}'
                f'{did_you_mean(unknown[0], _PARAMWISE_KEYS)}; accepted: '
                f'{", ".join(_PARAMWISE_KEYS)}'
            )
        custom_keys = self.paramwise_cfg.get('custom_keys', {})
        if not isinstance(custom_keys, dict):
            raise TypeError(
                f'paramwise_cfg.custom_keys must be a dict, but got {type(custom_keys).__name__}'
            )
        if self.base_wd is None:
            for key, rule in custom_keys.items():
                if 'decay_mult' in rule:
                    raise ValueError(
                        f'paramwise_cfg.custom_keys[{key!r}] sets decay_mult, so the '
                        'optimizer config needs weight_decay'
                    )
            for key in ('bias_decay_mult', 'norm_decay_mult', 'dwconv_decay_mult'):
                if key in self.paramwise_cfg:
                    raise ValueError(
                        f'paramwise_cfg sets {key}, so the optimizer config needs weight_decay'
                    )
        if custom_keys and self.base_lr is None:
            raise ValueError(
                'paramwise_cfg.custom_keys set lr_mult, so the optimizer config needs lr'
            )

    @staticmethod
    def _is_in(param_group: dict, param_group_list: list) -> bool:
        ids = {id(p) for group in param_group_list for p in group['params']}
        return any(id(p) in ids for p in param_group['params'])

    def add_params(
        self,
        params: list,
        module: nn.Module,
        prefix: str = '',
        is_dcn_module: Optional[bool] = None,
    ) -> None:
        """Append one param group per parameter of ``module`` (recursively) to ``params``."""
        cfg = self.paramwise_cfg
        custom_keys = cfg.get('custom_keys', {})
        # longest key first, so 'backbone.layer1' wins over 'backbone'; ties alphabetical
        sorted_keys = sorted(sorted(custom_keys.keys()), key=len, reverse=True)
        bias_lr_mult = cfg.get('bias_lr_mult', 1.0)
        bias_decay_mult = cfg.get('bias_decay_mult', 1.0)
        norm_decay_mult = cfg.get('norm_decay_mult', 1.0)
        dwconv_decay_mult = cfg.get('dwconv_decay_mult', 1.0)
        dcn_offset_lr_mult = cfg.get('dcn_offset_lr_mult', 1.0)
        bypass_duplicate = cfg.get('bypass_duplicate', False)

        is_norm = isinstance(module, (_BatchNorm, _InstanceNorm, nn.GroupNorm, nn.LayerNorm))
        is_dwconv = isinstance(module, nn.Conv2d) and module.in_channels == module.groups

        for name, param in module.named_parameters(recurse=False):
            group: dict[str, Any] = {'params': [param]}
            if not param.requires_grad:
                params.append(group)
                continue
            if bypass_duplicate and self._is_in(group, params):
                warnings.warn(
                    f'{prefix}.{name} is shared with an earlier module; it is skipped '
                    'since bypass_duplicate=True',
                    stacklevel=2,
                )
                continue
            full_name = f'{prefix}.{name}'
            key = next((k for k in sorted_keys if k in full_name), None)
            if key is not None:
                group['lr'] = self.base_lr * custom_keys[key].get('lr_mult', 1.0)
                if self.base_wd is not None:
                    group['weight_decay'] = self.base_wd * custom_keys[key].get('decay_mult', 1.0)
                params.append(group)
                continue
            if name == 'bias' and not (is_norm or is_dcn_module):
                group['lr'] = self.base_lr * bias_lr_mult
            if 'conv_offset' in prefix and is_dcn_module and isinstance(module, nn.Conv2d):
                group['lr'] = self.base_lr * dcn_offset_lr_mult  # weight and bias of the offset
            if self.base_wd is not None:
                if is_norm:
                    group['weight_decay'] = self.base_wd * norm_decay_mult
                elif is_dwconv:
                    group['weight_decay'] = self.base_wd * dwconv_decay_mult
                elif name == 'bias' and not is_dcn_module:
                    group['weight_decay'] = self.base_wd * bias_decay_mult
            params.append(group)

        # the DCN flag describes the parent: it marks the parent's conv_offset child
        child_is_dcn = _is_dcn(module)
        for child_name, child in module.named_children():
            child_prefix = f'{prefix}.{child_name}' if prefix else child_name
            self.add_params(params, child, prefix=child_prefix, is_dcn_module=child_is_dcn)

    def __call__(self, model: nn.Module) -> Any:
        model = unwrap_model(model)
        optimizer_cfg = dict(self.optimizer_cfg)
        if not self.paramwise_cfg:
            optimizer_cfg['params'] = model.parameters()
        else:
            params: list = []
            self.add_params(params, model)
            optimizer_cfg['params'] = params
        return build_from_cfg(optimizer_cfg, OPTIMIZERS)
