// CUDA kernels of detkit::roi_align and detkit::roi_pool, forward and backward:
// one thread per output element, the geometry and bilinear weights shared with
// the CPU kernels through common/. Backward scatters with atomicAdd into an
// fp32/fp64 buffer (cast to the input dtype at the end).
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/zeros.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/library.h>

#include <limits>
#include <tuple>

#include "common/checks.h"
#include "common/roi_align_kernel.h"
#include "common/roi_pool_kernel.h"

namespace detkit {
namespace {

constexpr int kThreads = 256;

inline int num_blocks(int64_t n) {
  return static_cast<int>(std::min<int64_t>((n + kThreads - 1) / kThreads, 4096));
}

#define DETKIT_KERNEL_LOOP(i, n) \
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < (n); i += (int64_t)blockDim.x * gridDim.x)

template <typename scalar_t>
__global__ void roi_align_forward_kernel(int64_t total, const scalar_t* __restrict__ input,
                                         const at::opmath_type<scalar_t>* __restrict__ rois,
                                         at::opmath_type<scalar_t> spatial_scale, int channels,
                                         int height, int width, int pooled_h, int pooled_w,
                                         int sampling_ratio, bool aligned, bool max_mode,
                                         scalar_t* __restrict__ output,
                                         at::opmath_type<scalar_t>* __restrict__ argmax_y,
                                         at::opmath_type<scalar_t>* __restrict__ argmax_x) {
  using acc_t = at::opmath_type<scalar_t>;
  DETKIT_KERNEL_LOOP(index, total) {
    const int pw = index % pooled_w;
    const int ph = (index / pooled_w) % pooled_h;
    const int c = (index / pooled_w / pooled_h) % channels;
    const int64_t n = index / pooled_w / pooled_h / channels;
    const auto g = kernels::roi_align_geometry(rois + 5 * n, spatial_scale, pooled_h, pooled_w,
                                               sampling_ratio, aligned);
    const scalar_t* feat = input + (g.batch * channels + c) * (int64_t)height * width;
    const int grid_h = g.grid_h > 0 ? g.grid_h : 0, grid_w = g.grid_w > 0 ? g.grid_w : 0;
    acc_t sum = 0, best = 0, by = -1, bx = -1;
    bool any = false;
    for (int iy = 0; iy < grid_h; ++iy) {
      const acc_t y = kernels::roi_align_sample_y(g, ph, iy);
      for (int ix = 0; ix < grid_w; ++ix) {
        const acc_t x = kernels::roi_align_sample_x(g, pw, ix);
        int64_t o[4];
        acc_t w[4];
        kernels::bilinear_weights(height, width, y, x, o, w);
        const acc_t v = w[0] * acc_t(feat[o[0]]) + w[1] * acc_t(feat[o[1]]) +
                        w[2] * acc_t(feat[o[2]]) + w[3] * acc_t(feat[o[3]]);
        sum += v;
        if (!any || v > best) {
          best = v;
          by = y;
          bx = x;
          any = true;
        }
      }
    }
    if (max_mode) {
      output[index] = static_cast<scalar_t>(best);
      argmax_y[index] = by;
      argmax_x[index] = bx;
    } else {
      const int count = grid_h * grid_w > 0 ? grid_h * grid_w : 1;
      output[index] = static_cast<scalar_t>(sum / static_cast<acc_t>(count));
    }
  }
}

template <typename scalar_t>
__global__ void roi_align_backward_kernel(int64_t total, const scalar_t* __restrict__ grad,
                                          const at::opmath_type<scalar_t>* __restrict__ rois,
                                          at::opmath_type<scalar_t> spatial_scale, int channels,
                                          int height, int width, int pooled_h, int pooled_w,
                                          int sampling_ratio, bool aligned, bool max_mode,
                                          const at::opmath_type<scalar_t>* __restrict__ argmax_y,
                                          const at::opmath_type<scalar_t>* __restrict__ argmax_x,
                                          at::opmath_type<scalar_t>* __restrict__ grad_input) {
  using acc_t = at::opmath_type<scalar_t>;
  DETKIT_KERNEL_LOOP(index, total) {
    const int pw = index % pooled_w;
    const int ph = (index / pooled_w) % pooled_h;
    const int c = (index / pooled_w / pooled_h) % channels;
    const int64_t n = index / pooled_w / pooled_h / channels;
    const acc_t go = acc_t(grad[index]);
    const int64_t batch = static_cast<int64_t>(rois[5 * n]);
    acc_t* gin = grad_input + (batch * channels + c) * (int64_t)height * width;
    int64_t o[4];
    acc_t w[4];
    if (max_mode) {
      const acc_t y = argmax_y[index], x = argmax_x[index];
      if (y == acc_t(-1) && x == acc_t(-1)) continue;
      if (!kernels::bilinear_weights(height, width, y, x, o, w)) continue;
      for (int q = 0; q < 4; ++q) atomicAdd(gin + o[q], go * w[q]);
      continue;
    }
    const auto g = kernels::roi_align_geometry(rois + 5 * n, spatial_scale, pooled_h, pooled_w,
                                               sampling_ratio, aligned);
    const int grid_h = g.grid_h > 0 ? g.grid_h : 0, grid_w = g.grid_w > 0 ? g.grid_w : 0;
    const int count = grid_h * grid_w > 0 ? grid_h * grid_w : 1;
    const acc_t scaled = go / static_cast<acc_t>(count);
    for (int iy = 0; iy < grid_h; ++iy) {
      const acc_t y = kernels::roi_align_sample_y(g, ph, iy);
      for (int ix = 0; ix < grid_w; ++ix) {
        const acc_t x = kernels::roi_align_sample_x(g, pw, ix);
        if (!kernels::bilinear_weights(height, width, y, x, o, w)) continue;
        for (int q = 0; q < 4; ++q) atomicAdd(gin + o[q], scaled * w[q]);
      }
    }
  }
}

template <typename scalar_t>
__global__ void roi_pool_forward_kernel(int64_t total, const scalar_t* __restrict__ input,
                                        const at::opmath_type<scalar_t>* __restrict__ rois,
                                        at::opmath_type<scalar_t> spatial_scale, int channels,
                                        int height, int width, int pooled_h, int pooled_w,
                                        scalar_t* __restrict__ output, int64_t* __restrict__ argmax) {
  using acc_t = at::opmath_type<scalar_t>;
  DETKIT_KERNEL_LOOP(index, total) {
    const int pw = index % pooled_w;
    const int ph = (index / pooled_w) % pooled_h;
    const int c = (index / pooled_w / pooled_h) % channels;
    const int64_t n = index / pooled_w / pooled_h / channels;
    const acc_t* roi = rois + 5 * n;
    const auto bin = kernels::roi_pool_bin(roi, spatial_scale, pooled_h, pooled_w, ph, pw, height, width);
    const scalar_t* feat = input + (static_cast<int64_t>(roi[0]) * channels + c) * (int64_t)height * width;
    acc_t best = bin.empty() ? acc_t(0) : -std::numeric_limits<acc_t>::max();
    int64_t arg = -1;
    for (int y = bin.hstart; y < bin.hend; ++y) {
      for (int x = bin.wstart; x < bin.wend; ++x) {
        const int64_t idx = static_cast<int64_t>(y) * width + x;
        const acc_t v = acc_t(feat[idx]);
        if (v > best) {
          best = v;
          arg = idx;
        }
      }
    }
    output[index] = static_cast<scalar_t>(best);
    argmax[index] = arg;
  }
}

template <typename scalar_t>
__global__ void roi_pool_backward_kernel(int64_t total, const scalar_t* __restrict__ grad,
                                         const at::opmath_type<scalar_t>* __restrict__ rois,
                                         const int64_t* __restrict__ argmax, int channels,
                                         int64_t plane, int bins,
                                         at::opmath_type<scalar_t>* __restrict__ grad_input) {
  using acc_t = at::opmath_type<scalar_t>;
  DETKIT_KERNEL_LOOP(index, total) {
    const int64_t arg = argmax[index];
    if (arg < 0) continue;
    const int c = (index / bins) % channels;
    const int64_t n = index / bins / channels;
    const int64_t batch = static_cast<int64_t>(rois[5 * n]);
    atomicAdd(grad_input + (batch * channels + c) * plane + arg, acc_t(grad[index]));
  }
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> roi_align_forward_cuda(
    const at::Tensor& input, const at::Tensor& rois, double spatial_scale, int64_t pooled_h,
    int64_t pooled_w, int64_t sampling_ratio, bool aligned, bool max_mode) {
  check_roi_args(input, rois, pooled_h, pooled_w, "roi_align");
  c10::cuda::CUDAGuard guard(input.device());
  const int64_t num_rois = rois.size(0), channels = input.size(1);
  at::Tensor output = at::empty({num_rois, channels, pooled_h, pooled_w}, input.options());
  const auto acc_type = at::toOpMathType(input.scalar_type());
  at::Tensor argmax_y = at::empty({max_mode ? num_rois : 0, channels, pooled_h, pooled_w}, input.options().dtype(acc_type));
  at::Tensor argmax_x = at::empty({max_mode ? num_rois : 0, channels, pooled_h, pooled_w}, input.options().dtype(acc_type));
  const int64_t total = output.numel();
  if (total == 0) return std::make_tuple(output, argmax_y, argmax_x);
  const at::Tensor in = input.contiguous();
  const at::Tensor r = rois.to(acc_type).contiguous();
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, in.scalar_type(), "roi_align_forward_cuda", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    roi_align_forward_kernel<scalar_t><<<num_blocks(total), kThreads, 0, stream>>>(
        total, in.const_data_ptr<scalar_t>(), r.const_data_ptr<acc_t>(), acc_t(spatial_scale),
        channels, in.size(2), in.size(3), pooled_h, pooled_w, sampling_ratio, aligned, max_mode,
        output.mutable_data_ptr<scalar_t>(), max_mode ? argmax_y.mutable_data_ptr<acc_t>() : nullptr,
        max_mode ? argmax_x.mutable_data_ptr<acc_t>() : nullptr);
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  });
  return std::make_tuple(output, argmax_y, argmax_x);
}

