// CPU kernels of detkit::nms, detkit::batched_nms and detkit::soft_nms.
//
// Greedy NMS visits boxes by decreasing score and keeps a box unless it
// overlaps an already kept box by more than the threshold. Unlike the classic
// loop (each kept box sweeps every later box), a candidate here is compared
// only with the kept boxes, stored as separate coordinate arrays so that the
// comparison is a branch-free, vectorisable loop that stops at the first
// chunk holding a suppressor. Candidates are taken in blocks: the comparison
// with the boxes kept before the block runs in parallel, the few survivors are
// then checked against the boxes kept inside the block, in order.
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <torch/library.h>

#include <algorithm>
#include <cstdint>
#include <tuple>
#include <vector>

#include "common/checks.h"
#include "common/nms_kernel.h"

namespace detkit {
namespace {

// Parallel regions are kept coarse: on a busy machine every region can wait
// for a descheduled worker, so each must carry enough work to pay for it.
constexpr int64_t kBlock = 1024;             // candidates per block
constexpr int64_t kChunk = 64;               // kept boxes compared between early-exit checks
constexpr int64_t kParallelWork = 1 << 17;   // IoUs per task worth a thread
constexpr int64_t kParallelGroups = 1 << 15; // boxes above which categories run in parallel

template <typename T>
struct BoxArrays {
  std::vector<T> x1, y1, x2, y2, area;

  void reserve(int64_t n) {
    for (auto* v : {&x1, &y1, &x2, &y2, &area}) v->reserve(n);
  }
  void push(T a, T b, T c, T d, T e) {
    x1.push_back(a); y1.push_back(b); x2.push_back(c); y2.push_back(d); area.push_back(e);
  }
};

// Does box b overlap any of the boxes [begin, end) of `kept` by more than thr?
template <typename T>
inline bool overlaps_any(const BoxArrays<T>& kept, int64_t begin, int64_t end, T bx1, T by1,
                         T bx2, T by2, T barea, T thr, T offset) {
  const T* x1 = kept.x1.data();
  const T* y1 = kept.y1.data();
  const T* x2 = kept.x2.data();
  const T* y2 = kept.y2.data();
  const T* area = kept.area.data();
  for (int64_t s = begin; s < end; s += kChunk) {
    const int64_t e = std::min(s + kChunk, end);
    int hit = 0;
    for (int64_t j = s; j < e; ++j) {
      hit |= kernels::nms_iou(x1[j], y1[j], x2[j], y2[j], area[j], bx1, by1, bx2, by2, barea,
                              offset) > thr;
    }
    if (hit) return true;
  }
  return false;
}

// Greedy NMS over boxes already sorted by decreasing score (SoA, n boxes).
// Returns the positions of the kept boxes, increasing.
template <typename T>
std::vector<int64_t> greedy_nms(const T* x1, const T* y1, const T* x2, const T* y2,
                                const T* area, int64_t n, T thr, T offset) {
  std::vector<int64_t> keep;
  BoxArrays<T> kept;
  kept.reserve(std::min<int64_t>(n, 4096));
  std::vector<uint8_t> suppressed(kBlock);
  for (int64_t start = 0; start < n; start += kBlock) {
    const int64_t end = std::min(start + kBlock, n);
    const int64_t num_before = static_cast<int64_t>(keep.size());
    if (num_before > 0) {
      const int64_t grain = std::max<int64_t>(1, kParallelWork / num_before);
      at::parallel_for(start, end, grain, [&](int64_t b, int64_t e) {
        for (int64_t c = b; c < e; ++c) {
          suppressed[c - start] =
              overlaps_any(kept, 0, num_before, x1[c], y1[c], x2[c], y2[c], area[c], thr, offset);
        }
      });
    } else {
      std::fill(suppressed.begin(), suppressed.end(), 0);
    }
    for (int64_t c = start; c < end; ++c) {
      if (suppressed[c - start]) continue;
      if (overlaps_any(kept, num_before, static_cast<int64_t>(keep.size()), x1[c], y1[c], x2[c],
                       y2[c], area[c], thr, offset)) {
        continue;
      }
      keep.push_back(c);
      kept.push(x1[c], y1[c], x2[c], y2[c], area[c]);
    }
  }
  return keep;
}

// Coordinates of boxes[order] as separate arrays in the compute type.
template <typename scalar_t, typename acc_t>
void gather_sorted(const at::Tensor& boxes, const int64_t* order, int64_t n, acc_t offset,
                   std::vector<acc_t>& buf) {
  buf.resize(5 * n);
  acc_t *x1 = buf.data(), *y1 = x1 + n, *x2 = y1 + n, *y2 = x2 + n, *area = y2 + n;
  const scalar_t* b = boxes.const_data_ptr<scalar_t>();
  at::parallel_for(0, n, 8192, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const scalar_t* p = b + 4 * order[i];
      x1[i] = p[0]; y1[i] = p[1]; x2[i] = p[2]; y2[i] = p[3];
      area[i] = kernels::nms_box_area(x1[i], y1[i], x2[i], y2[i], offset);
    }
  });
}

