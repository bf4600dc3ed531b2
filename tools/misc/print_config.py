"""Print the whole config, after ``_base_`` inheritance and ``--cfg-options``.

    python tools/misc/print_config.py CONFIG [--cfg-options k=v ...] [--save-path out.py]
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys
from typing import Optional, Sequence

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from detkit.apis.cfg_options import load_config  # noqa: E402
from detkit.config import DictAction  # noqa: E402


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description='Print the whole config')
    p.add_argument('config', help='config file path')
    p.add_argument('--save-path', default=None, help='save path of whole config, suffixed '
                   'with .py, .json or .yml')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='override some settings in the used config, the key-value pair in '
                   'xxx=yyy format will be merged into config file.')
    return p.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    print(f'Config:\n{cfg.pretty_text}')
    if args.save_path is not None:
        ext = osp.splitext(args.save_path)[1]
        if ext not in ('.py', '.json', '.yml', '.yaml'):
            raise ValueError(f'--save-path must end with .py, .json, .yml or .yaml, but got '
                             f'{args.save_path!r}')
        cfg.dump(args.save_path)
        print(f'Config saving at {args.save_path}')


if __name__ == '__main__':
    main()
