"""Inference on single images: ``init_detector``, ``inference_detector``,
``show_result_pyplot`` (MMDetection 2.x API)."""
from __future__ import annotations

import copy
import os.path as osp
import pickle
import warnings
from typing import Any, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn as nn

from ..config import Config
from ..registry import DATASETS
from ..utils.checkpoint import load_checkpoint

ImageLike = Union[str, np.ndarray]


def unsafe_checkpoint_error(checkpoint: str, e: Exception) -> pickle.UnpicklingError:
    """A short error for a checkpoint that ``weights_only=True`` refuses, naming the opt-out."""
    detail = str(e).split('WeightsUnpickler error:')[-1].strip().split('\n')[0]
    return pickle.UnpicklingError(
        f'refusing to unpickle {checkpoint}: it holds objects other than tensors and '
        f'plain containers, and loading it could run arbitrary code ({detail}). If you '
        f'trust the file, opt out with weights_only=False (tools/test.py, '
        f'tools/train.py, demo/image_demo.py: --unsafe-load).')


def load_detector_weights(model: nn.Module, checkpoint: str, map_location: Any = 'cpu',
                          weights_only: bool = True) -> dict:
    """Load ``checkpoint`` into ``model`` for testing; refuse a checkpoint that leaves
    weights unset.

    Keys the model does not have (e.g. EMA copies) are reported and skipped,
    as in MMDetection; but a parameter the checkpoint does not fill would stay
    randomly initialised and silently spoil every result, so missing keys or
    shape mismatches raise, listing what differs with counts (typically a
    checkpoint of another architecture or config).

    Args:
        model (nn.Module): the detector.
        checkpoint (str): a path or URL accepted by ``load_checkpoint``.
        weights_only (bool): ``torch.load``'s safe mode; False only for files you trust.

    Returns:
        dict: the loaded checkpoint.
    """
    if not checkpoint.startswith(('http://', 'https://', 'torchvision://', 'open-mmlab://')) \
            and not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint file {checkpoint!r} does not exist')
    try:
        ckpt = load_checkpoint(model, checkpoint, map_location=map_location, strict=False,
                               logger='silent', weights_only=weights_only)
    except pickle.UnpicklingError as e:
        raise unsafe_checkpoint_error(checkpoint, e) from None
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else {}
    own = model.state_dict()
    missing = [k for k in own if k not in state and not k.endswith('num_batches_tracked')]
    unexpected = [k for k in state if k not in own]
    mismatched = [k for k in state if k in own and hasattr(state[k], 'shape')
                  and tuple(state[k].shape) != tuple(own[k].shape)]
    if missing or mismatched:
        def head(keys: list) -> str:
            return ', '.join(keys[:8]) + (', ...' if len(keys) > 8 else '')
        raise RuntimeError(
            f'checkpoint {checkpoint} does not fit the model {type(model).__name__} '
            f'(is it from another architecture or config?): '
            f'{len(missing)} missing keys [{head(missing)}], '
            f'{len(unexpected)} unexpected keys [{head(unexpected)}], '
            f'{len(mismatched)} size mismatches [{head(mismatched)}]')
    if unexpected:
        warnings.warn(f'checkpoint {checkpoint}: {len(unexpected)} unexpected keys ignored: '
                      f'{", ".join(unexpected[:8])}', stacklevel=2)
    return ckpt


def _dataset_classes(cfg: Config) -> Optional[tuple]:
    """Class names of ``cfg.data.test`` (its ``classes`` or its dataset type's CLASSES)."""
    test = cfg.get('data', {}).get('test')
    if test is None:
        return None
    if test.get('classes') is not None:
        classes = test['classes']
        return tuple(classes) if not isinstance(classes, str) else (classes,)
    dataset_cls = DATASETS.get(test.get('type', ''))
    return getattr(dataset_cls, 'CLASSES', None)


def init_detector(config: Union[str, Config], checkpoint: Optional[str] = None,
                  device: str = 'cuda:0', cfg_options: Optional[dict] = None,
                  weights_only: bool = True) -> nn.Module:
    """Build a detector from a config file and load its checkpoint.

    Args:
        config (str | Config): config file path or object.
        checkpoint (str, optional): checkpoint path; None leaves the weights
            as initialised.
        device (str): 'cpu', 'cuda', 'cuda:0', ...
        cfg_options (dict, optional): dotted-key overrides merged into the config.
        weights_only (bool): ``torch.load``'s safe mode; pass False only for a
            checkpoint you trust that holds pickled objects.

    Returns:
        nn.Module: the detector in eval mode on ``device``, with ``model.cfg``
        (the config) and ``model.CLASSES`` (from the checkpoint meta, else the
        test dataset's class names).
    """
    from ..models import build_detector
    if isinstance(config, str):
        config = Config.fromfile(config)
    elif not isinstance(config, Config):
        raise TypeError(f'config must be a filename or Config object, but got '
                        f'{type(config).__name__}')
    if cfg_options is not None:
        config.merge_from_dict(cfg_options)
    if 'pretrained' in config.model:
        config.model.pretrained = None
    elif isinstance(config.model.get('backbone'), dict) and 'init_cfg' in config.model.backbone:
        config.model.backbone.init_cfg = None  # no download of ImageNet weights at test time
    config.model.train_cfg = None
    model = build_detector(config.model, test_cfg=config.get('test_cfg'))
    classes = None
    if checkpoint is not None:
        ckpt = load_detector_weights(model, checkpoint, weights_only=weights_only)
        classes = ckpt.get('meta', {}).get('CLASSES')
    if classes is None:
        classes = _dataset_classes(config)
    if classes is None:
        warnings.warn('the checkpoint meta has no CLASSES and config.data.test names no '
                      'dataset classes; model.CLASSES is None', stacklevel=2)
    model.CLASSES = tuple(classes) if classes is not None else None
    model.cfg = config
    model.to(device)
    model.eval()
    return model


