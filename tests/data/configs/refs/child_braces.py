_base_ = './base.py'
item_list = {{_base_.item1}}
item_cfg = {{_base_.item2}}
flag = {{ _base_.item3 }}
depth = {{_base_.model.backbone.depth}}
resize = '{{_base_.train_pipeline.1}}'
item2 = dict(b=1)
