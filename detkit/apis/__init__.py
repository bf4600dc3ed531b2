"""High-level APIs: inference on images, training and testing (MMDetection 2.x names)."""
from .inference import inference_detector, init_detector, load_detector_weights, show_result_pyplot
from .test import multi_gpu_test, single_gpu_test
from .train import find_latest_checkpoint, init_random_seed, set_random_seed, train_detector

__all__ = [
    'init_detector', 'inference_detector', 'show_result_pyplot', 'load_detector_weights',
    'single_gpu_test', 'multi_gpu_test', 'train_detector', 'set_random_seed',
    'init_random_seed', 'find_latest_checkpoint',
]
