"""Building blocks: conv/norm/activation/upsample builders, ConvModule, weight init.

Importing this package registers every layer type in CONV_LAYERS, NORM_LAYERS,
ACTIVATION_LAYERS, UPSAMPLE_LAYERS and PLUGIN_LAYERS.
"""
from .activation import build_activation_layer
from .activations import GELU, Clamp, HSigmoid, HSwish, Swish
from .base_module import BaseModule, ModuleDict, ModuleList, Sequential
from .conv import build_conv_layer
from .conv_module import ConvModule
from .depthwise_separable_conv_module import DepthwiseSeparableConvModule
from .initializers import (
                           INITIALIZERS,
                           Caffe2XavierInit,
                           ConstantInit,
                           KaimingInit,
                           NormalInit,
                           PretrainedInit,
                           TruncNormalInit,
                           UniformInit,
                           XavierInit,
                           initialize,
)
from .norm import build_norm_layer, infer_abbr
from .padding import build_padding_layer
from .pixel_shuffle_pack import PixelShufflePack
from .scale import Scale
from .upsample import build_upsample_layer
from .weight_init import (
                           bias_init_with_prob,
                           caffe2_xavier_init,
                           constant_init,
                           kaiming_init,
                           normal_init,
                           trunc_normal_init,
                           uniform_init,
                           xavier_init,
)

__all__ = [
    'build_activation_layer', 'GELU', 'Clamp', 'HSigmoid', 'HSwish', 'Swish', 'BaseModule',
    'ModuleDict', 'ModuleList', 'Sequential', 'build_conv_layer', 'ConvModule',
    'DepthwiseSeparableConvModule', 'INITIALIZERS', 'Caffe2XavierInit', 'ConstantInit',
    'KaimingInit', 'NormalInit', 'PretrainedInit', 'TruncNormalInit', 'UniformInit',
    'XavierInit', 'initialize', 'build_norm_layer', 'infer_abbr', 'build_padding_layer',
    'PixelShufflePack', 'Scale', 'build_upsample_layer', 'bias_init_with_prob',
    'caffe2_xavier_init', 'constant_init', 'kaiming_init', 'normal_init', 'trunc_normal_init',
    'uniform_init', 'xavier_init',
]