at::Tensor sort_desc_stable(const at::Tensor& scores) {
  return std::get<1>(scores.sort(/*stable=*/true, /*dim=*/0, /*descending=*/true));
}

at::Tensor nms_cpu(const at::Tensor& boxes, const at::Tensor& scores, double iou_threshold,
                   int64_t offset) {
  check_nms_args(boxes, scores, offset, "nms");
  const int64_t n = boxes.size(0);
  if (n == 0) return at::empty({0}, boxes.options().dtype(at::kLong));
  const at::Tensor order = sort_desc_stable(scores);
  const at::Tensor b = boxes.contiguous();
  at::Tensor result;
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, b.scalar_type(), "nms_cpu", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    std::vector<acc_t> buf;
    const int64_t* ord = order.const_data_ptr<int64_t>();
    gather_sorted<scalar_t, acc_t>(b, ord, n, acc_t(offset), buf);
    const acc_t* base = buf.data();
    const std::vector<int64_t> keep =
        greedy_nms<acc_t>(base, base + n, base + 2 * n, base + 3 * n, base + 4 * n, n,
                          acc_t(iou_threshold), acc_t(offset));
    result = at::empty({static_cast<int64_t>(keep.size())}, boxes.options().dtype(at::kLong));
    int64_t* out = result.mutable_data_ptr<int64_t>();
    for (size_t k = 0; k < keep.size(); ++k) out[k] = ord[keep[k]];
  });
  return result;
}

// NMS within each group of equal idxs, all groups in one call and in parallel.
// Result: kept indices by decreasing score, ties in input order.
at::Tensor batched_nms_cpu(const at::Tensor& boxes, const at::Tensor& scores,
                           const at::Tensor& idxs, double iou_threshold, int64_t offset) {
  check_nms_args(boxes, scores, offset, "batched_nms");
  check_idxs(idxs, boxes, "batched_nms");
  const int64_t n = boxes.size(0);
  if (n == 0) return at::empty({0}, boxes.options().dtype(at::kLong));
  const at::Tensor order = sort_desc_stable(scores);
  // Group by class, keeping the score order inside each group.
  const at::Tensor cls = idxs.to(at::kLong).index_select(0, order);
  const at::Tensor perm = std::get<1>(cls.sort(/*stable=*/true, /*dim=*/0, /*descending=*/false));
  const at::Tensor grouped = order.index_select(0, perm);
  const at::Tensor grouped_cls = cls.index_select(0, perm);
  const int64_t* g = grouped.const_data_ptr<int64_t>();
  const int64_t* gc = grouped_cls.const_data_ptr<int64_t>();
  std::vector<int64_t> bounds{0};
  for (int64_t i = 1; i < n; ++i) {
    if (gc[i] != gc[i - 1]) bounds.push_back(i);
  }
  bounds.push_back(n);
  const int64_t num_groups = static_cast<int64_t>(bounds.size()) - 1;

  std::vector<uint8_t> kept(n, 0);  // indexed by original box index
  const at::Tensor b = boxes.contiguous();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, b.scalar_type(), "batched_nms_cpu", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    std::vector<acc_t> buf;
    gather_sorted<scalar_t, acc_t>(b, g, n, acc_t(offset), buf);
    const acc_t* base = buf.data();
    auto run_group = [&](int64_t k) {
      const int64_t s = bounds[k], len = bounds[k + 1] - s;
      const std::vector<int64_t> keep = greedy_nms<acc_t>(
          base + s, base + n + s, base + 2 * n + s, base + 3 * n + s, base + 4 * n + s, len,
          acc_t(iou_threshold), acc_t(offset));
      for (int64_t p : keep) kept[g[s + p]] = 1;
    };
    if (num_groups == 1 || n < kParallelGroups) {
      for (int64_t k = 0; k < num_groups; ++k) run_group(k);  // may parallelise inside
    } else {
      at::parallel_for(0, num_groups, 1, [&](int64_t begin, int64_t end) {
        for (int64_t k = begin; k < end; ++k) run_group(k);
      });
    }
  });
  // Walking the stable score order gives: decreasing score, ties by index.
  const int64_t* ord = order.const_data_ptr<int64_t>();
  std::vector<int64_t> keep;
  for (int64_t i = 0; i < n; ++i) {
    if (kept[ord[i]]) keep.push_back(ord[i]);
  }
  at::Tensor result = at::empty({static_cast<int64_t>(keep.size())}, boxes.options().dtype(at::kLong));
  std::copy(keep.begin(), keep.end(), result.mutable_data_ptr<int64_t>());
  return result;
}

