from detkit.datasets.pipelines import Compose


def test_wrap_fields_to_lists():
    c = Compose([dict(type='Collect', keys=['img'], meta_keys=['filename']),
                 dict(type='WrapFieldsToLists')])
    out = c(dict(img=1, filename='f', other=2))
    assert out == {'img_metas': [{'filename': 'f'}], 'img': [1]}
