# The same replacement without _delete_: ResNet keys of the base leak in.
_base_ = './mask_rcnn_r50_small.py'
model = dict(backbone=dict(type='HRNet', extra=dict(stage1=dict(num_modules=1))))
