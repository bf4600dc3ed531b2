// CPU kernel of detkit::bbox_overlaps: rows in parallel, the columns of
// bboxes2 laid out as separate coordinate arrays so the inner loop vectorises.
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <torch/library.h>

#include <type_traits>
#include <vector>

#include "common/bbox_overlaps_kernel.h"
#include "common/checks.h"

namespace detkit {
namespace {

template <typename F>
void dispatch_overlap_mode(int mode, F&& f) {
  using namespace kernels;
  switch (mode) {
    case kIoU: f(std::integral_constant<int, kIoU>()); break;
    case kIoF: f(std::integral_constant<int, kIoF>()); break;
    default: f(std::integral_constant<int, kGIoU>()); break;
  }
}

at::Tensor bbox_overlaps_cpu(const at::Tensor& bboxes1, const at::Tensor& bboxes2,
                             c10::string_view mode_name, bool aligned, double eps) {
  check_bbox_overlaps_args(bboxes1, bboxes2, aligned);
  const int mode = overlap_mode(mode_name);
  const int64_t rows = bboxes1.size(0), cols = bboxes2.size(0);
  at::Tensor out = aligned ? at::empty({rows}, bboxes1.options())
                           : at::empty({rows, cols}, bboxes1.options());
  if (out.numel() == 0) return out;
  const at::Tensor b1 = bboxes1.contiguous(), b2 = bboxes2.contiguous();

  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, b1.scalar_type(), "bbox_overlaps_cpu", [&] {
    // fp16/bf16 boxes are computed in fp32 (their opmath type).
    using acc_t = at::opmath_type<scalar_t>;
    const scalar_t* p1 = b1.const_data_ptr<scalar_t>();
    const scalar_t* p2 = b2.const_data_ptr<scalar_t>();
    scalar_t* po = out.mutable_data_ptr<scalar_t>();
    const acc_t e = static_cast<acc_t>(eps);
    dispatch_overlap_mode(mode, [&](auto mode_tag) {
      constexpr int M = decltype(mode_tag)::value;
      if (aligned) {
        at::parallel_for(0, rows, 4096, [&](int64_t begin, int64_t end) {
          for (int64_t i = begin; i < end; ++i) {
            const scalar_t* a = p1 + 4 * i;
            const scalar_t* b = p2 + 4 * i;
            po[i] = static_cast<scalar_t>(kernels::bbox_overlap<acc_t, M>(
                a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3], e));
          }
        });
        return;
      }
      // Structure-of-arrays copy of bboxes2 in the compute type.
      std::vector<acc_t> soa(4 * cols);
      acc_t *bx1 = soa.data(), *by1 = bx1 + cols, *bx2 = by1 + cols, *by2 = bx2 + cols;
      for (int64_t j = 0; j < cols; ++j) {
        bx1[j] = p2[4 * j]; by1[j] = p2[4 * j + 1]; bx2[j] = p2[4 * j + 2]; by2[j] = p2[4 * j + 3];
      }
      const int64_t grain = std::max<int64_t>(1, 32768 / cols);
      at::parallel_for(0, rows, grain, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
          const acc_t ax1 = p1[4 * i], ay1 = p1[4 * i + 1], ax2 = p1[4 * i + 2], ay2 = p1[4 * i + 3];
          scalar_t* orow = po + i * cols;
          for (int64_t j = 0; j < cols; ++j) {
            orow[j] = static_cast<scalar_t>(kernels::bbox_overlap<acc_t, M>(
                ax1, ay1, ax2, ay2, bx1[j], by1[j], bx2[j], by2[j], e));
          }
        }
      });
    });
  });
  return out;
}

}  // namespace

TORCH_LIBRARY_IMPL(detkit, CPU, m) {
  m.impl("bbox_overlaps", &bbox_overlaps_cpu);
}

}  // namespace detkit
