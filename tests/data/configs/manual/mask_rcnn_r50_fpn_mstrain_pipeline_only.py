# The mistake 7.6.2 warns about: only the intermediate variable is redefined;
# `data.train.pipeline` of the base keeps the base's (single-scale) pipeline.
_base_ = './mask_rcnn_r50_fpn_1x_coco.py'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='Resize',
        img_scale=[(1333, 640), (1333, 800)],
        multiscale_mode='range',
        keep_ratio=True),
]
