// CPU kernels of the RoI feature extractors: detkit::roi_align (avg and max
// pooling) and detkit::roi_pool, forward and backward.
//
// The sampling positions and bilinear weights of a roi are the same for every
// channel, so they are computed once per roi and reused across channels.
// Forward runs rois in parallel (each writes its own output slice); backward
// runs channels in parallel (a thread owns whole channels of grad_input, so
// rois of the same image never race on a pixel, without atomics). RoIPool
// works on the NCHW input directly.
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/empty_like.h>
#include <ATen/ops/zeros.h>
#include <torch/library.h>

#include <cfloat>
#include <cstdint>
#include <limits>
#include <tuple>
#include <vector>

#include "common/checks.h"
#include "common/roi_align_kernel.h"
#include "common/roi_pool_kernel.h"

namespace detkit {
namespace {

// Sampling points of one roi: for bin b, samples [start[b], start[b + 1]).
template <typename T>
struct RoiSamples {
  std::vector<int64_t> start;
  std::vector<int64_t> offsets;  // 4 per sample
  std::vector<T> weights;        // 4 per sample
  std::vector<T> ys, xs;         // sample positions (max mode needs them)
  int64_t batch = 0;
  T count = T(1);                // samples per bin, at least 1 (the avg divisor)
};

template <typename T>
void compute_roi_samples(const T* roi, T spatial_scale, int pooled_h, int pooled_w,
                         int sampling_ratio, bool aligned, int height, int width,
                         bool keep_positions, RoiSamples<T>& s) {
  const auto g = kernels::roi_align_geometry(roi, spatial_scale, pooled_h, pooled_w,
                                             sampling_ratio, aligned);
  s.batch = g.batch;
  const int grid_h = g.grid_h > 0 ? g.grid_h : 0, grid_w = g.grid_w > 0 ? g.grid_w : 0;
  s.count = static_cast<T>(std::max(grid_h * grid_w, 1));
  const int64_t per_bin = static_cast<int64_t>(grid_h) * grid_w;
  const int64_t total = per_bin * pooled_h * pooled_w;
  s.start.resize(pooled_h * pooled_w + 1);
  s.offsets.resize(4 * total);
  s.weights.resize(4 * total);
  if (keep_positions) {
    s.ys.resize(total);
    s.xs.resize(total);
  }
  int64_t k = 0;
  for (int ph = 0; ph < pooled_h; ++ph) {
    for (int pw = 0; pw < pooled_w; ++pw) {
      s.start[ph * pooled_w + pw] = k;
      for (int iy = 0; iy < grid_h; ++iy) {
        const T y = kernels::roi_align_sample_y(g, ph, iy);
        for (int ix = 0; ix < grid_w; ++ix) {
          const T x = kernels::roi_align_sample_x(g, pw, ix);
          kernels::bilinear_weights(height, width, y, x, &s.offsets[4 * k], &s.weights[4 * k]);
          if (keep_positions) {
            s.ys[k] = y;
            s.xs[k] = x;
          }
          ++k;
        }
      }
    }
  }
  s.start[pooled_h * pooled_w] = k;
}

// RoIAlign works on a channels-last copy of the feature map: the four
// neighbours of a sample are then contiguous runs of C values, so one sample
// costs a handful of vectorised passes over the channels instead of 4 * C
// scattered loads, and its weights are computed once for all channels.
std::tuple<at::Tensor, at::Tensor, at::Tensor> roi_align_forward_cpu(
    const at::Tensor& input, const at::Tensor& rois, double spatial_scale, int64_t pooled_h,
    int64_t pooled_w, int64_t sampling_ratio, bool aligned, bool max_mode) {
  check_roi_args(input, rois, pooled_h, pooled_w, "roi_align");
  const int64_t num_rois = rois.size(0), channels = input.size(1);
  const int height = static_cast<int>(input.size(2)), width = static_cast<int>(input.size(3));
  at::Tensor output = at::empty({num_rois, channels, pooled_h, pooled_w}, input.options());
  const auto pos_opts = input.options().dtype(at::toOpMathType(input.scalar_type()));
  at::Tensor argmax_y = at::empty({max_mode ? num_rois : 0, channels, pooled_h, pooled_w}, pos_opts);
  at::Tensor argmax_x = at::empty_like(argmax_y);
  if (output.numel() == 0) return std::make_tuple(output, argmax_y, argmax_x);
  const at::Tensor in = input.contiguous(at::MemoryFormat::ChannelsLast);

  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, in.scalar_type(), "roi_align_cpu", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    const at::Tensor r = rois.to(at::CppTypeToScalarType<acc_t>::value).contiguous();
    const acc_t* pr = r.const_data_ptr<acc_t>();
    const scalar_t* pin = in.const_data_ptr<scalar_t>();
    scalar_t* pout = output.mutable_data_ptr<scalar_t>();
    acc_t* pay = max_mode ? argmax_y.mutable_data_ptr<acc_t>() : nullptr;
    acc_t* pax = max_mode ? argmax_x.mutable_data_ptr<acc_t>() : nullptr;
    const int64_t C = channels;
    const int64_t image_size = static_cast<int64_t>(height) * width * C;
    const int64_t bins = pooled_h * pooled_w;
    at::parallel_for(0, num_rois, 1, [&](int64_t begin, int64_t end) {
      RoiSamples<acc_t> s;
      std::vector<acc_t> acc(bins * C), val(C), ys(max_mode ? bins * C : 0), xs(ys.size());
      for (int64_t n = begin; n < end; ++n) {
        compute_roi_samples<acc_t>(pr + 5 * n, acc_t(spatial_scale), pooled_h, pooled_w,
                                   sampling_ratio, aligned, height, width, max_mode, s);
        TORCH_CHECK(s.batch >= 0 && s.batch < in.size(0), "roi_align: rois[", n,
                    ", 0] must be a batch index in [0, ", in.size(0), "), got ", s.batch);
        const scalar_t* img = pin + s.batch * image_size;
        for (int64_t b = 0; b < bins; ++b) {
          acc_t* out_b = acc.data() + b * C;
          const int64_t k0 = s.start[b], k1 = s.start[b + 1];
          if (!max_mode) {
            std::fill(out_b, out_b + C, acc_t(0));
            for (int64_t k = k0; k < k1; ++k) {
              const acc_t* w = &s.weights[4 * k];
              if (w[0] == 0 && w[1] == 0 && w[2] == 0 && w[3] == 0) continue;
              const int64_t* o = &s.offsets[4 * k];
              const scalar_t* f0 = img + o[0] * C;
              const scalar_t* f1 = img + o[1] * C;
              const scalar_t* f2 = img + o[2] * C;
              const scalar_t* f3 = img + o[3] * C;
              for (int64_t c = 0; c < C; ++c) {
                out_b[c] += w[0] * acc_t(f0[c]) + w[1] * acc_t(f1[c]) + w[2] * acc_t(f2[c]) +
                            w[3] * acc_t(f3[c]);
              }
            }
            const acc_t inv = acc_t(1) / s.count;
            for (int64_t c = 0; c < C; ++c) out_b[c] *= inv;
          } else {
            // mmcv's max mode: the largest bilinear sample (a sample off the
            // map reads 0); empty bins give 0 and no argmax.
            acc_t* ys_b = ys.data() + b * C;
            acc_t* xs_b = xs.data() + b * C;
            std::fill(out_b, out_b + C, acc_t(0));
            std::fill(ys_b, ys_b + C, acc_t(-1));
            std::fill(xs_b, xs_b + C, acc_t(-1));
            for (int64_t k = k0; k < k1; ++k) {
              const acc_t* w = &s.weights[4 * k];
              const int64_t* o = &s.offsets[4 * k];
              const scalar_t* f0 = img + o[0] * C;
              const scalar_t* f1 = img + o[1] * C;
              const scalar_t* f2 = img + o[2] * C;
              const scalar_t* f3 = img + o[3] * C;
              for (int64_t c = 0; c < C; ++c) {
                val[c] = w[0] * acc_t(f0[c]) + w[1] * acc_t(f1[c]) + w[2] * acc_t(f2[c]) +
                         w[3] * acc_t(f3[c]);
              }
              const acc_t y = s.ys[k], x = s.xs[k];
              for (int64_t c = 0; c < C; ++c) {
                if (k == k0 || val[c] > out_b[c]) {
                  out_b[c] = val[c];
                  ys_b[c] = y;
                  xs_b[c] = x;
                }
              }
            }
          }
        }
        // (bins, C) -> (C, bins) into the output.
        scalar_t* out_n = pout + n * C * bins;
        for (int64_t c = 0; c < C; ++c) {
          for (int64_t b = 0; b < bins; ++b) out_n[c * bins + b] = static_cast<scalar_t>(acc[b * C + c]);
        }
        if (max_mode) {
          for (int64_t c = 0; c < C; ++c) {
            for (int64_t b = 0; b < bins; ++b) {
              pay[(n * C + c) * bins + b] = ys[b * C + c];
              pax[(n * C + c) * bins + b] = xs[b * C + c];
            }
          }
        }
      }
    });
  });
  return std::make_tuple(output, argmax_y, argmax_x);
}

