// IoU and soft-NMS score decay used by the NMS kernels (CPU and CUDA).
//
// The IoU is computed as torchvision and mmcv do, operation for operation
// (intersection / (area_a + area_b - intersection), no eps), so that keep/drop
// decisions near the threshold agree bit for bit. `offset` is mmcv's legacy
// +1 pixel convention (0 or 1).
#pragma once

#include <cmath>

#include "common/common.h"

namespace detkit {
namespace kernels {

template <typename T>
HOST_DEVICE inline T nms_box_area(T x1, T y1, T x2, T y2, T offset) {
  return (x2 - x1 + offset) * (y2 - y1 + offset);
}

template <typename T>
HOST_DEVICE inline T nms_iou(T ax1, T ay1, T ax2, T ay2, T area_a, T bx1, T by1, T bx2, T by2,
                             T area_b, T offset) {
  const T w = dmax(dmin(ax2, bx2) - dmax(ax1, bx1) + offset, T(0));
  const T h = dmax(dmin(ay2, by2) - dmax(ay1, by1) + offset, T(0));
  const T inter = w * h;
  return inter / (area_a + area_b - inter);
}

// Soft-NMS (Bodla et al., 2017) score multiplier for a box overlapping the
// selected box by `iou`. method: 0 naive (hard NMS), 1 linear, 2 gaussian.
template <typename T>
HOST_DEVICE inline T soft_nms_weight(T iou, T iou_threshold, T sigma, int method) {
  if (method == 0) return iou >= iou_threshold ? T(0) : T(1);
  if (method == 1) return iou >= iou_threshold ? T(1) - iou : T(1);
#ifdef __CUDA_ARCH__
  return exp(-(iou * iou) / sigma);
#else
  return std::exp(-(iou * iou) / sigma);
#endif
}

}  // namespace kernels
}  // namespace detkit
