// Pairwise overlap of two axis-aligned boxes (x1, y1, x2, y2), MMDetection 2.x
// semantics (mmdet/core/bbox/iou_calculators/iou2d_calculator.py):
//   iou  = overlap / max(area1 + area2 - overlap, eps)
//   iof  = overlap / max(area1, eps)
//   giou = iou - (enclose - union) / enclose, union and enclose clamped to eps.
// Called per element by the CPU loop and the CUDA kernel alike.
#pragma once

#include "common/common.h"

namespace detkit {
namespace kernels {

enum OverlapMode : int { kIoU = 0, kIoF = 1, kGIoU = 2 };

template <typename T, int Mode>
HOST_DEVICE inline T bbox_overlap(T ax1, T ay1, T ax2, T ay2, T bx1, T by1, T bx2, T by2, T eps) {
  const T area1 = (ax2 - ax1) * (ay2 - ay1);
  const T area2 = (bx2 - bx1) * (by2 - by1);
  const T w = dmax(dmin(ax2, bx2) - dmax(ax1, bx1), T(0));
  const T h = dmax(dmin(ay2, by2) - dmax(ay1, by1), T(0));
  const T overlap = w * h;
  T uni = (Mode == kIoF) ? area1 : area1 + area2 - overlap;
  uni = dmax(uni, eps);
  const T iou = overlap / uni;
  if (Mode != kGIoU) {
    return iou;
  }
  const T ew = dmax(dmax(ax2, bx2) - dmin(ax1, bx1), T(0));
  const T eh = dmax(dmax(ay2, by2) - dmin(ay1, by1), T(0));
  const T enclose = dmax(ew * eh, eps);
  return iou - (enclose - uni) / enclose;
}

}  // namespace kernels
}  // namespace detkit