// Backward accumulates into a channels-last fp32/fp64 buffer; each task owns a
// range of channels for every pixel, so rois of one image never race.
at::Tensor roi_align_backward_cpu(const at::Tensor& grad, const at::Tensor& rois,
                                  const at::Tensor& argmax_y, const at::Tensor& argmax_x,
                                  double spatial_scale, int64_t pooled_h, int64_t pooled_w,
                                  int64_t sampling_ratio, bool aligned, bool max_mode,
                                  int64_t batch_size, int64_t channels, int64_t height,
                                  int64_t width) {
  TORCH_CHECK(grad.dim() == 4 && grad.size(0) == rois.size(0) && grad.size(1) == channels &&
                  grad.size(2) == pooled_h && grad.size(3) == pooled_w,
              "roi_align backward: grad must have shape (", rois.size(0), ", ", channels, ", ",
              pooled_h, ", ", pooled_w, "), got ", grad.sizes());
  const auto acc_type = at::toOpMathType(grad.scalar_type());
  // (N, H, W, C) storage seen as (N, C, H, W): a channels-last gradient.
  at::Tensor grad_input = at::zeros({batch_size, height, width, channels}, grad.options().dtype(acc_type))
                              .permute({0, 3, 1, 2});
  const int64_t num_rois = rois.size(0);
  if (num_rois == 0 || channels == 0) return grad_input.to(grad.scalar_type());
  const at::Tensor g = grad.contiguous();

  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, g.scalar_type(), "roi_align_backward_cpu", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    const at::Tensor r = rois.to(acc_type).contiguous();
    const acc_t* pr = r.const_data_ptr<acc_t>();
    const scalar_t* pg = g.const_data_ptr<scalar_t>();
    acc_t* pgi = grad_input.mutable_data_ptr<acc_t>();
    const at::Tensor ay = max_mode ? argmax_y.contiguous() : argmax_y;
    const at::Tensor ax = max_mode ? argmax_x.contiguous() : argmax_x;
    const acc_t* pay = max_mode ? ay.const_data_ptr<acc_t>() : nullptr;
    const acc_t* pax = max_mode ? ax.const_data_ptr<acc_t>() : nullptr;
    const int64_t C = channels;
    const int64_t image_size = height * width * C;
    const int64_t bins = pooled_h * pooled_w;
    const int h = static_cast<int>(height), w = static_cast<int>(width);
    const int64_t grain = std::max<int64_t>(16, C / (2 * at::get_num_threads()));
    at::parallel_for(0, C, grain, [&](int64_t c_begin, int64_t c_end) {
      RoiSamples<acc_t> s;
      std::vector<acc_t> gbuf(bins * C);
      for (int64_t n = 0; n < num_rois; ++n) {
        const acc_t* roi = pr + 5 * n;
        const int64_t batch = static_cast<int64_t>(roi[0]);
        TORCH_CHECK(batch >= 0 && batch < batch_size, "roi_align: rois[", n,
                    ", 0] must be a batch index in [0, ", batch_size, "), got ", batch);
        acc_t* gin = pgi + batch * image_size;
        const scalar_t* g_n = pg + n * C * bins;
        if (max_mode) {
          for (int64_t c = c_begin; c < c_end; ++c) {
            for (int64_t b = 0; b < bins; ++b) {
              const int64_t idx = (n * C + c) * bins + b;
              const acc_t y = pay[idx], x = pax[idx];
              if (y == acc_t(-1) && x == acc_t(-1)) continue;  // empty bin
              int64_t o[4];
              acc_t wt[4];
              if (!kernels::bilinear_weights(h, w, y, x, o, wt)) continue;
              const acc_t go = acc_t(g_n[c * bins + b]);
              for (int q = 0; q < 4; ++q) gin[o[q] * C + c] += go * wt[q];
            }
          }
          continue;
        }
        compute_roi_samples<acc_t>(roi, acc_t(spatial_scale), pooled_h, pooled_w,
                                   sampling_ratio, aligned, h, w, false, s);
        const acc_t inv = acc_t(1) / s.count;
        // (C, bins) -> (bins, C) for this task's channels, divided by the count.
        for (int64_t c = c_begin; c < c_end; ++c) {
          for (int64_t b = 0; b < bins; ++b) gbuf[b * C + c] = acc_t(g_n[c * bins + b]) * inv;
        }
        for (int64_t b = 0; b < bins; ++b) {
          const acc_t* gb = gbuf.data() + b * C;
          for (int64_t k = s.start[b]; k < s.start[b + 1]; ++k) {
            const acc_t* wt = &s.weights[4 * k];
            const int64_t* o = &s.offsets[4 * k];
            for (int q = 0; q < 4; ++q) {
              const acc_t wq = wt[q];
              if (wq == 0) continue;
              acc_t* dst = gin + o[q] * C;
              for (int64_t c = c_begin; c < c_end; ++c) dst[c] += wq * gb[c];
            }
          }
        }
      }
    });
  });
  return grad_input.to(grad.scalar_type());
}

