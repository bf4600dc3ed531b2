# Gradient clipping WITHOUT _delete_: the base has grad_clip=None, so the child
# dict cannot be merged into it.
_base_ = './mask_rcnn_r50_fpn_1x_coco.py'
optimizer_config = dict(grad_clip=dict(max_norm=35, norm_type=2))
