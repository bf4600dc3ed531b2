"""Samplers (BBOX_SAMPLERS): pick positives and negatives from an assignment."""
from .base_sampler import BaseSampler
from .combined_sampler import CombinedSampler
from .instance_balanced_pos_sampler import InstanceBalancedPosSampler
from .iou_balanced_neg_sampler import IoUBalancedNegSampler
from .ohem_sampler import OHEMSampler
from .pseudo_sampler import PseudoSampler
from .random_sampler import RandomSampler
from .sampling_result import SamplingResult

__all__ = ['BaseSampler', 'CombinedSampler', 'InstanceBalancedPosSampler',
           'IoUBalancedNegSampler', 'OHEMSampler', 'PseudoSampler', 'RandomSampler',
           'SamplingResult']