std::tuple<at::Tensor, at::Tensor> roi_pool_forward_cpu(const at::Tensor& input,
                                                        const at::Tensor& rois,
                                                        double spatial_scale, int64_t pooled_h,
                                                        int64_t pooled_w) {
  check_roi_args(input, rois, pooled_h, pooled_w, "roi_pool");
  const int64_t num_rois = rois.size(0), channels = input.size(1);
  const int height = static_cast<int>(input.size(2)), width = static_cast<int>(input.size(3));
  at::Tensor output = at::empty({num_rois, channels, pooled_h, pooled_w}, input.options());
  at::Tensor argmax = at::empty({num_rois, channels, pooled_h, pooled_w}, input.options().dtype(at::kLong));
  if (output.numel() == 0) return std::make_tuple(output, argmax);
  const at::Tensor in = input.contiguous();

  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, in.scalar_type(), "roi_pool_cpu", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    const at::Tensor r = rois.to(at::CppTypeToScalarType<acc_t>::value).contiguous();
    const acc_t* pr = r.const_data_ptr<acc_t>();
    const scalar_t* pin = in.const_data_ptr<scalar_t>();
    scalar_t* pout = output.mutable_data_ptr<scalar_t>();
    int64_t* parg = argmax.mutable_data_ptr<int64_t>();
    const int64_t plane = static_cast<int64_t>(height) * width;
    const int64_t bins = pooled_h * pooled_w;
    at::parallel_for(0, num_rois, 1, [&](int64_t begin, int64_t end) {
      std::vector<kernels::RoiPoolBin> bin(bins);
      for (int64_t n = begin; n < end; ++n) {
        const acc_t* roi = pr + 5 * n;
        const int64_t batch = static_cast<int64_t>(roi[0]);
        TORCH_CHECK(batch >= 0 && batch < in.size(0), "roi_pool: rois[", n,
                    ", 0] must be a batch index in [0, ", in.size(0), "), got ", batch);
        for (int ph = 0; ph < pooled_h; ++ph) {
          for (int pw = 0; pw < pooled_w; ++pw) {
            bin[ph * pooled_w + pw] = kernels::roi_pool_bin(roi, acc_t(spatial_scale), pooled_h,
                                                            pooled_w, ph, pw, height, width);
          }
        }
        for (int64_t c = 0; c < channels; ++c) {
          const scalar_t* feat = pin + (batch * channels + c) * plane;
          const int64_t out_base = (n * channels + c) * bins;
          for (int64_t b = 0; b < bins; ++b) {
            const auto& bb = bin[b];
            acc_t best = bb.empty() ? acc_t(0) : -std::numeric_limits<acc_t>::max();
            int64_t arg = -1;
            for (int y = bb.hstart; y < bb.hend; ++y) {
              for (int x = bb.wstart; x < bb.wend; ++x) {
                const int64_t idx = static_cast<int64_t>(y) * width + x;
                const acc_t v = acc_t(feat[idx]);
                if (v > best) {
                  best = v;
                  arg = idx;
                }
              }
            }
            pout[out_base + b] = static_cast<scalar_t>(best);
            parg[out_base + b] = arg;
          }
        }
      }
    });
  });
  return std::make_tuple(output, argmax);
}

