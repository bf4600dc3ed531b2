# VarifocalNet on detkit's synthetic shape scenes: the data, schedule and backbone of
# fcos_r18_fpn_synthetic.py with the head and losses of vfnet_r50_fpn_1x_coco.py,
# scaled down (2 tower convs of 64 channels, 3 levels, anchors of 4 x stride as in
# atss_r18_fpn_synthetic.py, regress ranges / box scales of fcos_r18_fpn_synthetic.py).
_base_ = ['./fcos_r18_fpn_synthetic.py']

model = dict(
    type='VFNet',
    bbox_head=dict(
        _delete_=True,
        type='VFNetHead',
        num_classes=6,
        in_channels=64,
        stacked_convs=2,
        feat_channels=64,
        strides=[8, 16, 32],
        # with use_atss these only set the box scale per level (reg_denom): 32, 64, 128
        regress_ranges=((-1, 32), (32, 64), (64, 1e8)),
        norm_cfg=dict(type='GN', num_groups=16, requires_grad=True),
        center_sampling=False,
        dcn_on_last_conv=False,
        use_atss=True,
        use_vfl=True,
        anchor_generator=dict(
            type='AnchorGenerator',
            ratios=[1.0],
            octave_base_scale=4,
            scales_per_octave=1,
            center_offset=0.0,
            strides=[8, 16, 32]),
        loss_cls=dict(
            type='VarifocalLoss',
            use_sigmoid=True,
            alpha=0.75,
            gamma=2.0,
            iou_weighted=True,
            loss_weight=1.0),
        loss_bbox=dict(type='GIoULoss', loss_weight=1.5),
        loss_bbox_refine=dict(type='GIoULoss', loss_weight=2.0)),
    train_cfg=dict(
        _delete_=True,
        assigner=dict(type='ATSSAssigner', topk=9),
        allowed_border=-1,
        pos_weight=-1,
        debug=False),
    test_cfg=dict(nms=dict(type='nms', iou_threshold=0.6)))
