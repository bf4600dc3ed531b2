// RoIPool bins (Fast R-CNN, Girshick 2015) with torchvision's quantisation:
// roi corners rounded to feature-map cells, bin edges floored/ceiled, clipped
// to the map. A bin may be empty (then its output is 0 and it has no argmax).
#pragma once

#include <cmath>

#include "common/common.h"

namespace detkit {
namespace kernels {

struct RoiPoolBin {
  int hstart, hend, wstart, wend;
  HOST_DEVICE bool empty() const { return hend <= hstart || wend <= wstart; }
};

template <typename T>
HOST_DEVICE inline RoiPoolBin roi_pool_bin(const T* roi, T spatial_scale, int pooled_h,
                                           int pooled_w, int ph, int pw, int height, int width) {
#ifdef __CUDA_ARCH__
#define DETKIT_ROUND round
#define DETKIT_FLOOR floor
#define DETKIT_CEIL ceil
#else
#define DETKIT_ROUND std::round
#define DETKIT_FLOOR std::floor
#define DETKIT_CEIL std::ceil
#endif
  const int start_w = static_cast<int>(DETKIT_ROUND(roi[1] * spatial_scale));
  const int start_h = static_cast<int>(DETKIT_ROUND(roi[2] * spatial_scale));
  const int end_w = static_cast<int>(DETKIT_ROUND(roi[3] * spatial_scale));
  const int end_h = static_cast<int>(DETKIT_ROUND(roi[4] * spatial_scale));
  const int roi_w = dmax(end_w - start_w + 1, 1);
  const int roi_h = dmax(end_h - start_h + 1, 1);
  const T bin_h = static_cast<T>(roi_h) / static_cast<T>(pooled_h);
  const T bin_w = static_cast<T>(roi_w) / static_cast<T>(pooled_w);
  RoiPoolBin b;
  b.hstart = static_cast<int>(DETKIT_FLOOR(static_cast<T>(ph) * bin_h)) + start_h;
  b.wstart = static_cast<int>(DETKIT_FLOOR(static_cast<T>(pw) * bin_w)) + start_w;
  b.hend = static_cast<int>(DETKIT_CEIL(static_cast<T>(ph + 1) * bin_h)) + start_h;
  b.wend = static_cast<int>(DETKIT_CEIL(static_cast<T>(pw + 1) * bin_w)) + start_w;
#undef DETKIT_ROUND
#undef DETKIT_FLOOR
#undef DETKIT_CEIL
  b.hstart = dmin(dmax(b.hstart, 0), height);
  b.hend = dmin(dmax(b.hend, 0), height);
  b.wstart = dmin(dmax(b.wstart, 0), width);
  b.wend = dmin(dmax(b.wend, 0), width);
  return b;
}

}  // namespace kernels
}  // namespace detkit