at::Tensor roi_pool_backward_cpu(const at::Tensor& grad, const at::Tensor& rois,
                                 const at::Tensor& argmax, int64_t batch_size, int64_t channels,
                                 int64_t height, int64_t width) {
  TORCH_CHECK(grad.sizes() == argmax.sizes(), "roi_pool backward: grad ", grad.sizes(),
              " and argmax ", argmax.sizes(), " must have the same shape");
  const auto acc_type = at::toOpMathType(grad.scalar_type());
  at::Tensor grad_input = at::zeros({batch_size, channels, height, width}, grad.options().dtype(acc_type));
  const int64_t num_rois = rois.size(0);
  if (num_rois == 0 || channels == 0) return grad_input.to(grad.scalar_type());
  const at::Tensor g = grad.contiguous(), a = argmax.contiguous();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, g.scalar_type(), "roi_pool_backward_cpu", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    const at::Tensor r = rois.to(acc_type).contiguous();
    const acc_t* pr = r.const_data_ptr<acc_t>();
    const scalar_t* pg = g.const_data_ptr<scalar_t>();
    const int64_t* parg = a.const_data_ptr<int64_t>();
    acc_t* pgi = grad_input.mutable_data_ptr<acc_t>();
    const int64_t plane = height * width;
    const int64_t bins = g.size(2) * g.size(3);
    at::parallel_for(0, channels, 1, [&](int64_t c_begin, int64_t c_end) {
      for (int64_t n = 0; n < num_rois; ++n) {
        const int64_t batch = static_cast<int64_t>(pr[5 * n]);
        TORCH_CHECK(batch >= 0 && batch < batch_size, "roi_pool: rois[", n,
                    ", 0] must be a batch index in [0, ", batch_size, "), got ", batch);
        for (int64_t c = c_begin; c < c_end; ++c) {
          acc_t* gin = pgi + (batch * channels + c) * plane;
          const int64_t base = (n * channels + c) * bins;
          for (int64_t b = 0; b < bins; ++b) {
            const int64_t arg = parg[base + b];
            if (arg >= 0) gin[arg] += acc_t(pg[base + b]);
          }
        }
      }
    });
  });
  return grad_input.to(grad.scalar_type());
}

}  // namespace

TORCH_LIBRARY_IMPL(detkit, CPU, m) {
  m.impl("roi_align", &roi_align_forward_cpu);
  m.impl("_roi_align_backward", &roi_align_backward_cpu);
  m.impl("roi_pool", &roi_pool_forward_cpu);
  m.impl("_roi_pool_backward", &roi_pool_backward_cpu);
}

}  // namespace detkit
