"""BrightnessTransform: AutoAugment's brightness adjustment (image only)."""
from __future__ import annotations

from detkit.registry import PIPELINES

from ._augment_utils import EnhanceTransform, adjust_brightness


@PIPELINES.register_module()
class BrightnessTransform(EnhanceTransform):
    """Apply brightness adjustment to each image in ``img_fields`` with probability ``prob``.

    The factor is ``level / 10 * 1.8 + 0.1`` (level 5 leaves the image unchanged);
    the output is ``factor * img`` clipped to [0, 255].

    Args:
        level (int | float): in [0, 10].
        prob (float): probability of applying it.

    Required keys: ``img`` (H, W, 3) BGR; dtype is kept. Draw: ``rand()`` against ``prob``.
    Behaviour shared with the other enhancements: :class:`EnhanceTransform`.
    """

    adjust = staticmethod(adjust_brightness)
