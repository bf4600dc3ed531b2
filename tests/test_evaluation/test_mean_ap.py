"""detkit.evaluation.mean_ap: hand-computed cases and a float64 brute force."""
import numpy as np
import pytest

from detkit.evaluation import average_precision, eval_map, get_classes, tpfp_imagenet


def test_average_precision_hand_computed():
    rec = np.array([0.5, 0.5, 1.0])
    prec = np.array([1.0, 0.5, 2 / 3])
    # area: recall 0->0.5 at precision 1, 0.5->1 at the envelope 2/3
    assert average_precision(rec, prec, 'area') == pytest.approx(0.5 + 0.5 * 2 / 3, abs=1e-6)
    # 11 points: thresholds 0..0.5 reach precision 1, 0.6..1.0 reach 2/3
    assert average_precision(rec, prec, '11points') == pytest.approx((6 + 5 * 2 / 3) / 11,
                                                                      abs=1e-6)
    both = average_precision(np.stack([rec, rec * 0.5]), np.stack([prec, prec]), '11points')
    # second scale: recalls 0.25, 0.25, 0.5 -> thresholds 0..0.2 reach precision 1,
    # 0.3..0.5 only the last point (2/3), 0.6..1 nothing
    np.testing.assert_allclose(both, [(6 + 5 * 2 / 3) / 11, (3 + 3 * 2 / 3) / 11], atol=1e-6)
    with pytest.raises(ValueError, match="'area' and '11points'"):
        average_precision(rec, prec, 'voc')


def _img(dets_per_class, gts, labels, **ign):
    dets = [np.asarray(d, dtype=np.float32).reshape(-1, 5) for d in dets_per_class]
    ann = dict(bboxes=np.asarray(gts, dtype=np.float32).reshape(-1, 4),
               labels=np.asarray(labels, dtype=np.int64))
    ann.update({k: np.asarray(v) for k, v in ign.items()})
    return dets, ann


def test_eval_map_hand_computed_duplicate_and_ignore(capsys):
    gts = [[0, 0, 10, 10], [20, 20, 30, 30]]
    dets = [[0, 0, 10, 10, 0.9], [0, 0, 10, 10, 0.8], [20, 20, 30, 30, 0.7],
            [50, 50, 60, 60, 0.6],   # covered by the ignore box: neither TP nor FP
            [80, 80, 90, 90, 0.5]]   # matches nothing: FP
    res, ann = _img([dets], gts, [0], bboxes_ignore=[[50, 50, 60, 60]], labels_ignore=[0])
    ann['labels'] = np.array([0, 0])
    mean_ap, results = eval_map([res], [ann], nproc=1, dataset=['thing'])
    # sorted: TP, FP (duplicate), TP, ignored, FP
    np.testing.assert_allclose(results[0]['recall'], [0.5, 0.5, 1, 1, 1])
    np.testing.assert_allclose(results[0]['precision'], [1, 0.5, 2 / 3, 2 / 3, 0.5], atol=1e-6)
    assert mean_ap == pytest.approx(0.5 + 0.5 * 2 / 3, abs=1e-6)
    assert results[0]['num_gts'] == 2 and results[0]['num_dets'] == 5
    out = capsys.readouterr().out
    assert '| thing' in out and '| mAP' in out and '0.833' in out
    # VOC07: 11 points
    mean_ap07, _ = eval_map([res], [ann], nproc=1, dataset='voc07', logger='silent')
    assert mean_ap07 == pytest.approx((6 + 5 * 2 / 3) / 11, abs=1e-6)
    # without labels_ignore the ignore boxes are unused (as MMDetection)
    del ann['labels_ignore']
    _, results = eval_map([res], [ann], nproc=1, logger='silent')
    np.testing.assert_allclose(results[0]['precision'], [1, 0.5, 2 / 3, 0.5, 0.4], atol=1e-6)


def test_eval_map_ioa_thr_ignores_covered_detection():
    res, ann = _img([[[0, 0, 4, 4, 0.9], [0, 0, 10, 10, 0.8]]], [[0, 0, 10, 10]], [0],
                    bboxes_ignore=[[0, 0, 5, 5]], labels_ignore=[0])
    # det 0 overlaps the ignore box with IoU 0.64 < 0.7 -> FP without ioa
    _, r = eval_map([res], [ann], iou_thr=0.7, nproc=1, logger='silent')
    np.testing.assert_allclose(r[0]['precision'], [0, 0.5])
    # ... but lies fully inside it (IoA 1) -> ignored with ioa_thr
    _, r = eval_map([res], [ann], iou_thr=0.7, ioa_thr=0.5, nproc=1, logger='silent')
    np.testing.assert_allclose(r[0]['precision'], [0, 1])


