"""detkit.visualization: imshow_det_bboxes and palettes."""
import cv2
import numpy as np
import pytest

from detkit.visualization import get_palette, imshow_det_bboxes, palette_val


def test_palettes():
    assert get_palette('green', 3) == [(0, 255, 0)] * 3
    assert get_palette((1, 2, 3), 2) == [(1, 2, 3)] * 2
    assert get_palette(None, 4) == get_palette('random', 4)  # fixed seed
    coco = get_palette('coco', 80)
    assert len(set(coco)) == 80
    assert palette_val([(255, 0, 51)]) == [(1.0, 0.0, 0.2)]
    with pytest.raises(ValueError, match="did you mean 'green'"):
        get_palette('gren', 2)
    with pytest.raises(ValueError, match='2 colours for 3 classes'):
        get_palette([(0, 0, 0), (1, 1, 1)], 3)


def test_imshow_det_bboxes_draws_boxes_masks_and_filters(tmp_path):
    img = np.full((64, 96, 3), 40, np.uint8)
    bboxes = np.array([[10, 10, 50, 40, 0.9], [60, 5, 90, 30, 0.1]], dtype=np.float32)
    labels = np.array([0, 1, 1])
    segms = np.zeros((3, 64, 96), bool)
    segms[2, 45:60, 60:90] = True  # a mask without a box
    out_file = tmp_path / 'sub' / 'vis.png'
    out = imshow_det_bboxes(img, bboxes, labels, segms, class_names=['a', 'b'],
                            bbox_color=(255, 0, 0), mask_color=[(0, 0, 0), (200, 100, 0)],
                            show=False, out_file=str(out_file))
    assert out.shape == img.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(cv2.imread(str(out_file)), out)
    # left edge of box 0 (x=10) is drawn red-ish (BGR: high R, low B)
    edge = out[25, 10].astype(int)
    assert edge[2] > 150 and edge[0] < 100
    # inside a box, far from text and edges, the image is untouched
    np.testing.assert_array_equal(out[35, 40], [40, 40, 40])
    # mask interior: 0.5 * 40 + 0.5 * (200, 100, 0) in RGB -> BGR (20, 70, 120)
    np.testing.assert_allclose(out[52, 70], [20, 70, 120], atol=2)
    # score_thr drops box 1 (score 0.1) and its mask entry
    out2 = imshow_det_bboxes(img, bboxes, labels[:2], score_thr=0.5, bbox_color=(255, 0, 0),
                             show=False)
    np.testing.assert_array_equal(out2[20, 60], [40, 40, 40])  # box 1's left edge: gone
    assert out[20, 60, 2] > 150
    with pytest.raises(ValueError, match='needs \\(N, 5\\) bboxes'):
        imshow_det_bboxes(img, bboxes[:, :4], labels[:2], score_thr=0.3, show=False)
    with pytest.raises(FileNotFoundError, match='nope.jpg'):
        imshow_det_bboxes(str(tmp_path / 'nope.jpg'), bboxes, labels, show=False)


def test_no_detections_leaves_the_image_unchanged():
    img = np.random.default_rng(0).integers(0, 256, (20, 30, 3)).astype(np.uint8)
    out = imshow_det_bboxes(img, np.zeros((0, 5), np.float32), np.zeros(0, np.int32),
                            score_thr=0.3, show=False)
    np.testing.assert_array_equal(out, img)


def test_imshow_gt_det_bboxes_overlay_and_stack(tmp_path):
    from detkit.visualization import imshow_gt_det_bboxes
    img = np.full((40, 60, 3), 30, np.uint8)
    ann = dict(gt_bboxes=np.array([[5, 5, 25, 30]], np.float32), gt_labels=np.array([0]))
    result = [np.array([[35, 5, 55, 30, 0.9]], np.float32)]
    over = imshow_gt_det_bboxes(img, ann, result, show=False)
    assert over.shape == img.shape
    # gt edge (x=5) in gt colour (RGB 61, 102, 255 -> BGR), det edge (x=35) in det colour
    assert over[20, 5, 0] > over[20, 5, 2] and over[20, 35, 2] > over[20, 35, 0]
    stacked = imshow_gt_det_bboxes(img, ann, result, show=False, overlay_gt_pred=False,
                                   out_file=str(tmp_path / 'x.png'))
    assert stacked.shape == (80, 60, 3)
    np.testing.assert_array_equal(stacked[60, 5], [30, 30, 30])  # no gt in the lower half
    assert (tmp_path / 'x.png').exists()
