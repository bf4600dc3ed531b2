"""Runner hooks, one per file; importing this package registers them in HOOKS."""

from .base_ema_hook import BaseEMAHook
from .check_invalid_loss_hook import CheckInvalidLossHook
from .checkpoint_hook import CheckpointHook
from .closure_hook import ClosureHook
from .cosine_annealing_lr_updater_hook import CosineAnnealingLrUpdaterHook
from .cosine_annealing_momentum_updater_hook import CosineAnnealingMomentumUpdaterHook
from .cosine_restart_lr_updater_hook import CosineRestartLrUpdaterHook
from .cyclic_lr_updater_hook import CyclicLrUpdaterHook
from .cyclic_momentum_updater_hook import CyclicMomentumUpdaterHook
from .dist_eval_hook import DistEvalHook
from .dist_sampler_seed_hook import DistSamplerSeedHook
from .ema_hook import EMAHook
from .empty_cache_hook import EmptyCacheHook
from .eval_hook import EvalHook
from .exp_lr_updater_hook import ExpLrUpdaterHook
from .exp_momentum_ema_hook import ExpMomentumEMAHook
from .fixed_lr_updater_hook import FixedLrUpdaterHook
from .flat_cosine_annealing_lr_updater_hook import FlatCosineAnnealingLrUpdaterHook
from .fp16_optimizer_hook import Fp16OptimizerHook
from .gradient_cumulative_fp16_optimizer_hook import GradientCumulativeFp16OptimizerHook
from .gradient_cumulative_optimizer_hook import GradientCumulativeOptimizerHook
from .hook import Hook
from .inv_lr_updater_hook import InvLrUpdaterHook
from .iter_timer_hook import IterTimerHook
from .linear_annealing_lr_updater_hook import LinearAnnealingLrUpdaterHook
from .linear_annealing_momentum_updater_hook import LinearAnnealingMomentumUpdaterHook
from .linear_momentum_ema_hook import LinearMomentumEMAHook
from .logger_hook import LoggerHook
from .lr_updater_hook import LrUpdaterHook, annealing_cos, annealing_linear
from .memory_profiler_hook import MemoryProfilerHook
from .momentum_updater_hook import MomentumUpdaterHook
from .num_class_check_hook import NumClassCheckHook
from .one_cycle_lr_updater_hook import OneCycleLrUpdaterHook
from .one_cycle_momentum_updater_hook import OneCycleMomentumUpdaterHook
from .optimizer_hook import OptimizerHook
from .poly_lr_updater_hook import PolyLrUpdaterHook
from .set_epoch_info_hook import SetEpochInfoHook
from .step_lr_updater_hook import StepLrUpdaterHook
from .step_momentum_updater_hook import StepMomentumUpdaterHook
from .sync_buffers_hook import SyncBuffersHook
from .sync_norm_hook import SyncNormHook
from .sync_random_size_hook import SyncRandomSizeHook
from .tensorboard_logger_hook import TensorboardLoggerHook
from .text_logger_hook import TextLoggerHook
from .yolox_lr_updater_hook import YOLOXLrUpdaterHook
from .yolox_mode_switch_hook import YOLOXModeSwitchHook

__all__ = [
    'BaseEMAHook',
    'CheckInvalidLossHook',
    'CheckpointHook',
    'ClosureHook',
    'CosineAnnealingLrUpdaterHook',
    'CosineAnnealingMomentumUpdaterHook',
    'CosineRestartLrUpdaterHook',
    'CyclicLrUpdaterHook',
    'CyclicMomentumUpdaterHook',
    'DistEvalHook',
    'DistSamplerSeedHook',
    'EMAHook',
    'EmptyCacheHook',
    'EvalHook',
    'ExpLrUpdaterHook',
    'ExpMomentumEMAHook',
    'FixedLrUpdaterHook',
    'FlatCosineAnnealingLrUpdaterHook',
    'Fp16OptimizerHook',
    'GradientCumulativeFp16OptimizerHook',
    'GradientCumulativeOptimizerHook',
    'Hook',
    'InvLrUpdaterHook',
    'IterTimerHook',
    'LinearAnnealingLrUpdaterHook',
    'LinearAnnealingMomentumUpdaterHook',
    'LinearMomentumEMAHook',
    'LoggerHook',
    'LrUpdaterHook',
    'MemoryProfilerHook',
    'MomentumUpdaterHook',
    'NumClassCheckHook',
    'OneCycleLrUpdaterHook',
    'OneCycleMomentumUpdaterHook',
    'OptimizerHook',
    'PolyLrUpdaterHook',
    'SetEpochInfoHook',
    'StepLrUpdaterHook',
    'StepMomentumUpdaterHook',
    'SyncBuffersHook',
    'SyncNormHook',
    'SyncRandomSizeHook',
    'TensorboardLoggerHook',
    'TextLoggerHook',
    'YOLOXLrUpdaterHook',
    'YOLOXModeSwitchHook',
    'annealing_cos',
    'annealing_linear',
]
