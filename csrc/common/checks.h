// Host-side argument checks shared by the CPU and CUDA entry points. Messages
// name the op, the argument and the shape received.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/util/Exception.h>

#include <string>

namespace detkit {

inline void check_boxes(const at::Tensor& t, const char* op, const char* arg, int64_t ncols = 4) {
  TORCH_CHECK(t.dim() == 2 && t.size(1) == ncols, op, ": ", arg, " must have shape (n, ", ncols,
              "), got ", t.sizes());
  TORCH_CHECK(at::isFloatingType(t.scalar_type()), op, ": ", arg,
              " must be a floating point tensor, got ", t.scalar_type());
}

inline void check_same_device_dtype(const at::Tensor& a, const at::Tensor& b, const char* op,
                                    const char* name_a, const char* name_b) {
  TORCH_CHECK(a.device() == b.device(), op, ": ", name_a, " and ", name_b,
              " must be on the same device, got ", a.device(), " and ", b.device());
  TORCH_CHECK(a.scalar_type() == b.scalar_type(), op, ": ", name_a, " and ", name_b,
              " must have the same dtype, got ", a.scalar_type(), " and ", b.scalar_type());
}

inline int overlap_mode(c10::string_view mode) {
  if (mode == "iou") return 0;
  if (mode == "iof") return 1;
  if (mode == "giou") return 2;
  TORCH_CHECK(false, "bbox_overlaps: mode must be one of 'iou', 'iof', 'giou', got '",
              std::string(mode), "'");
  return -1;
}

inline void check_bbox_overlaps_args(const at::Tensor& b1, const at::Tensor& b2, bool aligned) {
  check_boxes(b1, "bbox_overlaps", "bboxes1");
  check_boxes(b2, "bbox_overlaps", "bboxes2");
  check_same_device_dtype(b1, b2, "bbox_overlaps", "bboxes1", "bboxes2");
  if (aligned) {
    TORCH_CHECK(b1.size(0) == b2.size(0),
                "bbox_overlaps: is_aligned=True needs as many bboxes1 as bboxes2, got ",
                b1.sizes(), " and ", b2.sizes());
  }
}

}  // namespace detkit

namespace detkit {

inline void check_nms_args(const at::Tensor& boxes, const at::Tensor& scores, int64_t offset,
                           const char* op) {
  check_boxes(boxes, op, "boxes");
  TORCH_CHECK(scores.dim() == 1 && scores.size(0) == boxes.size(0), op,
              ": scores must have shape (n,) with n = boxes.size(0) = ", boxes.size(0), ", got ",
              scores.sizes());
  TORCH_CHECK(at::isFloatingType(scores.scalar_type()), op,
              ": scores must be a floating point tensor, got ", scores.scalar_type());
  TORCH_CHECK(boxes.device() == scores.device(), op,
              ": boxes and scores must be on the same device, got ", boxes.device(), " and ",
              scores.device());
  TORCH_CHECK(offset == 0 || offset == 1, op, ": offset must be 0 or 1, got ", offset);
}

inline void check_idxs(const at::Tensor& idxs, const at::Tensor& boxes, const char* op) {
  TORCH_CHECK(idxs.dim() == 1 && idxs.size(0) == boxes.size(0), op,
              ": idxs must have shape (n,) with n = boxes.size(0) = ", boxes.size(0), ", got ",
              idxs.sizes());
  TORCH_CHECK(!at::isFloatingType(idxs.scalar_type()) && idxs.scalar_type() != at::kBool, op,
              ": idxs must be an integer tensor, got ", idxs.scalar_type());
  TORCH_CHECK(idxs.device() == boxes.device(), op,
              ": idxs and boxes must be on the same device, got ", idxs.device(), " and ",
              boxes.device());
}

}  // namespace detkit

namespace detkit {

inline void check_roi_args(const at::Tensor& input, const at::Tensor& rois, int64_t pooled_h,
                           int64_t pooled_w, const char* op) {
  TORCH_CHECK(input.dim() == 4, op, ": input must have shape (N, C, H, W), got ", input.sizes());
  TORCH_CHECK(at::isFloatingType(input.scalar_type()), op,
              ": input must be a floating point tensor, got ", input.scalar_type());
  TORCH_CHECK(rois.dim() == 2 && rois.size(1) == 5, op,
              ": rois must have shape (n, 5) [batch_idx, x1, y1, x2, y2], got ", rois.sizes());
  TORCH_CHECK(at::isFloatingType(rois.scalar_type()), op,
              ": rois must be a floating point tensor, got ", rois.scalar_type());
  TORCH_CHECK(input.device() == rois.device(), op,
              ": input and rois must be on the same device, got ", input.device(), " and ",
              rois.device());
  TORCH_CHECK(pooled_h > 0 && pooled_w > 0, op, ": output_size must be positive, got (",
              pooled_h, ", ", pooled_w, ")");
}

}  // namespace detkit

namespace detkit {

inline void check_focal_loss_args(const at::Tensor& input, const at::Tensor& target,
                                  const c10::optional<at::Tensor>& weight) {
  TORCH_CHECK(input.dim() == 2, "sigmoid_focal_loss: input must have shape (n, C), got ",
              input.sizes());
  TORCH_CHECK(at::isFloatingType(input.scalar_type()),
              "sigmoid_focal_loss: input must be a floating point tensor, got ", input.scalar_type());
  TORCH_CHECK(target.dim() == 1 && target.size(0) == input.size(0),
              "sigmoid_focal_loss: target must have shape (n,) with n = input.size(0) = ",
              input.size(0), ", got ", target.sizes());
  TORCH_CHECK(target.scalar_type() == at::kLong,
              "sigmoid_focal_loss: target must be int64 class labels (C = background), got ",
              target.scalar_type());
  TORCH_CHECK(target.device() == input.device(),
              "sigmoid_focal_loss: input and target must be on the same device, got ",
              input.device(), " and ", target.device());
  if (weight.has_value() && weight->defined()) {
    TORCH_CHECK(weight->dim() == 1 && weight->size(0) == input.size(1),
                "sigmoid_focal_loss: weight must have shape (C,) with C = ", input.size(1),
                ", got ", weight->sizes());
    TORCH_CHECK(weight->device() == input.device(),
                "sigmoid_focal_loss: weight must be on the device of input, got ",
                weight->device());
  }
}

}  // namespace detkit