at::Tensor roi_align_backward_cuda(const at::Tensor& grad, const at::Tensor& rois,
                                   const at::Tensor& argmax_y, const at::Tensor& argmax_x,
                                   double spatial_scale, int64_t pooled_h, int64_t pooled_w,
                                   int64_t sampling_ratio, bool aligned, bool max_mode,
                                   int64_t batch_size, int64_t channels, int64_t height,
                                   int64_t width) {
  c10::cuda::CUDAGuard guard(grad.device());
  const auto acc_type = at::toOpMathType(grad.scalar_type());
  at::Tensor grad_input = at::zeros({batch_size, channels, height, width}, grad.options().dtype(acc_type));
  const int64_t total = grad.numel();
  if (total == 0) return grad_input.to(grad.scalar_type());
  const at::Tensor g = grad.contiguous();
  const at::Tensor r = rois.to(acc_type).contiguous();
  const at::Tensor ay = argmax_y.contiguous(), ax = argmax_x.contiguous();
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, g.scalar_type(), "roi_align_backward_cuda", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    roi_align_backward_kernel<scalar_t><<<num_blocks(total), kThreads, 0, stream>>>(
        total, g.const_data_ptr<scalar_t>(), r.const_data_ptr<acc_t>(), acc_t(spatial_scale),
        channels, height, width, pooled_h, pooled_w, sampling_ratio, aligned, max_mode,
        max_mode ? ay.const_data_ptr<acc_t>() : nullptr, max_mode ? ax.const_data_ptr<acc_t>() : nullptr,
        grad_input.mutable_data_ptr<acc_t>());
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  });
  return grad_input.to(grad.scalar_type());
}

