_base_ = './base.py'
depth = _base_.model.backbone.depth + 51
resize = _base_.train_pipeline[1]
img_scale = _base_['train_pipeline'][1].img_scale
model = dict(backbone=dict(depth=depth))
