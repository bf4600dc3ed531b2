# RPN alone on detkit's synthetic shape scenes: the proposal stage of
# faster_rcnn_r18_fpn_synthetic.py (same backbone, neck, anchors and losses), trained and
# evaluated class-agnostically (proposal recall), as configs/rpn/rpn_r50_fpn_1x_coco.py.
_base_ = ['./faster_rcnn_r18_fpn_synthetic.py']

# the base's backbone, neck, RPN head and RPN train/test settings; no RoI head
model = dict(
    _delete_=True,
    type='RPN',
    backbone={{_base_.model.backbone}},
    neck={{_base_.model.neck}},
    rpn_head={{_base_.model.rpn_head}},
    train_cfg=dict(rpn={{_base_.model.train_cfg.rpn}}),
    test_cfg=dict(rpn={{_base_.model.test_cfg.rpn}}))

img_norm_cfg = dict(
    mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_label=False),
    dict(type='Resize', img_scale=(256, 256), keep_ratio=True),
    dict(type='RandomFlip', flip_ratio=0.5),
    dict(type='Normalize', **img_norm_cfg),
    dict(type='Pad', size_divisor=32),
    dict(type='DefaultFormatBundle'),
    dict(type='Collect', keys=['img', 'gt_bboxes']),
]
data = dict(train=dict(pipeline=train_pipeline))
evaluation = dict(interval=1, metric='proposal_fast')
