import pytest
import torch
import torchvision

from detkit.ops import RoIPool, roi_pool

from .test_roi_align import make_rois


def test_matches_torchvision_forward_backward():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 8, 30, 40, generator=g).requires_grad_()
    rois = make_rois(50, g, dtype=torch.float32)
    rois[0] = torch.tensor([0.0, -90.0, -90.0, -70.0, -60.0])  # wholly outside: empty bins
    out = roi_pool(x, rois, (7, 6), 0.25)
    x_tv = x.detach().clone().requires_grad_()
    ref = torchvision.ops.roi_pool(x_tv, rois, (7, 6), 0.25)
    torch.testing.assert_close(out, ref, rtol=0, atol=0)
    assert out[0].abs().max() == 0.0
    grad = torch.randn(out.shape, generator=g)
    out.backward(grad)
    ref.backward(grad)
    torch.testing.assert_close(x.grad, x_tv.grad, rtol=1e-6, atol=1e-6)


def test_hand_computed():
    x = torch.arange(16.0).view(1, 1, 4, 4)
    # The whole map pooled to 2x2: maxima of the four quadrants.
    out = roi_pool(x, torch.tensor([[0.0, 0.0, 0.0, 3.0, 3.0]]), 2)
    assert out.view(-1).tolist() == [5.0, 7.0, 13.0, 15.0]


def test_gradcheck():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(2, 2, 6, 7, generator=g, dtype=torch.float64, requires_grad=True)
    rois = make_rois(4, g, image=(12.0, 14.0))
    assert torch.autograd.gradcheck(lambda t: roi_pool(t, rois, (3, 2), 0.5), (x,))


def test_edge_cases_and_dtypes():
    g = torch.Generator().manual_seed(2)
    x = torch.randn(2, 4, 10, 10, generator=g)
    assert roi_pool(x, torch.zeros(0, 5), 3).shape == (0, 4, 3, 3)
    rois = make_rois(10, g, dtype=torch.float32, image=(10.0, 10.0))
    expected = torchvision.ops.roi_pool(x, rois, 3, 1.0)
    torch.testing.assert_close(roi_pool(x.to(memory_format=torch.channels_last), rois, 3), expected)
    for dtype in (torch.float16, torch.bfloat16):
        out = roi_pool(x.to(dtype), rois, 3)
        assert out.dtype == dtype
        torch.testing.assert_close(
            out, roi_pool(x.to(dtype).float(), rois, 3).to(dtype), rtol=0, atol=0
        )


def test_module_and_bad_input():
    m = RoIPool(7, 0.5)
    assert m.output_size == (7, 7) and 'spatial_scale=0.5' in repr(m)
    with pytest.raises(ValueError, match=r'roi_pool: rois must have shape \(n, 5\).*got \(2, 4\)'):
        roi_pool(torch.zeros(1, 1, 4, 4), torch.zeros(2, 4), 2)
    with pytest.raises(ValueError, match=r'RoIPool: output_size must be a positive .*-3'):
        RoIPool(-3)