def _test_pipeline(cfg: Config, arrays: bool) -> Any:
    from ..datasets.pipelines import Compose
    test = cfg.get('data', {}).get('test')
    if test is None or 'pipeline' not in test:
        raise KeyError('inference_detector needs cfg.data.test.pipeline, but the model '
                       'config has none')
    pipeline = copy.deepcopy(list(test['pipeline']))
    if arrays:
        # the first transform loads from a file; arrays come already decoded
        pipeline[0] = dict(pipeline[0], type='LoadImageFromWebcam')
    return Compose(pipeline)


@torch.no_grad()
def inference_detector(model: nn.Module, imgs: Union[ImageLike, Sequence[ImageLike]]) -> Any:
    """Detect objects in one image or a list of images.

    Args:
        model (nn.Module): from :func:`init_detector` (needs ``model.cfg``).
        imgs (str | ndarray | list): image file(s) or (H, W, 3) BGR uint8 array(s).

    Returns:
        The detector's result for one image (a list with one (n, 5) float32
        array ``[x1, y1, x2, y2, score]`` per class, in original-image pixels),
        or a list of them when ``imgs`` is a list or tuple.
    """
    from ..datasets import collate
    from ..engine import model_device, to_device
    is_batch = isinstance(imgs, (list, tuple))
    images = list(imgs) if is_batch else [imgs]
    if not images:
        return []
    cfg = getattr(model, 'cfg', None)
    if cfg is None:
        raise AttributeError(f'{type(model).__name__} has no .cfg; build it with init_detector')
    kinds = {isinstance(i, np.ndarray) for i in images}
    if len(kinds) > 1:
        raise TypeError('inference_detector: give all images as paths or all as arrays')
    for img in images:
        if not isinstance(img, (str, np.ndarray)):
            raise TypeError(f'inference_detector takes image paths or arrays, but got '
                            f'{type(img).__name__}')
        if isinstance(img, str) and not osp.isfile(img):
            raise FileNotFoundError(f'image file {img!r} does not exist')
    pipeline = _test_pipeline(cfg, arrays=isinstance(images[0], np.ndarray))
    samples = []
    for img in images:
        data = dict(img=img) if isinstance(img, np.ndarray) else dict(
            img_info=dict(filename=img), img_prefix=None)
        samples.append(pipeline(data))
    batch = to_device(collate(samples, samples_per_gpu=len(samples)), model_device(model))
    results = model(return_loss=False, rescale=True, **batch)
    return results if is_batch else results[0]


def show_result_pyplot(model: nn.Module, img: ImageLike, result: Any, score_thr: float = 0.3,
                       title: str = 'result', wait_time: float = 0, palette: Any = None,
                       out_file: Optional[str] = None) -> np.ndarray:
    """Draw ``result`` on ``img``; show it with matplotlib, or write it to ``out_file``.

    Args:
        palette (str | tuple | list, optional): box/mask colours, e.g. 'coco',
            'voc', 'random' or an RGB tuple.

    Returns:
        ndarray: the (H, W, 3) BGR drawing.
    """
    if hasattr(model, 'module'):
        model = model.module
    drawn = model.show_result(img, result, score_thr=score_thr, show=False, win_name=title,
                              bbox_color=palette, text_color=(200, 200, 200),
                              mask_color=palette)
    if out_file is not None:
        import os

        import cv2
        os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
        if not cv2.imwrite(out_file, drawn):
            raise OSError(f'show_result_pyplot: could not write {out_file!r} (is the '
                          f'extension an image format?)')
    else:
        from ..visualization.palette import import_pyplot
        plt = import_pyplot()
        fig = plt.figure(title)
        plt.imshow(drawn[..., ::-1])
        plt.title(title)
        plt.axis('off')
        if wait_time > 0:
            plt.show(block=False)
            plt.pause(wait_time)
            plt.close(fig)
        else:
            plt.show()
    return drawn


__all__ = ['init_detector', 'inference_detector', 'show_result_pyplot', 'load_detector_weights']
