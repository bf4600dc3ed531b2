item1 = [1, 2]
item2 = dict(a=0)
item3 = True
model = dict(type='RetinaNet', backbone=dict(type='ResNet', depth=50))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', img_scale=(1333, 800), keep_ratio=True),
]
