import math

import pytest
import torch
import torchvision

from detkit.ops import RoIAlign, roi_align


def make_rois(n, generator, batch=2, image=(120.0, 160.0), outside=True, dtype=torch.float64):
    """Rois in image pixels; with `outside`, some lie partly or wholly off the map."""
    lo = -40.0 if outside else 0.0
    hi_x, hi_y = (image[1] + 40.0, image[0] + 40.0) if outside else (image[1], image[0])
    x1 = torch.rand(n, generator=generator, dtype=torch.float64) * (hi_x - lo) + lo
    y1 = torch.rand(n, generator=generator, dtype=torch.float64) * (hi_y - lo) + lo
    w = torch.rand(n, generator=generator, dtype=torch.float64) * 80
    h = torch.rand(n, generator=generator, dtype=torch.float64) * 80
    idx = torch.randint(0, batch, (n,), generator=generator).double()
    return torch.stack([idx, x1, y1, x1 + w, y1 + h], 1).to(dtype)


def bilinear64(feat, y, x):
    height, width = len(feat), len(feat[0])
    if y < -1.0 or y > height or x < -1.0 or x > width:
        return 0.0
    y, x = max(y, 0.0), max(x, 0.0)
    y0, x0 = int(y), int(x)
    if y0 >= height - 1:
        y0 = y1 = height - 1
        y = float(y0)
    else:
        y1 = y0 + 1
    if x0 >= width - 1:
        x0 = x1 = width - 1
        x = float(x0)
    else:
        x1 = x0 + 1
    ly, lx = y - y0, x - x0
    return (
        (1 - ly) * (1 - lx) * feat[y0][x0]
        + (1 - ly) * lx * feat[y0][x1]
        + ly * (1 - lx) * feat[y1][x0]
        + ly * lx * feat[y1][x1]
    )


def roi_align64(input, rois, out_hw, scale, ratio, mode, aligned):
    """Float64 RoIAlign straight from the definition (avg and mmcv's max)."""
    feats = input.double().tolist()
    out = torch.zeros(len(rois), input.shape[1], *out_hw, dtype=torch.float64)
    for n, (b, x1, y1, x2, y2) in enumerate(rois.double().tolist()):
        shift = 0.5 if aligned else 0.0
        sx, sy = x1 * scale - shift, y1 * scale - shift
        rw, rh = x2 * scale - shift - sx, y2 * scale - shift - sy
        if not aligned:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        bh, bw = rh / out_hw[0], rw / out_hw[1]
        gh = ratio if ratio > 0 else math.ceil(rh / out_hw[0])
        gw = ratio if ratio > 0 else math.ceil(rw / out_hw[1])
        for c in range(input.shape[1]):
            feat = feats[int(b)][c]
            for ph in range(out_hw[0]):
                for pw in range(out_hw[1]):
                    vals = [
                        bilinear64(
                            feat,
                            sy + ph * bh + (iy + 0.5) * bh / gh,
                            sx + pw * bw + (ix + 0.5) * bw / gw,
                        )
                        for iy in range(gh)
                        for ix in range(gw)
                    ]
                    if mode == 'avg':
                        out[n, c, ph, pw] = sum(vals) / max(len(vals), 1)
                    else:
                        out[n, c, ph, pw] = max(vals) if vals else 0.0
    return out


