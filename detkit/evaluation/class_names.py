"""Class names of the standard datasets, by name or alias: ``get_classes('coco')``."""
from __future__ import annotations

from detkit.utils.suggest import did_you_mean


def voc_classes() -> list[str]:
    return ['aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair',
            'cow', 'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant',
            'sheep', 'sofa', 'train', 'tvmonitor']


def coco_classes() -> list[str]:
    return [
        'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat',
        'traffic_light', 'fire_hydrant', 'stop_sign', 'parking_meter', 'bench', 'bird', 'cat',
        'dog', 'horse', 'sheep', 'cow', 'elephant', 'bear', 'zebra', 'giraffe', 'backpack',
        'umbrella', 'handbag', 'tie', 'suitcase', 'frisbee', 'skis', 'snowboard',
        'sports_ball', 'kite', 'baseball_bat', 'baseball_glove', 'skateboard', 'surfboard',
        'tennis_racket', 'bottle', 'wine_glass', 'cup', 'fork', 'knife', 'spoon', 'bowl',
        'banana', 'apple', 'sandwich', 'orange', 'broccoli', 'carrot', 'hot_dog', 'pizza',
        'donut', 'cake', 'chair', 'couch', 'potted_plant', 'bed', 'dining_table', 'toilet',
        'tv', 'laptop', 'mouse', 'remote', 'keyboard', 'cell_phone', 'microwave', 'oven',
        'toaster', 'sink', 'refrigerator', 'book', 'clock', 'vase', 'scissors',
        'teddy_bear', 'hair_drier', 'toothbrush']


def cityscapes_classes() -> list[str]:
    return ['person', 'rider', 'car', 'truck', 'bus', 'train', 'motorcycle', 'bicycle']


def wider_face_classes() -> list[str]:
    return ['face']


def shapes_classes() -> list[str]:
    """The classes of detkit's synthetic shape scenes (``detkit.datasets.synthetic``)."""
    return ['circle', 'square', 'triangle', 'star', 'hexagon', 'cross']


#: canonical name -> its aliases (MMDetection's, plus 'shapes').
dataset_aliases = {
    'voc': ['voc', 'pascal_voc', 'voc07', 'voc12'],
    'coco': ['coco', 'mscoco', 'ms_coco'],
    'wider_face': ['WIDERFaceDataset', 'wider_face', 'WIDERFace'],
    'cityscapes': ['cityscapes'],
    'shapes': ['shapes', 'synthetic_shapes'],
}

_GETTERS = {'voc': voc_classes, 'coco': coco_classes, 'wider_face': wider_face_classes,
            'cityscapes': cityscapes_classes, 'shapes': shapes_classes}


def get_classes(dataset: str) -> list[str]:
    """Class names of ``dataset`` (a name or alias from :data:`dataset_aliases`)."""
    if not isinstance(dataset, str):
        raise TypeError(f'dataset must be a str, but got {type(dataset).__name__}')
    for name, aliases in dataset_aliases.items():
        if dataset in aliases:
            return _GETTERS[name]()
    known = [a for aliases in dataset_aliases.values() for a in aliases]
    raise ValueError(f'Unrecognized dataset: {dataset!r}{did_you_mean(dataset, known)}; '
                     f'known names: {", ".join(known)}')
