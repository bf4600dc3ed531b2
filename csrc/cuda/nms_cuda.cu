// CUDA kernels of detkit::nms and detkit::batched_nms.
//
// The classic bitmask scheme: boxes sorted by score, one 64-bit word per
// (box, block of 64 later boxes) marking which of them the box suppresses;
// then a single-block kernel walks the boxes in order and ORs the mask row of
// every kept box into a "removed" bitset. Both steps stay on the GPU; only the
// final number of kept boxes reaches the host (through nonzero).
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/unique_consecutive.h>
#include <ATen/ops/zeros.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/library.h>

#include <cstdint>
#include <vector>

#include "common/checks.h"
#include "common/nms_kernel.h"

namespace detkit {
namespace {

constexpr int kBits = 64;  // boxes per mask word = threads per mask block

template <typename scalar_t>
__global__ void nms_mask_kernel(int64_t n, const scalar_t* __restrict__ boxes,
                                at::opmath_type<scalar_t> iou_threshold,
                                at::opmath_type<scalar_t> offset, int64_t col_blocks,
                                unsigned long long* __restrict__ mask) {
  using acc_t = at::opmath_type<scalar_t>;
  const int64_t row_start = blockIdx.y, col_start = blockIdx.x;
  // Only later boxes can be suppressed: the lower triangle is never read.
  if (row_start > col_start) return;
  const int row_size = static_cast<int>(kernels::dmin<int64_t>(n - row_start * kBits, kBits));
  const int col_size = static_cast<int>(kernels::dmin<int64_t>(n - col_start * kBits, kBits));

  __shared__ acc_t col_boxes[kBits * 5];
  if (threadIdx.x < col_size) {
    const scalar_t* b = boxes + 4 * (col_start * kBits + threadIdx.x);
    acc_t* c = col_boxes + 5 * threadIdx.x;
    c[0] = b[0]; c[1] = b[1]; c[2] = b[2]; c[3] = b[3];
    c[4] = kernels::nms_box_area(c[0], c[1], c[2], c[3], offset);
  }
  __syncthreads();

  if (threadIdx.x < row_size) {
    const int64_t i = row_start * kBits + threadIdx.x;
    const scalar_t* b = boxes + 4 * i;
    const acc_t x1 = b[0], y1 = b[1], x2 = b[2], y2 = b[3];
    const acc_t area = kernels::nms_box_area(x1, y1, x2, y2, offset);
    unsigned long long bits = 0;
    const int start = (row_start == col_start) ? threadIdx.x + 1 : 0;
    for (int j = start; j < col_size; ++j) {
      const acc_t* c = col_boxes + 5 * j;
      if (kernels::nms_iou(x1, y1, x2, y2, area, c[0], c[1], c[2], c[3], c[4], offset) >
          iou_threshold) {
        bits |= 1ULL << j;
      }
    }
    mask[i * col_blocks + col_start] = bits;
  }
}

// One block: the greedy pass over boxes is sequential, the OR of a kept box's
// mask row into `removed` is spread over the threads.
__global__ void nms_reduce_kernel(int64_t n, int64_t col_blocks,
                                  const unsigned long long* __restrict__ mask,
                                  unsigned long long* removed, bool* __restrict__ keep) {
  for (int64_t i = 0; i < n; ++i) {
    const int64_t word = i / kBits;
    const bool kept = !((removed[word] >> (i % kBits)) & 1ULL);
    __syncthreads();  // all threads read removed[word] before anyone updates it
    if (kept) {
      const unsigned long long* row = mask + i * col_blocks;
      for (int64_t j = word + threadIdx.x; j < col_blocks; j += blockDim.x) removed[j] |= row[j];
      if (threadIdx.x == 0) keep[i] = true;
    }
    __syncthreads();
  }
}

at::Tensor nms_cuda(const at::Tensor& boxes, const at::Tensor& scores, double iou_threshold,
                    int64_t offset) {
  check_nms_args(boxes, scores, offset, "nms");
  c10::cuda::CUDAGuard guard(boxes.device());
  const int64_t n = boxes.size(0);
  if (n == 0) return at::empty({0}, boxes.options().dtype(at::kLong));
  const at::Tensor order = std::get<1>(scores.sort(/*stable=*/true, /*dim=*/0, /*descending=*/true));
  const at::Tensor sorted = boxes.index_select(0, order).contiguous();
  const int64_t col_blocks = (n + kBits - 1) / kBits;
  TORCH_CHECK(col_blocks <= 65535, "nms: at most ", 65535 * kBits, " boxes per call on CUDA, got ", n);
  at::Tensor mask = at::empty({n * col_blocks}, boxes.options().dtype(at::kLong));
  at::Tensor removed = at::zeros({col_blocks}, boxes.options().dtype(at::kLong));
  at::Tensor keep = at::zeros({n}, boxes.options().dtype(at::kBool));
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  auto* mask_ptr = reinterpret_cast<unsigned long long*>(mask.mutable_data_ptr<int64_t>());

  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, sorted.scalar_type(), "nms_cuda", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    const dim3 blocks(col_blocks, col_blocks);
    nms_mask_kernel<scalar_t><<<blocks, kBits, 0, stream>>>(
        n, sorted.const_data_ptr<scalar_t>(), acc_t(iou_threshold), acc_t(offset), col_blocks,
        mask_ptr);
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  });
  nms_reduce_kernel<<<1, 256, 0, stream>>>(
      n, col_blocks, mask_ptr,
      reinterpret_cast<unsigned long long*>(removed.mutable_data_ptr<int64_t>()),
      keep.mutable_data_ptr<bool>());
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  return order.index_select(0, keep.nonzero().squeeze(1));
}

// Per-group NMS: one nms_cuda call per group of equal idxs, which bounds the
// mask memory by the largest group. Result by decreasing score, ties by index.
at::Tensor batched_nms_cuda(const at::Tensor& boxes, const at::Tensor& scores,
                            const at::Tensor& idxs, double iou_threshold, int64_t offset) {
  check_nms_args(boxes, scores, offset, "batched_nms");
  check_idxs(idxs, boxes, "batched_nms");
  c10::cuda::CUDAGuard guard(boxes.device());
  const int64_t n = boxes.size(0);
  if (n == 0) return at::empty({0}, boxes.options().dtype(at::kLong));
  const at::Tensor cls = idxs.to(at::kLong);
  const at::Tensor grouped = std::get<1>(cls.sort(/*stable=*/true, /*dim=*/0, /*descending=*/false));
  const at::Tensor counts =
      std::get<2>(at::unique_consecutive(cls.index_select(0, grouped), false, true)).cpu();
  const int64_t* cnt = counts.const_data_ptr<int64_t>();
  std::vector<at::Tensor> kept;
  int64_t start = 0;
  for (int64_t g = 0; g < counts.numel(); ++g) {
    const at::Tensor members = grouped.narrow(0, start, cnt[g]);
    const at::Tensor k = nms_cuda(boxes.index_select(0, members), scores.index_select(0, members),
                                  iou_threshold, offset);
    kept.push_back(members.index_select(0, k));
    start += cnt[g];
  }
  const at::Tensor all = std::get<0>(at::cat(kept).sort());
  const at::Tensor by_score =
      std::get<1>(scores.index_select(0, all).sort(/*stable=*/true, /*dim=*/0, /*descending=*/true));
  return all.index_select(0, by_score);
}

}  // namespace

TORCH_LIBRARY_IMPL(detkit, CUDA, m) {
  m.impl("nms", &nms_cuda);
  m.impl("batched_nms", &batched_nms_cuda);
}

}  // namespace detkit
