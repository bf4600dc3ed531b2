"""benchmarks/bench_models.py runs end to end (--quick, one model, tiny images) and prints
its table with ratio lines; a check that the script works, not of speed."""
import importlib.util
import os.path as osp
import re

import torch

SCRIPT = osp.join(osp.dirname(__file__), '..', '..', 'benchmarks', 'bench_models.py')


def test_quick_retinanet_prints_ratio_lines(capsys):
    spec = importlib.util.spec_from_file_location('bench_models', SCRIPT)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    threads = torch.get_num_threads()
    try:  # one thread: two threads stall on each other on a loaded machine
        bench.main(['--quick', '--models', 'retinanet', '--size', '64', '96', '--train-size',
                    '64', '--fuse-conv-bn', '--threads', '1'])
    finally:
        torch.set_num_threads(threads)
    out = capsys.readouterr().out
    assert 'inference 64x96 bs 1, training step 64x64 bs 2' in out
    rows = re.findall(r'^\| retinanet \| (inference ms/img|training step bs 2) \| (\d+) \| (\d+) '
                      r'\| (\d+\.\d\d) \|$', out, re.M)
    assert [r[0] for r in rows] == ['inference ms/img', 'training step bs 2']
    for _, ours, theirs, ratio in rows:
        if int(theirs) > 0:
            assert abs(float(ratio) - int(ours) / int(theirs)) < 0.02 + 1 / int(theirs)
