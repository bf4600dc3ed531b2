# Seed manual chapter 11: Adam optimizer (11.1.1) and gradient clipping with
# _delete_ (11.1.4) over the Mask R-CNN example.
_base_ = './mask_rcnn_r50_fpn_1x_coco.py'
optimizer = dict(type='Adam', lr=0.0003, weight_decay=0.0001)
optimizer_config = dict(
    _delete_=True, grad_clip=dict(max_norm=35, norm_type=2))
