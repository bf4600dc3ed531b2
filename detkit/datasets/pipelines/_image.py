"""Image operations for transforms (mmcv.image equivalents); see detkit.structures.image_ops
and detkit.structures.image_io."""
from ...structures.image_io import imfrombytes, imread, read_bytes  # noqa: F401
from ...structures.image_ops import (  # noqa: F401
    CV2_INTERP_CODES,
    bgr2rgb,
    imdenormalize,
    imflip,
    imnormalize,
    impad,
    impad_to_multiple,
    imrescale,
    imresize,
    imrotate,
    imshear,
    imtranslate,
    rescale_size,
    rgb2bgr,
)
