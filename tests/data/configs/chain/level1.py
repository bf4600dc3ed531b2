_base_ = './level0.json'
model = dict(backbone=dict(depth=101), bbox_head=dict(type='RetinaHaed'))
