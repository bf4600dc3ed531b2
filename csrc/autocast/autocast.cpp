// Autocast kernels: NMS and box overlaps lose too much in fp16 (coordinates of
// a 1333 px image have a resolution of 0.5-1 px there, areas overflow past
// 65504), so under autocast they run in fp32 and redispatch below autocast.
#include <ATen/autocast_mode.h>
#include <ATen/core/Tensor.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/library.h>

namespace detkit {
namespace {

at::Tensor to_fp32(const at::Tensor& t) {
  return at::isFloatingType(t.scalar_type()) ? t.to(at::kFloat) : t;
}

at::Tensor bbox_overlaps_autocast(const at::Tensor& bboxes1, const at::Tensor& bboxes2,
                                  c10::string_view mode, bool aligned, double eps) {
  c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
  static auto op = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("detkit::bbox_overlaps", "")
                       .typed<at::Tensor(const at::Tensor&, const at::Tensor&, c10::string_view,
                                         bool, double)>();
  return op.call(to_fp32(bboxes1), to_fp32(bboxes2), mode, aligned, eps);
}

}  // namespace

TORCH_LIBRARY_IMPL(detkit, Autocast, m) {
  m.impl("bbox_overlaps", &bbox_overlaps_autocast);
}

TORCH_LIBRARY_IMPL(detkit, AutocastCPU, m) {
  m.impl("bbox_overlaps", &bbox_overlaps_autocast);
}

}  // namespace detkit
