"""The training engine: runners, hooks, optimizer building, checkpoints, distributed helpers.

Importing it registers the runners (RUNNERS), runner constructors
(RUNNER_BUILDERS), hooks (HOOKS), every ``torch.optim`` optimizer
(OPTIMIZERS) and DefaultOptimizerConstructor (OPTIMIZER_BUILDERS).
"""

from .auto_scale_lr import auto_scale_lr
from .base_runner import BaseRunner
from .checkpoint import (
    atomic_symlink,
    atomic_write,
    get_state_dict,
    save_checkpoint,
    weights_to_cpu,
)
from .default_optimizer_constructor import DefaultOptimizerConstructor
from .dist_utils import (
    DetDistributedDataParallel,
    all_reduce_dict,
    collect_results_cpu,
    collect_results_gpu,
    get_dist_info,
    init_dist,
    master_only,
    reduce_mean,
    sync_random_seed,
    wrap_ddp,
)
from .epoch_based_runner import EpochBasedRunner
from .hooks import *  # noqa: F401,F403
from .hooks import __all__ as _hooks_all
from .inference_loops import run_inference, run_inference_dist
from .iter_based_runner import IterBasedRunner, IterLoader
from .log_buffer import LogBuffer
from .optimizer_builder import TORCH_OPTIMIZERS, build_optimizer, build_optimizer_constructor
from .priority import Priority, get_priority
from .rng_state import get_rng_state, set_rng_state
from .runner_builder import DefaultRunnerConstructor, build_runner, build_runner_constructor
from .seed import init_random_seed, set_random_seed
from .utils import model_device, to_device, unwrap_model

__all__ = [
    'BaseRunner',
    'DefaultOptimizerConstructor',
    'DefaultRunnerConstructor',
    'DetDistributedDataParallel',
    'EpochBasedRunner',
    'IterBasedRunner',
    'IterLoader',
    'LogBuffer',
    'Priority',
    'TORCH_OPTIMIZERS',
    'all_reduce_dict',
    'atomic_symlink',
    'atomic_write',
    'auto_scale_lr',
    'build_optimizer',
    'build_optimizer_constructor',
    'build_runner',
    'build_runner_constructor',
    'collect_results_cpu',
    'collect_results_gpu',
    'get_dist_info',
    'get_priority',
    'get_rng_state',
    'get_state_dict',
    'init_dist',
    'init_random_seed',
    'master_only',
    'model_device',
    'reduce_mean',
    'run_inference',
    'run_inference_dist',
    'save_checkpoint',
    'set_random_seed',
    'set_rng_state',
    'sync_random_seed',
    'to_device',
    'unwrap_model',
    'weights_to_cpu',
    'wrap_ddp',
] + list(_hooks_all)
