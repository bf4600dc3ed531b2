"""TextLoggerHook: MMDetection-style log lines and a ``<timestamp>.log.json`` (mmcv 1.x)."""

from __future__ import annotations

import datetime
import json
import os
import os.path as osp
import shutil
from collections import OrderedDict
from typing import Any, Optional

import torch
import torch.distributed as dist

from ...registry import HOOKS
from ..utils import model_device
from .logger_hook import LoggerHook

# keys already in the head of a line ("Epoch [1][50/1000]\tlr: ..., eta: ..., time: ...")
_HEAD_KEYS = ('mode', 'Epoch', 'iter', 'lr', 'time', 'data_time', 'memory', 'epoch')


@HOOKS.register_module()
class TextLoggerHook(LoggerHook):
    """Log to the runner's logger and append one JSON object per line to a ``.log.json``.

    A training line reads::

        Epoch [1][50/1000]\\tlr: 1.000e-02, eta: 0:10:00, time: 0.500, data_time: 0.010, \\
        memory: 1024, loss_cls: 1.1000, loss_bbox: 0.5000, loss: 1.6000, grad_norm: 3.2000

    (``memory``, in MB, only when the model is on a GPU; ``Iter [50/90000]``
    when not by_epoch), and its JSON twin
    ``{"mode": "train", "epoch": 1, "iter": 50, "lr": 0.01, "memory": ..., "loss": 1.6, ...,
    "time": 0.5}`` with floats rounded to 5 digits. The first JSON line holds
    ``runner.meta`` (env info, config, seed).

    Args:
        by_epoch, interval, ignore_last, reset_flag: see LoggerHook.
        interval_exp_name (int): print ``Exp name: ...`` every this many iterations.
        out_dir (str, optional): copy the logs to ``out_dir/<work_dir name>`` after the run.
        out_suffix (tuple[str]): which files of work_dir to copy.
        keep_local (bool): keep the local copies after copying.
    """

    def __init__(
        self,
        by_epoch: bool = True,
        interval: int = 10,
        ignore_last: bool = True,
        reset_flag: bool = False,
        interval_exp_name: int = 1000,
        out_dir: Optional[str] = None,
        out_suffix: tuple = ('.log.json', '.log', '.py'),
        keep_local: bool = True,
    ):
        super().__init__(interval, ignore_last, reset_flag, by_epoch)
        self.time_sec_tot = 0.0
        self.interval_exp_name = interval_exp_name
        self.out_dir = out_dir
        self.out_suffix = out_suffix
        self.keep_local = keep_local
        self.start_iter = 0
        self.json_log_path: Optional[str] = None

    def before_run(self, runner: Any) -> None:
        super().before_run(runner)
        if runner.work_dir is None:
            raise ValueError('TextLoggerHook needs a runner with a work_dir for its .log.json')
        self.start_iter = runner.iter
        self.json_log_path = osp.join(runner.work_dir, f'{runner.timestamp}.log.json')
        if runner.meta is not None:
            self._dump_log(runner.meta, runner)

    def _get_max_memory(self, runner: Any) -> int:
        device = model_device(runner.model)
        mem_mb = torch.tensor(
            [torch.cuda.max_memory_allocated(device) / (1024 * 1024)],
            dtype=torch.int,
            device=device,
        )
        if runner.world_size > 1:
            dist.reduce(mem_mb, 0, op=dist.ReduceOp.MAX)
        return int(mem_mb.item())

    def _log_info(self, log_dict: dict, runner: Any) -> str:
        if runner.meta is not None and 'exp_name' in runner.meta:
            if self.every_n_iters(runner, self.interval_exp_name) or (
                self.by_epoch and self.end_of_epoch(runner)
            ):
                runner.logger.info(f'Exp name: {runner.meta["exp_name"]}')
        if log_dict['mode'] == 'train':
            if isinstance(log_dict['lr'], dict):
                lr_str = ' '.join(f'lr_{k}: {v:.3e}' for k, v in log_dict['lr'].items())
            else:
                lr_str = f'lr: {log_dict["lr"]:.3e}'
            if self.by_epoch:
                log_str = (
                    f'Epoch [{log_dict["epoch"]}][{log_dict["iter"]}/{len(runner.data_loader)}]\t'
                )
            else:
                log_str = f'Iter [{log_dict["iter"]}/{runner.max_iters}]\t'
            log_str += f'{lr_str}, '
            if 'time' in log_dict:
                self.time_sec_tot += log_dict['time'] * self.interval
                time_sec_avg = self.time_sec_tot / (runner.iter - self.start_iter + 1)
                eta_sec = time_sec_avg * (runner.max_iters - runner.iter - 1)
                log_str += f'eta: {datetime.timedelta(seconds=int(eta_sec))}, '
                log_str += f'time: {log_dict["time"]:.3f}, data_time: {log_dict["data_time"]:.3f}, '
                if 'memory' in log_dict:
                    log_str += f'memory: {log_dict["memory"]}, '
        elif self.by_epoch:
            log_str = f'Epoch({log_dict["mode"]}) [{log_dict["epoch"]}][{log_dict["iter"]}]\t'
        else:
            log_str = f'Iter({log_dict["mode"]}) [{log_dict["iter"]}]\t'
        items = []
        for name, val in log_dict.items():
            if name in _HEAD_KEYS:
                continue
            if isinstance(val, float):
                val = f'{val:.4f}'
            items.append(f'{name}: {val}')
        log_str += ', '.join(items)
        runner.logger.info(log_str)
        return log_str

    def _dump_log(self, log_dict: dict, runner: Any) -> None:
        if runner.rank != 0:
            return
        line = json.dumps(
            OrderedDict((k, _round_float(v)) for k, v in log_dict.items()), default=_to_json
        )
        # one write per line: a reader never sees half a record unless the process dies
        with open(self.json_log_path, 'a+') as f:
            f.write(line + '\n')

    def log(self, runner: Any) -> OrderedDict:
        if 'eval_iter_num' in runner.log_buffer.output:
            # an evaluation reports the length of its loader, whatever by_epoch says
            cur_iter = runner.log_buffer.output.pop('eval_iter_num')
        else:
            cur_iter = self.get_iter(runner, inner_iter=True)
        log_dict = OrderedDict(
            mode=self.get_mode(runner), epoch=self.get_epoch(runner), iter=cur_iter
        )
        cur_lr = runner.current_lr()
        log_dict['lr'] = (
            {k: v[0] for k, v in cur_lr.items()} if isinstance(cur_lr, dict) else cur_lr[0]
        )  # the first param group's, as mmcv
        if 'time' in runner.log_buffer.output and model_device(runner.model).type == 'cuda':
            log_dict['memory'] = self._get_max_memory(runner)
        log_dict = OrderedDict(log_dict, **runner.log_buffer.output)
        self._log_info(log_dict, runner)
        self._dump_log(log_dict, runner)
        return log_dict

    def after_run(self, runner: Any) -> None:
        if self.out_dir is None or runner.rank != 0:
            return
        target = osp.join(self.out_dir, osp.basename(runner.work_dir.rstrip(osp.sep)))
        os.makedirs(target, exist_ok=True)
        for name in sorted(os.listdir(runner.work_dir)):
            if name.endswith(tuple(self.out_suffix)):
                local = osp.join(runner.work_dir, name)
                shutil.copyfile(local, osp.join(target, name))
                runner.logger.info(f'The file {local} has been uploaded to {target}.')
                if not self.keep_local:
                    os.remove(local)


def _round_float(items: Any) -> Any:
    if isinstance(items, list):
        return [_round_float(item) for item in items]
    if isinstance(items, float):
        return round(items, 5)
    return items


def _to_json(obj: Any) -> Any:
    """JSON form of values json cannot write natively (tensors, numpy scalars, tuples, ...)."""
    if isinstance(obj, torch.Tensor):
        return obj.tolist()
    if hasattr(obj, 'tolist'):  # numpy arrays and scalars
        return obj.tolist()
    return str(obj)
