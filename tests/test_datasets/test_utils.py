"""detkit.datasets.utils: replace_ImageToTensor, get_loading_pipeline."""
import pytest

from detkit.datasets.utils import get_loading_pipeline, replace_ImageToTensor


def test_replace_image_to_tensor_also_inside_tta():
    pipeline = [dict(type='LoadImageFromFile'),
                dict(type='MultiScaleFlipAug', img_scale=(1333, 800), flip=False,
                     transforms=[dict(type='Resize', keep_ratio=True),
                                 dict(type='ImageToTensor', keys=['img']),
                                 dict(type='Collect', keys=['img'])])]
    with pytest.warns(UserWarning, match='replaced by "DefaultFormatBundle"'):
        out = replace_ImageToTensor(pipeline)
    assert out[1]['transforms'][1] == dict(type='DefaultFormatBundle')
    assert pipeline[1]['transforms'][1]['type'] == 'ImageToTensor'  # input untouched


def test_get_loading_pipeline():
    pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True),
                dict(type='Resize', img_scale=(10, 10)), dict(type='Collect', keys=['img'])]
    assert get_loading_pipeline(pipeline) == pipeline[:2]
    with pytest.raises(ValueError, match="found \\['LoadImageFromFile'\\]"):
        get_loading_pipeline(pipeline[:1])