std::tuple<at::Tensor, at::Tensor> roi_pool_forward_cuda(const at::Tensor& input,
                                                         const at::Tensor& rois,
                                                         double spatial_scale, int64_t pooled_h,
                                                         int64_t pooled_w) {
  check_roi_args(input, rois, pooled_h, pooled_w, "roi_pool");
  c10::cuda::CUDAGuard guard(input.device());
  const int64_t num_rois = rois.size(0), channels = input.size(1);
  at::Tensor output = at::empty({num_rois, channels, pooled_h, pooled_w}, input.options());
  at::Tensor argmax = at::empty({num_rois, channels, pooled_h, pooled_w}, input.options().dtype(at::kLong));
  const int64_t total = output.numel();
  if (total == 0) return std::make_tuple(output, argmax);
  const at::Tensor in = input.contiguous();
  const at::Tensor r = rois.to(at::toOpMathType(input.scalar_type())).contiguous();
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, in.scalar_type(), "roi_pool_forward_cuda", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    roi_pool_forward_kernel<scalar_t><<<num_blocks(total), kThreads, 0, stream>>>(
        total, in.const_data_ptr<scalar_t>(), r.const_data_ptr<acc_t>(), acc_t(spatial_scale),
        channels, in.size(2), in.size(3), pooled_h, pooled_w, output.mutable_data_ptr<scalar_t>(),
        argmax.mutable_data_ptr<int64_t>());
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  });
  return std::make_tuple(output, argmax);
}

at::Tensor roi_pool_backward_cuda(const at::Tensor& grad, const at::Tensor& rois,
                                  const at::Tensor& argmax, int64_t batch_size, int64_t channels,
                                  int64_t height, int64_t width) {
  c10::cuda::CUDAGuard guard(grad.device());
  const auto acc_type = at::toOpMathType(grad.scalar_type());
  at::Tensor grad_input = at::zeros({batch_size, channels, height, width}, grad.options().dtype(acc_type));
  const int64_t total = grad.numel();
  if (total == 0) return grad_input.to(grad.scalar_type());
  const at::Tensor g = grad.contiguous(), a = argmax.contiguous();
  const at::Tensor r = rois.to(acc_type).contiguous();
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, g.scalar_type(), "roi_pool_backward_cuda", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    roi_pool_backward_kernel<scalar_t><<<num_blocks(total), kThreads, 0, stream>>>(
        total, g.const_data_ptr<scalar_t>(), r.const_data_ptr<acc_t>(), a.const_data_ptr<int64_t>(),
        channels, height * width, static_cast<int>(g.size(2) * g.size(3)),
        grad_input.mutable_data_ptr<acc_t>());
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  });
  return grad_input.to(grad.scalar_type());
}

}  // namespace

TORCH_LIBRARY_IMPL(detkit, CUDA, m) {
  m.impl("roi_align", &roi_align_forward_cuda);
  m.impl("_roi_align_backward", &roi_align_backward_cuda);
  m.impl("roi_pool", &roi_pool_forward_cuda);
  m.impl("_roi_pool_backward", &roi_pool_backward_cuda);
}

}  // namespace detkit
