# augmentations (photometric, geometric, AutoAugment family, mixes)
from .photo_metric_distortion import PhotoMetricDistortion  # noqa: F401
from .yolox_hsv_random_aug import YOLOXHSVRandomAug  # noqa: F401
from .cut_out import CutOut  # noqa: F401
from .expand import Expand  # noqa: F401
from .min_iou_random_crop import MinIoURandomCrop  # noqa: F401
from .random_center_crop_pad import RandomCenterCropPad  # noqa: F401
