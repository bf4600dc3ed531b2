import pytest

import detkit.models  # noqa: F401
from detkit.models import task_modules
from detkit.registry import (
    BBOX_ASSIGNERS,
    BBOX_CODERS,
    BBOX_SAMPLERS,
    IOU_CALCULATORS,
    MATCH_COSTS,
    PRIOR_GENERATORS,
)


def test_registries_hold_the_mmdet_names():
    expected = {
        BBOX_ASSIGNERS: ['MaxIoUAssigner', 'ApproxMaxIoUAssigner', 'ATSSAssigner',
                         'CenterRegionAssigner', 'PointAssigner', 'GridAssigner',
                         'SimOTAAssigner', 'TaskAlignedAssigner', 'HungarianAssigner',
                         'UniformAssigner'],
        BBOX_SAMPLERS: ['RandomSampler', 'PseudoSampler', 'OHEMSampler',
                        'InstanceBalancedPosSampler', 'IoUBalancedNegSampler'],
        BBOX_CODERS: ['DeltaXYWHBBoxCoder', 'LegacyDeltaXYWHBBoxCoder', 'TBLRBBoxCoder',
                      'DistancePointBBoxCoder', 'YOLOBBoxCoder', 'PseudoBBoxCoder'],
        PRIOR_GENERATORS: ['AnchorGenerator', 'SSDAnchorGenerator', 'YOLOAnchorGenerator',
                           'LegacyAnchorGenerator', 'MlvlPointGenerator'],
        IOU_CALCULATORS: ['BboxOverlaps2D'],
        MATCH_COSTS: ['ClassificationCost', 'FocalLossCost', 'BBoxL1Cost', 'IoUCost'],
    }
    for registry, names in expected.items():
        for name in names:
            assert registry.get(name) is not None, (registry.name, name)


def test_builders_and_errors():
    a = task_modules.build_assigner(dict(type='mmdet.MaxIoUAssigner', pos_iou_thr=0.5,
                                         neg_iou_thr=0.4))
    assert a.pos_iou_thr == 0.5
    with pytest.raises(TypeError, match="did you mean 'pos_iou_thr'"):
        task_modules.build_assigner(dict(type='MaxIoUAssigner', pos_iou_th=0.5,
                                         neg_iou_thr=0.4))
    with pytest.raises(KeyError, match="did you mean 'RandomSampler'"):
        task_modules.build_sampler(dict(type='RandomSampeler', num=1, pos_fraction=0.5))
    with pytest.raises(TypeError, match='missing required argument'):
        task_modules.build_prior_generator(dict(type='AnchorGenerator', ratios=[1.0]))
