# YOLOX with a tiny CSPDarknet on detkit's synthetic shape scenes at 128x128, small
# enough to train on a CPU. Make the data with tools/misc/make_synthetic_coco.py (or
# detkit.datasets.synthetic.make_synthetic_dataset) under data/synthetic/.
_base_ = ['../_base_/default_runtime.py']

classes = ('circle', 'square', 'triangle', 'star', 'hexagon', 'cross')
img_scale = (128, 128)  # height, width
model = dict(
    type='YOLOX',
    input_size=img_scale,
    # 96 to 160 pixels, drawn every 10 iterations
    random_size_range=(3, 5),
    random_size_interval=10,
    backbone=dict(type='CSPDarknet', deepen_factor=0.33, widen_factor=0.125),
    neck=dict(
        type='YOLOXPAFPN',
        in_channels=[32, 64, 128],
        out_channels=32,
        num_csp_blocks=1),
    bbox_head=dict(
        type='YOLOXHead', num_classes=len(classes), in_channels=32, feat_channels=32),
    train_cfg=dict(assigner=dict(type='SimOTAAssigner', center_radius=2.5)),
    test_cfg=dict(score_thr=0.01, nms=dict(type='nms', iou_threshold=0.65)))

dataset_type = 'CocoDataset'
data_root = 'data/synthetic/'
img_norm_cfg = dict(mean=[0, 0, 0], std=[1, 1, 1], to_rgb=False)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', img_scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', flip_ratio=0.5),
    dict(type='Pad', pad_to_square=True, pad_val=dict(img=(114.0, 114.0, 114.0))),
    dict(type='DefaultFormatBundle'),
    dict(type='Collect', keys=['img', 'gt_bboxes', 'gt_labels']),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='MultiScaleFlipAug',
        img_scale=img_scale,
        flip=False,
        transforms=[
            dict(type='Resize', keep_ratio=True),
            dict(type='RandomFlip'),
            dict(type='Pad', pad_to_square=True,
                 pad_val=dict(img=(114.0, 114.0, 114.0))),
            dict(type='DefaultFormatBundle'),
            dict(type='Collect', keys=['img']),
        ])
]
data = dict(
    samples_per_gpu=8,
    workers_per_gpu=0,
    train=dict(
        type=dataset_type,
        classes=classes,
        ann_file=data_root + 'annotations/instances_train2017.json',
        img_prefix=data_root + 'train2017/',
        pipeline=train_pipeline),
    val=dict(
        type=dataset_type,
        classes=classes,
        ann_file=data_root + 'annotations/instances_val2017.json',
        img_prefix=data_root + 'val2017/',
        pipeline=test_pipeline),
    test=dict(
        type=dataset_type,
        classes=classes,
        ann_file=data_root + 'annotations/instances_val2017.json',
        img_prefix=data_root + 'val2017/',
        pipeline=test_pipeline))
evaluation = dict(interval=10, metric='bbox')
optimizer = dict(type='Adam', lr=2e-3, weight_decay=0.)
optimizer_config = dict(grad_clip=None)
lr_config = dict(policy='step', warmup='linear', warmup_iters=20, warmup_ratio=0.1,
                 step=[90])
runner = dict(type='EpochBasedRunner', max_epochs=100)
