_base_ = ['../level1.py', '../other.yaml']
model = dict(bbox_head=dict(num_classes=3))
optimizer = dict(lr=0.005)
