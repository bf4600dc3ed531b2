// Autocast kernels: NMS and box overlaps lose too much in fp16 (coordinates of
// a 1333 px image have a resolution of 0.5-1 px there, areas overflow past
// 65504), so under autocast they run in fp32 and redispatch below autocast.
#include <ATen/autocast_mode.h>
#include <ATen/core/Tensor.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/library.h>

#include <tuple>

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

at::Tensor nms_autocast(const at::Tensor& boxes, const at::Tensor& scores, double iou_threshold,
                        int64_t offset) {
  c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
  static auto op =
      c10::Dispatcher::singleton()
          .findSchemaOrThrow("detkit::nms", "")
          .typed<at::Tensor(const at::Tensor&, const at::Tensor&, double, int64_t)>();
  return op.call(to_fp32(boxes), to_fp32(scores), iou_threshold, offset);
}

at::Tensor batched_nms_autocast(const at::Tensor& boxes, const at::Tensor& scores,
                                const at::Tensor& idxs, double iou_threshold, int64_t offset) {
  c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
  static auto op = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("detkit::batched_nms", "")
                       .typed<at::Tensor(const at::Tensor&, const at::Tensor&, const at::Tensor&,
                                         double, int64_t)>();
  return op.call(to_fp32(boxes), to_fp32(scores), idxs, iou_threshold, offset);
}

std::tuple<at::Tensor, at::Tensor> soft_nms_autocast(const at::Tensor& boxes,
                                                     const at::Tensor& scores,
                                                     double iou_threshold, double sigma,
                                                     double min_score, int64_t method,
                                                     int64_t offset) {
  c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
  static auto op = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("detkit::soft_nms", "")
                       .typed<std::tuple<at::Tensor, at::Tensor>(
                           const at::Tensor&, const at::Tensor&, double, double, double, int64_t,
                           int64_t)>();
  return op.call(to_fp32(boxes), to_fp32(scores), iou_threshold, sigma, min_score, method, offset);
}

}  // namespace

TORCH_LIBRARY_IMPL(detkit, Autocast, m) {
  m.impl("bbox_overlaps", &bbox_overlaps_autocast);
  m.impl("nms", &nms_autocast);
  m.impl("batched_nms", &batched_nms_autocast);
  m.impl("soft_nms", &soft_nms_autocast);
}

TORCH_LIBRARY_IMPL(detkit, AutocastCPU, m) {
  m.impl("bbox_overlaps", &bbox_overlaps_autocast);
  m.impl("nms", &nms_autocast);
  m.impl("batched_nms", &batched_nms_autocast);
  m.impl("soft_nms", &soft_nms_autocast);
}

}  // namespace detkit