def test_eval_map_scale_ranges_hand_computed():
    gts = [[0, 0, 4, 4], [0, 0, 20, 20]]  # areas 16 and 400
    res, ann = _img([[[0, 0, 4, 4, 0.9], [0, 0, 20, 20, 0.8], [40, 40, 42, 42, 0.7]]],
                    gts, [0, 0])
    mean_ap, r = eval_map([res], [ann], scale_ranges=[(0, 10), (10, 100)], nproc=1,
                          logger='silent')
    # small range: the 20x20 match is ignored, the 2x2 unmatched det counts as FP
    np.testing.assert_allclose(r[0]['precision'][0], [1, 1, 0.5])
    # large range: the small match ignored, the 2x2 FP is out of range -> uncounted
    np.testing.assert_allclose(r[0]['precision'][1], [0, 1, 1])
    np.testing.assert_array_equal(r[0]['num_gts'], [1, 1])
    assert mean_ap == pytest.approx([1.0, 1.0])


def _brute_force_map(det_results, annotations, iou_thr, area_range=None):
    """float64 reference with plain loops (no shared code with detkit)."""
    num_classes = len(det_results[0])
    aps = []
    for c in range(num_classes):
        entries = []
        n_gt = 0
        for i, (res, ann) in enumerate(zip(det_results, annotations)):
            for d in res[c]:
                entries.append((float(d[4]), i, [float(v) for v in d[:4]]))
            for b, lab in zip(ann['bboxes'], ann['labels']):
                area = (b[2] - b[0]) * (b[3] - b[1])
                if lab == c and (area_range is None or area_range[0] <= area < area_range[1]):
                    n_gt += 1
        entries.sort(key=lambda e: -e[0])
        covered = {}
        tps, fps = [], []
        for _score, i, d in entries:
            ann = annotations[i]
            cand = [(list(b), False) for b, lab in zip(ann['bboxes'], ann['labels']) if lab == c]
            cand += [(list(b), True) for b, lab in zip(ann['bboxes_ignore'],
                                                       ann['labels_ignore']) if lab == c]
            best, best_j = -1.0, -1
            for j, (g, _) in enumerate(cand):
                iw = max(0.0, min(d[2], g[2]) - max(d[0], g[0]))
                ih = max(0.0, min(d[3], g[3]) - max(d[1], g[1]))
                inter = iw * ih
                union = (d[2] - d[0]) * (d[3] - d[1]) + (g[2] - g[0]) * (g[3] - g[1]) - inter
                iou = inter / max(union, 1e-6)
                if iou > best:
                    best, best_j = iou, j
            d_area = (d[2] - d[0]) * (d[3] - d[1])
            if best >= iou_thr:
                g, ign = cand[best_j]
                g_area = (g[2] - g[0]) * (g[3] - g[1])
                if ign or (area_range is not None
                           and not area_range[0] <= g_area < area_range[1]):
                    continue
                if covered.get((i, best_j)):
                    tps.append(0), fps.append(1)
                else:
                    covered[(i, best_j)] = True
                    tps.append(1), fps.append(0)
            elif area_range is None or area_range[0] <= d_area < area_range[1]:
                tps.append(0), fps.append(1)
        tp = np.cumsum(tps, dtype=np.float64)
        fp = np.cumsum(fps, dtype=np.float64)
        rec = tp / max(n_gt, 1)
        prec = tp / np.maximum(tp + fp, 1e-12)
        # area under the monotone envelope, step by step
        ap, prev_r = 0.0, 0.0
        for k in range(len(rec)):
            if rec[k] > prev_r:
                ap += (rec[k] - prev_r) * max(prec[k:])
                prev_r = rec[k]
        if n_gt > 0:
            aps.append(ap)
    return float(np.mean(aps))


