// CUDA kernel of detkit::bbox_overlaps: one thread per output element, the
// arithmetic shared with the CPU kernel through common/bbox_overlaps_kernel.h.
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/library.h>

#include "common/bbox_overlaps_kernel.h"
#include "common/checks.h"

namespace detkit {
namespace {

template <typename scalar_t, int Mode>
__global__ void bbox_overlaps_kernel(const scalar_t* __restrict__ b1,
                                     const scalar_t* __restrict__ b2, scalar_t* __restrict__ out,
                                     int64_t rows, int64_t cols, bool aligned,
                                     at::opmath_type<scalar_t> eps) {
  using acc_t = at::opmath_type<scalar_t>;
  const int64_t total = aligned ? rows : rows * cols;
  for (int64_t k = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; k < total;
       k += (int64_t)blockDim.x * gridDim.x) {
    const int64_t i = aligned ? k : k / cols;
    const int64_t j = aligned ? k : k % cols;
    const scalar_t* a = b1 + 4 * i;
    const scalar_t* b = b2 + 4 * j;
    out[k] = static_cast<scalar_t>(kernels::bbox_overlap<acc_t, Mode>(
        acc_t(a[0]), acc_t(a[1]), acc_t(a[2]), acc_t(a[3]), acc_t(b[0]), acc_t(b[1]),
        acc_t(b[2]), acc_t(b[3]), eps));
  }
}

at::Tensor bbox_overlaps_cuda(const at::Tensor& bboxes1, const at::Tensor& bboxes2,
                              c10::string_view mode_name, bool aligned, double eps) {
  check_bbox_overlaps_args(bboxes1, bboxes2, aligned);
  const int mode = overlap_mode(mode_name);
  c10::cuda::CUDAGuard guard(bboxes1.device());
  const int64_t rows = bboxes1.size(0), cols = bboxes2.size(0);
  at::Tensor out = aligned ? at::empty({rows}, bboxes1.options())
                           : at::empty({rows, cols}, bboxes1.options());
  const int64_t total = out.numel();
  if (total == 0) return out;
  const at::Tensor b1 = bboxes1.contiguous(), b2 = bboxes2.contiguous();
  const int threads = 256;
  const int blocks = static_cast<int>(std::min<int64_t>((total + threads - 1) / threads, 65535));
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream();

  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, b1.scalar_type(), "bbox_overlaps_cuda", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    const scalar_t* p1 = b1.const_data_ptr<scalar_t>();
    const scalar_t* p2 = b2.const_data_ptr<scalar_t>();
    scalar_t* po = out.mutable_data_ptr<scalar_t>();
    const acc_t e = static_cast<acc_t>(eps);
    if (mode == kernels::kIoU) {
      bbox_overlaps_kernel<scalar_t, kernels::kIoU>
          <<<blocks, threads, 0, stream>>>(p1, p2, po, rows, cols, aligned, e);
    } else if (mode == kernels::kIoF) {
      bbox_overlaps_kernel<scalar_t, kernels::kIoF>
          <<<blocks, threads, 0, stream>>>(p1, p2, po, rows, cols, aligned, e);
    } else {
      bbox_overlaps_kernel<scalar_t, kernels::kGIoU>
          <<<blocks, threads, 0, stream>>>(p1, p2, po, rows, cols, aligned, e);
    }
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  });
  return out;
}

}  // namespace

TORCH_LIBRARY_IMPL(detkit, CUDA, m) {
  m.impl("bbox_overlaps", &bbox_overlaps_cuda);
}

}  // namespace detkit