@pytest.mark.parametrize('aligned', [True, False])
@pytest.mark.parametrize('sampling_ratio', [0, 2])
def test_matches_torchvision_forward_backward(aligned, sampling_ratio):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 8, 30, 40, generator=g).requires_grad_()
    rois = make_rois(40, g, dtype=torch.float32)
    out = roi_align(x, rois, (7, 6), 0.25, sampling_ratio, 'avg', aligned)
    x_tv = x.detach().clone().requires_grad_()
    ref = torchvision.ops.roi_align(x_tv, rois, (7, 6), 0.25, sampling_ratio, aligned)
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)
    grad = torch.randn(out.shape, generator=g)
    out.backward(grad)
    ref.backward(grad)
    torch.testing.assert_close(x.grad, x_tv.grad, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('mode', ['avg', 'max'])
@pytest.mark.parametrize('aligned', [True, False])
@pytest.mark.parametrize('sampling_ratio', [0, 3])
def test_against_float64_definition(mode, aligned, sampling_ratio):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(2, 3, 12, 16, generator=g, dtype=torch.float64)
    rois = make_rois(6, g, image=(48.0, 64.0))
    rois[0] = torch.tensor([1.0, 8.0, 8.0, 8.0, 8.0])  # zero-size roi
    rois[1] = torch.tensor([0.0, -90.0, -90.0, -70.0, -60.0])  # wholly outside the map
    out = roi_align(x, rois, (3, 4), 0.25, sampling_ratio, mode, aligned)
    ref = roi_align64(x, rois, (3, 4), 0.25, sampling_ratio, mode, aligned)
    torch.testing.assert_close(out, ref, rtol=1e-12, atol=1e-12)
    assert out[1].abs().max() == 0.0  # nothing sampled off the map


@pytest.mark.parametrize('mode', ['avg', 'max'])
@pytest.mark.parametrize('aligned', [True, False])
def test_gradcheck(mode, aligned):
    g = torch.Generator().manual_seed(2)
    x = torch.randn(2, 2, 6, 7, generator=g, dtype=torch.float64, requires_grad=True)
    rois = make_rois(4, g, image=(12.0, 14.0)) * torch.tensor(
        [1.0, 0.5, 0.5, 0.5, 0.5], dtype=torch.float64
    )
    for ratio in (0, 2):
        assert torch.autograd.gradcheck(
            lambda t, ratio=ratio: roi_align(t, rois, (3, 2), 0.5, ratio, mode, aligned), (x,)
        )


def test_edge_cases():
    g = torch.Generator().manual_seed(3)
    x = torch.randn(2, 4, 10, 10, generator=g)
    empty = roi_align(x, torch.zeros(0, 5), 7)
    assert empty.shape == (0, 4, 7, 7)
    one = roi_align(
        x, torch.tensor([[1.0, 0.0, 0.0, 10.0, 10.0]]), 1, aligned=True, sampling_ratio=2
    )
    # 2x2 samples at pixel centres (2, 2), (2, 7), (7, 2), (7, 7) of image 1.
    torch.testing.assert_close(one.view(4), x[1][:, [2, 2, 7, 7], [2, 7, 2, 7]].mean(1))
    # Non-contiguous input (channels-last and a strided slice) and rois.
    rois = make_rois(10, g, dtype=torch.float32, image=(10.0, 10.0))
    expected = torchvision.ops.roi_align(x, rois, 3, 1.0, 2, True)
    torch.testing.assert_close(
        roi_align(x.to(memory_format=torch.channels_last), rois, 3, 1.0, 2), expected
    )
    wide = torch.zeros(10, 10)
    wide[:, ::2] = rois
    torch.testing.assert_close(roi_align(x, wide[:, ::2], 3, 1.0, 2), expected)
    big = torch.randn(2, 8, 10, 10, generator=g)
    torch.testing.assert_close(
        roi_align(big[:, ::2], rois, 3, 1.0, 2),
        torchvision.ops.roi_align(big[:, ::2].contiguous(), rois, 3, 1.0, 2, True),
    )


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
def test_half_inputs(dtype):
    g = torch.Generator().manual_seed(4)
    x = torch.randn(2, 4, 20, 20, generator=g)
    rois = make_rois(12, g, dtype=torch.float32, image=(80.0, 80.0))
    out = roi_align(x.to(dtype), rois, 5, 0.25, 0)
    assert out.dtype == dtype
    expected = roi_align(x.to(dtype).float(), rois, 5, 0.25, 0).to(dtype)
    torch.testing.assert_close(out, expected, rtol=0, atol=0)
    xh = x.to(dtype).requires_grad_()
    roi_align(xh, rois, 5, 0.25, 0).float().sum().backward()
    xf = x.to(dtype).float().requires_grad_()
    roi_align(xf, rois, 5, 0.25, 0).sum().backward()
    assert xh.grad.dtype == dtype
    torch.testing.assert_close(xh.grad, xf.grad.to(dtype))


def test_module_and_compile():
    m = RoIAlign((7, 7), spatial_scale=0.5, sampling_ratio=2, use_torchvision=True)
    assert 'use_torchvision=True' in repr(m) and m.output_size == (7, 7)
    g = torch.Generator().manual_seed(5)
    x = torch.randn(2, 3, 16, 16, generator=g, requires_grad=True)
    rois = make_rois(5, g, dtype=torch.float32, image=(32.0, 32.0))

    def fn(inp):
        return m(inp, rois).square().sum()

    compiled = torch.compile(fn, backend='aot_eager', fullgraph=True)
    out = compiled(x)
    (grad_c,) = torch.autograd.grad(out, x)
    (grad_e,) = torch.autograd.grad(fn(x), x)
    torch.testing.assert_close(out, fn(x))
    torch.testing.assert_close(grad_c, grad_e)


@pytest.mark.parametrize(
    'call, match',
    [
        (
            lambda: roi_align(torch.zeros(1, 2, 4, 4), torch.zeros(3, 4), 7),
            r'rois must have shape \(n, 5\).*got \(3, 4\)',
        ),
        (
            lambda: roi_align(torch.zeros(2, 4, 4), torch.zeros(3, 5), 7),
            r'input must have shape \(N, C, H, W\), got \(2, 4, 4\)',
        ),
        (
            lambda: roi_align(torch.zeros(1, 2, 4, 4), torch.zeros(3, 5), (-1, 7)),
            r'output_size must be a positive .*\(-1, 7\)',
        ),
        (
            lambda: roi_align(torch.zeros(1, 2, 4, 4), torch.zeros(3, 5), 7, pool_mode='mean'),
            r"pool_mode must be one of .*'mean'",
        ),
        (lambda: RoIAlign(0), r'RoIAlign: output_size must be a positive int'),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_compiled_op_checks():
    with pytest.raises(
        RuntimeError, match=r'roi_align: rois must have shape \(n, 5\).*got \[3, 4\]'
    ):
        torch.ops.detkit.roi_align(
            torch.zeros(1, 2, 4, 4), torch.zeros(3, 4), 1.0, 2, 2, 0, True, False
        )
    with pytest.raises(RuntimeError, match=r'output_size must be positive, got \(0, 2\)'):
        torch.ops.detkit.roi_align(
            torch.zeros(1, 2, 4, 4), torch.zeros(3, 5), 1.0, 0, 2, 0, True, False
        )
    with pytest.raises(
        RuntimeError, match=r'rois\[0, 0\] must be a batch index in \[0, 1\), got 3'
    ):
        torch.ops.detkit.roi_align(
            torch.zeros(1, 2, 4, 4), torch.tensor([[3.0, 0, 0, 2, 2]]), 1.0, 2, 2, 0, True, False
        )
