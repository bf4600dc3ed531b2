# TOOD on detkit's synthetic shape scenes: the data, schedule and backbone of
# fcos_r18_fpn_synthetic.py with the head, losses and assigners of
# tood_r50_fpn_1x_coco.py, scaled down (2 tower convs of 64 channels, 3 levels,
# anchors of 4 x stride as in atss_r18_fpn_synthetic.py). The first `initial_epoch`
# epochs train with ATSS and focal loss (SetEpochInfoHook tells the head the epoch).
_base_ = ['./fcos_r18_fpn_synthetic.py']

model = dict(
    type='TOOD',
    neck=dict(relu_before_extra_convs=False),
    bbox_head=dict(
        _delete_=True,
        type='TOODHead',
        num_classes=6,
        in_channels=64,
        stacked_convs=2,
        feat_channels=64,
        norm_cfg=dict(type='GN', num_groups=16, requires_grad=True),
        anchor_type='anchor_free',
        anchor_generator=dict(
            type='AnchorGenerator',
            ratios=[1.0],
            octave_base_scale=4,
            scales_per_octave=1,
            strides=[8, 16, 32]),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[.0, .0, .0, .0],
            target_stds=[0.1, 0.1, 0.2, 0.2]),
        initial_loss_cls=dict(
            type='FocalLoss',
            use_sigmoid=True,
            activated=True,  # use probability instead of logit as input
            gamma=2.0,
            alpha=0.25,
            loss_weight=1.0),
        loss_cls=dict(
            type='QualityFocalLoss',
            use_sigmoid=True,
            activated=True,  # use probability instead of logit as input
            beta=2.0,
            loss_weight=1.0),
        loss_bbox=dict(type='GIoULoss', loss_weight=2.0)),
    train_cfg=dict(
        _delete_=True,
        initial_epoch=4,
        initial_assigner=dict(type='ATSSAssigner', topk=9),
        assigner=dict(type='TaskAlignedAssigner', topk=13),
        alpha=1,
        beta=6,
        allowed_border=-1,
        pos_weight=-1,
        debug=False),
    test_cfg=dict(nms=dict(type='nms', iou_threshold=0.6)))

custom_hooks = [dict(type='SetEpochInfoHook')]
