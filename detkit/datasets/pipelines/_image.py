"""Image operations for transforms (mmcv.image equivalents); see detkit.structures.image_ops."""
from ...structures.image_ops import (CV2_INTERP_CODES, bgr2rgb, imdenormalize, imflip,  # noqa: F401
                                     imfrombytes, imnormalize, impad, impad_to_multiple, imread,
                                     imrescale, imresize, imrotate, imshear, imtranslate,
                                     read_bytes, rescale_size, rgb2bgr)
