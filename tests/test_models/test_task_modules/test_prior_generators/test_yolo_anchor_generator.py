import torch

from detkit.models.task_modules import build_prior_generator

YOLOV3 = dict(type='YOLOAnchorGenerator', strides=[32, 16, 8],
              base_sizes=[[(116, 90), (156, 198), (373, 326)],
                          [(30, 61), (62, 45), (59, 119)],
                          [(10, 13), (16, 30), (33, 23)]])


def test_yolov3_anchors_hand_computed():
    gen = build_prior_generator(YOLOV3)
    assert gen.num_levels == 3 and gen.num_base_priors == [3, 3, 3]
    anchors = gen.grid_priors([(2, 3), (4, 6), (8, 12)], device='cpu')
    # level 0, cell (row 1, col 2): centre (16 + 64, 16 + 32) = (80, 48)
    cell = 1 * 3 + 2
    got = anchors[0][cell * 3:(cell + 1) * 3].tolist()
    assert got == [[80 - 58, 48 - 45, 80 + 58, 48 + 45],
                   [80 - 78, 48 - 99, 80 + 78, 48 + 99],
                   [80 - 186.5, 48 - 163, 80 + 186.5, 48 + 163]]
    # level 2, cell (0, 0): centre (4, 4)
    assert anchors[2][0].tolist() == [-1, -2.5, 9, 10.5]


def test_responsible_flags():
    gen = build_prior_generator(YOLOV3)
    gt = torch.tensor([[40., 10., 60., 30.]])  # centre (50, 20)
    flags = gen.responsible_flags([(2, 3), (4, 6), (8, 12)], gt, device='cpu')
    assert flags[0].dtype == torch.uint8 and flags[0].numel() == 18
    # stride 32: cell (0, 1) -> anchors 3..5
    assert flags[0].nonzero().view(-1).tolist() == [3, 4, 5]
    # stride 8: cell (2, 6) -> index 2 * 12 + 6 = 30
    assert flags[2].nonzero().view(-1).tolist() == [90, 91, 92]


def test_base_anchors_mmdetection_tests_expect():
    gen = build_prior_generator(YOLOV3)
    want = [[[-42.0, -29.0, 74.0, 61.0], [-62.0, -83.0, 94.0, 115.0],
             [-170.5, -147.0, 202.5, 179.0]],
            [[-7.0, -22.5, 23.0, 38.5], [-23.0, -14.5, 39.0, 30.5], [-21.5, -51.5, 37.5, 67.5]],
            [[-1.0, -2.5, 9.0, 10.5], [-4.0, -11.0, 12.0, 19.0], [-12.5, -7.5, 20.5, 15.5]]]
    for level, base in enumerate(gen.base_anchors):
        assert base.tolist() == want[level]
    idx = torch.tensor([0, 2, 4, 5, 6, 9])
    full = gen.grid_priors([(14, 18), (28, 36), (56, 72)], device='cpu')
    for level, size in enumerate([(14, 18), (28, 36), (56, 72)]):
        assert torch.equal(gen.sparse_priors(idx, size, level, device='cpu'), full[level][idx])
