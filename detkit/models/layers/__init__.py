"""Building blocks: conv/norm/activation/upsample/linear builders, ConvModule, weight init,
and the blocks backbones and necks share (ResLayer, CSPLayer, InvertedResidual, ...).

Importing this package registers every layer type in CONV_LAYERS, NORM_LAYERS,
ACTIVATION_LAYERS, UPSAMPLE_LAYERS and PLUGIN_LAYERS.
"""
from .activation import build_activation_layer
from .activations import Clamp, HSigmoid, HSwish, Swish
from .base_module import BaseModule, ModuleDict, ModuleList, Sequential
from .context_block import ContextBlock
from .conv import build_conv_layer
from .conv_module import ConvModule
from .conv_ws import ConvWS2d
from .csp_layer import CSPLayer
from .darknet_bottleneck import DarknetBottleneck
from .darknet_res_block import ResBlock
from .depthwise_separable_conv_module import DepthwiseSeparableConvModule
from .focus import Focus
from .fuse_conv_bn import fuse_conv_bn
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
from .inverted_residual import InvertedResidual
from .linear import LINEAR_LAYERS, NormedLinear, build_linear_layer
from .make_divisible import make_divisible
from .norm import build_norm_layer, infer_abbr
from .padding import build_padding_layer
from .pixel_shuffle_pack import PixelShufflePack
from .plugin import build_plugin_layer
from .res_layer import ResLayer
from .scale import Scale
from .se_layer import SELayer
from .spp_bottleneck import SPPBottleneck
from .sync_bn import revert_sync_batchnorm
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
    'build_activation_layer', 'Clamp', 'HSigmoid', 'HSwish', 'Swish', 'BaseModule',
    'ModuleDict', 'ModuleList', 'Sequential', 'build_conv_layer', 'ContextBlock', 'ConvModule',
    'ConvWS2d',
    'CSPLayer', 'DarknetBottleneck', 'ResBlock', 'DepthwiseSeparableConvModule', 'Focus',
    'fuse_conv_bn',
    'INITIALIZERS', 'Caffe2XavierInit', 'ConstantInit', 'KaimingInit', 'NormalInit',
    'PretrainedInit', 'TruncNormalInit', 'UniformInit', 'XavierInit', 'initialize',
    'InvertedResidual', 'LINEAR_LAYERS', 'NormedLinear', 'build_linear_layer', 'make_divisible',
    'build_norm_layer', 'infer_abbr', 'build_padding_layer', 'PixelShufflePack',
    'build_plugin_layer', 'ResLayer', 'revert_sync_batchnorm', 'Scale', 'SELayer',
    'SPPBottleneck',
    'build_upsample_layer', 'bias_init_with_prob', 'caffe2_xavier_init', 'constant_init',
    'kaiming_init', 'normal_init', 'trunc_normal_init', 'uniform_init', 'xavier_init',
]
