"""configs/synthetic/retinanet_r18_fpn_synthetic.py learns: it overfits 8 synthetic
shape scenes (loss falls >= 5x, VOC mAP@0.5 on those images >= 0.9).

Slow: 120 ResNet-18 steps on 128 px images (< 3 min on 2 idle cores).
The images are smaller than the config's 256 px to keep the test short; the model,
anchors and losses are the config's. AdamW replaces the config's SGD schedule
(tuned for epochs over a dataset, not for memorising 8 images quickly).
"""
import numpy as np
import pytest
from _overfit import overfit  # beside this file


@pytest.mark.slow
def test_overfits_eight_synthetic_images():
    losses, mean_ap = overfit('configs/synthetic/retinanet_r18_fpn_synthetic.py', iters=120,
                              lr=1e-3, size=128, seed=0)
    assert all(np.isfinite(losses))
    # the first steps against the mean of the last ten: one noisy step cannot pass or fail it
    assert np.mean(losses[:3]) >= 5 * np.mean(losses[-10:]), losses[::10]
    assert mean_ap >= 0.9, mean_ap