// Soft-NMS as published (Bodla et al., 2017) and as in mmcv: repeatedly select
// the highest remaining score, decay the scores of the remaining boxes by their
// overlap with it, and drop those that fall below min_score.
std::tuple<at::Tensor, at::Tensor> soft_nms_cpu(const at::Tensor& boxes, const at::Tensor& scores,
                                                double iou_threshold, double sigma,
                                                double min_score, int64_t method, int64_t offset) {
  check_nms_args(boxes, scores, offset, "soft_nms");
  TORCH_CHECK(method >= 0 && method <= 2,
              "soft_nms: method must be 0 (naive), 1 (linear) or 2 (gaussian), got ", method);
  const int64_t n = boxes.size(0);
  const at::Tensor b = boxes.contiguous();
  const at::Tensor s = scores.to(boxes.scalar_type()).contiguous();
  at::Tensor dets, inds;
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, b.scalar_type(), "soft_nms_cpu", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    const scalar_t* pb = b.const_data_ptr<scalar_t>();
    const scalar_t* ps = s.const_data_ptr<scalar_t>();
    std::vector<acc_t> x1(n), y1(n), x2(n), y2(n), sc(n), area(n);
    std::vector<int64_t> idx(n);
    const acc_t off = acc_t(offset), thr = acc_t(iou_threshold), sig = acc_t(sigma);
    const acc_t min_sc = acc_t(min_score);
    for (int64_t i = 0; i < n; ++i) {
      x1[i] = pb[4 * i]; y1[i] = pb[4 * i + 1]; x2[i] = pb[4 * i + 2]; y2[i] = pb[4 * i + 3];
      sc[i] = ps[i];
      area[i] = kernels::nms_box_area(x1[i], y1[i], x2[i], y2[i], off);
      idx[i] = i;
    }
    auto swap_boxes = [&](int64_t a, int64_t c) {
      std::swap(x1[a], x1[c]); std::swap(y1[a], y1[c]); std::swap(x2[a], x2[c]);
      std::swap(y2[a], y2[c]); std::swap(sc[a], sc[c]); std::swap(area[a], area[c]);
      std::swap(idx[a], idx[c]);
    };
    auto move_box = [&](int64_t dst, int64_t src) {
      x1[dst] = x1[src]; y1[dst] = y1[src]; x2[dst] = x2[src]; y2[dst] = y2[src];
      sc[dst] = sc[src]; area[dst] = area[src]; idx[dst] = idx[src];
    };
    int64_t count = n;
    for (int64_t i = 0; i < count; ++i) {
      // Select the first box with the highest remaining score.
      int64_t best = i;
      for (int64_t p = i + 1; p < count; ++p) {
        if (sc[best] < sc[p]) best = p;
      }
      swap_boxes(i, best);
      for (int64_t p = i + 1; p < count; ++p) {
        const acc_t iou = kernels::nms_iou(x1[i], y1[i], x2[i], y2[i], area[i], x1[p], y1[p],
                                           x2[p], y2[p], area[p], off);
        sc[p] *= kernels::soft_nms_weight(iou, thr, sig, static_cast<int>(method));
        if (sc[p] < min_sc) {
          // Drop the box: the last live box takes its place and is visited next.
          move_box(p, count - 1);
          --count;
          --p;
        }
      }
    }
    dets = at::empty({count, 5}, boxes.options());
    inds = at::empty({count}, boxes.options().dtype(at::kLong));
    scalar_t* pd = dets.mutable_data_ptr<scalar_t>();
    int64_t* pi = inds.mutable_data_ptr<int64_t>();
    for (int64_t i = 0; i < count; ++i) {
      pd[5 * i] = x1[i]; pd[5 * i + 1] = y1[i]; pd[5 * i + 2] = x2[i]; pd[5 * i + 3] = y2[i];
      pd[5 * i + 4] = sc[i];
      pi[i] = idx[i];
    }
  });
  return std::make_tuple(dets, inds);
}

}  // namespace

TORCH_LIBRARY_IMPL(detkit, CPU, m) {
  m.impl("nms", &nms_cpu);
  m.impl("batched_nms", &batched_nms_cpu);
  m.impl("soft_nms", &soft_nms_cpu);
}

}  // namespace detkit