def _random_set(rng, num_imgs, num_classes):
    dets, anns = [], []
    for _ in range(num_imgs):
        n = rng.integers(0, 6)
        xy = rng.uniform(0, 60, (n, 2))
        gts = np.hstack([xy, xy + rng.uniform(4, 40, (n, 2))])
        labels = rng.integers(0, num_classes, n)
        m = rng.integers(0, 2)
        ixy = rng.uniform(0, 60, (m, 2))
        ign = np.hstack([ixy, ixy + rng.uniform(4, 30, (m, 2))])
        res = []
        for c in range(num_classes):
            own = gts[labels == c]
            jitter = own + rng.normal(0, 3, own.shape)  # near-misses and hits
            k = rng.integers(0, 4)
            fxy = rng.uniform(0, 60, (k, 2))
            noise = np.hstack([fxy, fxy + rng.uniform(4, 40, (k, 2))])
            boxes = np.vstack([jitter, noise, own[:1]])  # own[:1]: a duplicate
            scores = rng.permutation(len(boxes)) / 100 + rng.uniform(0.05, 0.9)
            res.append(np.hstack([boxes, scores[:, None]]).astype(np.float32))
        dets.append(res)
        anns.append(dict(bboxes=gts.astype(np.float32), labels=labels,
                         bboxes_ignore=ign.astype(np.float32),
                         labels_ignore=rng.integers(0, num_classes, m)))
    # distinct scores everywhere so that the order is unambiguous
    all_scores = rng.permutation(10000)[:sum(len(d) for r in dets for d in r)] / 10000
    k = 0
    for r in dets:
        for d in r:
            d[:, 4] = all_scores[k:k + len(d)]
            k += len(d)
    return dets, anns


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_eval_map_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    dets, anns = _random_set(rng, num_imgs=12, num_classes=3)
    for thr in (0.5, 0.7):
        ours, _ = eval_map(dets, anns, iou_thr=thr, nproc=1, logger='silent')
        assert ours == pytest.approx(_brute_force_map(dets, anns, thr), abs=1e-5)
    ours, _ = eval_map(dets, anns, scale_ranges=[(0, 16), (16, 1e5)], nproc=1, logger='silent')
    for k, rg in enumerate([(0, 256), (256, 1e10)]):
        assert ours[k] == pytest.approx(_brute_force_map(dets, anns, 0.5, rg), abs=1e-5)


def test_eval_map_pool_equals_single_process():
    dets, anns = _random_set(np.random.default_rng(5), num_imgs=64, num_classes=2)
    a, ra = eval_map(dets, anns, nproc=1, logger='silent')
    b, rb = eval_map(dets, anns, nproc=2, logger='silent')
    assert a == b
    np.testing.assert_array_equal(ra[1]['precision'], rb[1]['precision'])


def test_tpfp_imagenet_loose_threshold_for_small_boxes():
    # a 4x4 box gets threshold 16/196 ~ 0.08 (after MMDetection's -1 shift of the gt)
    det = np.array([[1, 1, 4, 4, 0.9], [1, 1, 4, 4, 0.8]], dtype=np.float32)
    gt = np.array([[1, 1, 5, 5]], dtype=np.float32)
    tp, fp = tpfp_imagenet(det, gt)
    np.testing.assert_array_equal(tp, [[1, 0]])
    np.testing.assert_array_equal(fp, [[0, 1]])


def test_eval_map_bad_inputs_are_named():
    res, ann = _img([[[0, 0, 1, 1, 0.5]]], [[0, 0, 1, 1]], [0])
    with pytest.raises(ValueError, match='2 detection results but 1 annotations'):
        eval_map([res, res], [ann], nproc=1)
    with pytest.raises(ValueError, match=r'image 0, class 0 must be \(n, 5\)'):
        eval_map([[np.zeros((1, 4))]], [ann], nproc=1)
    with pytest.raises(ValueError, match="did you mean 'voc07'"):
        get_classes('voc7')
    assert get_classes('coco')[:2] == ['person', 'bicycle'] and len(get_classes('coco')) == 80


def test_legacy_coordinate_changes_the_match():
    # legacy areas 10x10 and 10x5 -> IoU 0.5 (match); modern 9x9 and 9x4 -> IoU 0.444
    res, ann = _img([[[0, 0, 9, 4, 0.9]]], [[0, 0, 9, 9]], [0])
    legacy, _ = eval_map([res], [ann], use_legacy_coordinate=True, nproc=1, logger='silent')
    modern, _ = eval_map([res], [ann], nproc=1, logger='silent')
    assert legacy == 1.0 and modern == 0.0
