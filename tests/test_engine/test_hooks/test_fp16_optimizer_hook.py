import pytest
import torch

from detkit.engine import Fp16OptimizerHook

from .._toy import ToyModel, toy_loader
from ._run import make_runner


class DtypeModel(ToyModel):
    def train_step(self, data, optimizer):
        self.forward_dtype = self.linear(data['img']).dtype
        return super().train_step(data, optimizer)


@pytest.mark.skipif(torch.cuda.is_available(), reason='checks the CPU (bfloat16) path')
def test_cpu_forward_runs_in_bfloat16_and_params_stay_float32():
    torch.manual_seed(0)
    model = DtypeModel()
    runner = make_runner(model=model, epochs=2)
    w0 = model.linear.weight.detach().clone()
    runner.register_training_hooks(None, dict(type='Fp16OptimizerHook', loss_scale=512.0))
    runner.run([toy_loader(4, 2)], [('train', 1)])
    assert runner.autocast == dict(device_type='cpu', dtype=torch.bfloat16)
    assert model.forward_dtype == torch.bfloat16
    assert model.linear.weight.dtype == torch.float32
    assert not torch.equal(model.linear.weight, w0)
    assert runner.hooks[0].loss_scaler is None  # bfloat16 needs no loss scaling
    assert runner.meta is None  # no scaler state to checkpoint


def test_loss_scale_argument():
    assert Fp16OptimizerHook(loss_scale='dynamic')._scaler_args == {}
    assert Fp16OptimizerHook(loss_scale=512.0)._scaler_args == dict(init_scale=512.0)
    assert Fp16OptimizerHook(loss_scale=dict(init_scale=8.0))._scaler_args == dict(init_scale=8.0)
    with pytest.raises(ValueError, match="'dynamic'"):
        Fp16OptimizerHook(loss_scale='dynamc')
