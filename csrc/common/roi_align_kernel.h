// RoIAlign geometry and bilinear sampling (Mask R-CNN, He et al. 2017), with
// the conventions of torchvision and mmcv: rois are (batch_idx, x1, y1, x2, y2)
// in input-image coordinates; `aligned` shifts them by -0.5 px so that pixel
// centres are sampled; sampling_ratio <= 0 takes ceil(roi size / output size)
// samples per bin; samples more than one pixel outside the map read 0, samples
// just outside are clamped to the border.
#pragma once

#include <cmath>

#include "common/common.h"

namespace detkit {
namespace kernels {

template <typename T>
struct RoiAlignGeometry {
  int64_t batch;       // image index of the roi
  T start_h, start_w;  // top-left corner on the feature map
  T bin_h, bin_w;      // size of one output bin
  int grid_h, grid_w;  // samples per bin in each direction
};

template <typename T>
HOST_DEVICE inline RoiAlignGeometry<T> roi_align_geometry(const T* roi, T spatial_scale,
                                                          int pooled_h, int pooled_w,
                                                          int sampling_ratio, bool aligned) {
  RoiAlignGeometry<T> g;
  g.batch = static_cast<int64_t>(roi[0]);
  const T shift = aligned ? T(0.5) : T(0);
  g.start_w = roi[1] * spatial_scale - shift;
  g.start_h = roi[2] * spatial_scale - shift;
  T roi_w = roi[3] * spatial_scale - shift - g.start_w;
  T roi_h = roi[4] * spatial_scale - shift - g.start_h;
  if (!aligned) {
    // Legacy behaviour: force malformed rois to be at least 1x1.
    roi_w = dmax(roi_w, T(1));
    roi_h = dmax(roi_h, T(1));
  }
  g.bin_h = roi_h / static_cast<T>(pooled_h);
  g.bin_w = roi_w / static_cast<T>(pooled_w);
#ifdef __CUDA_ARCH__
  g.grid_h = sampling_ratio > 0 ? sampling_ratio : static_cast<int>(ceil(roi_h / pooled_h));
  g.grid_w = sampling_ratio > 0 ? sampling_ratio : static_cast<int>(ceil(roi_w / pooled_w));
#else
  g.grid_h = sampling_ratio > 0 ? sampling_ratio : static_cast<int>(std::ceil(roi_h / pooled_h));
  g.grid_w = sampling_ratio > 0 ? sampling_ratio : static_cast<int>(std::ceil(roi_w / pooled_w));
#endif
  return g;
}

// Sample position iy (of grid_h) in bin ph, likewise for x.
template <typename T>
HOST_DEVICE inline T roi_align_sample_y(const RoiAlignGeometry<T>& g, int ph, int iy) {
  return g.start_h + ph * g.bin_h + (iy + T(0.5)) * g.bin_h / static_cast<T>(g.grid_h);
}

template <typename T>
HOST_DEVICE inline T roi_align_sample_x(const RoiAlignGeometry<T>& g, int pw, int ix) {
  return g.start_w + pw * g.bin_w + (ix + T(0.5)) * g.bin_w / static_cast<T>(g.grid_w);
}

// The four neighbours (offsets into an H*W plane) and weights of a bilinear
// sample at (y, x). Returns false, with zero weights, for a point more than one
// pixel outside the map.
template <typename T>
HOST_DEVICE inline bool bilinear_weights(int height, int width, T y, T x, int64_t* offsets,
                                         T* weights) {
  if (y < T(-1) || y > T(height) || x < T(-1) || x > T(width)) {
    for (int k = 0; k < 4; ++k) {
      offsets[k] = 0;
      weights[k] = T(0);
    }
    return false;
  }
  if (y <= T(0)) y = T(0);
  if (x <= T(0)) x = T(0);
  int y_low = static_cast<int>(y), x_low = static_cast<int>(x), y_high, x_high;
  if (y_low >= height - 1) {
    y_high = y_low = height - 1;
    y = static_cast<T>(y_low);
  } else {
    y_high = y_low + 1;
  }
  if (x_low >= width - 1) {
    x_high = x_low = width - 1;
    x = static_cast<T>(x_low);
  } else {
    x_high = x_low + 1;
  }
  const T ly = y - y_low, lx = x - x_low, hy = T(1) - ly, hx = T(1) - lx;
  offsets[0] = static_cast<int64_t>(y_low) * width + x_low;
  offsets[1] = static_cast<int64_t>(y_low) * width + x_high;
  offsets[2] = static_cast<int64_t>(y_high) * width + x_low;
  offsets[3] = static_cast<int64_t>(y_high) * width + x_high;
  weights[0] = hy * hx;
  weights[1] = hy * lx;
  weights[2] = ly * hx;
  weights[3] = ly * lx;
  return true;
}

}  // namespace kernels
}  // namespace detkit
