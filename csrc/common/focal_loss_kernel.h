// Sigmoid focal loss (Lin et al., 2017) of one logit x for class c of a sample
// labelled t, with mmcv's definitions (clamped logs, no one-hot):
//   p = sigmoid(x)
//   c == t: loss = -alpha       * (1 - p)^gamma * log(max(p, FLT_MIN))
//   c != t: loss = -(1 - alpha) * p^gamma       * log(max(1 - p, FLT_MIN))
// and its derivative with respect to x:
//   c == t: -alpha       * (1 - p)^gamma * (1 - p - gamma * p * log(p))
//   c != t: -(1 - alpha) * p^gamma       * (gamma * (1 - p) * log(1 - p) - p)
#pragma once

#include <cfloat>
#include <cmath>

#include "common/common.h"

namespace detkit {
namespace kernels {

#ifdef __CUDA_ARCH__
#define DETKIT_MATH(fn) fn
#else
#define DETKIT_MATH(fn) std::fn
#endif

template <typename T>
HOST_DEVICE inline T focal_pow(T base, T gamma) {
  // gamma = 2 is the default everywhere; a product is exact and much cheaper.
  return gamma == T(2) ? base * base : DETKIT_MATH(pow)(base, gamma);
}

// p = sigmoid(x) and q = 1 - p = sigmoid(-x), each without cancellation:
// computing 1 - p directly loses most digits once p is close to 1.
template <typename T>
HOST_DEVICE inline void sigmoid_pair(T x, T& p, T& q) {
  const T e = DETKIT_MATH(exp)(-(x < T(0) ? -x : x));  // in (0, 1]
  const T big = T(1) / (T(1) + e), small = e / (T(1) + e);
  p = x >= T(0) ? big : small;
  q = x >= T(0) ? small : big;
}

// Loss and d(loss)/dx from one sigmoid and one log: the forward pass stores
// the derivative so that the backward pass is a multiplication.
template <typename T>
HOST_DEVICE inline void sigmoid_focal_loss_elem(T x, bool positive, T gamma, T alpha, T& loss,
                                                T& grad) {
  T p, q;
  sigmoid_pair(x, p, q);
  if (positive) {
    const T log_p = DETKIT_MATH(log)(dmax(p, T(FLT_MIN)));
    const T w = -alpha * focal_pow(q, gamma);
    loss = w * log_p;
    grad = w * (q - gamma * p * log_p);
  } else {
    const T log_q = DETKIT_MATH(log)(dmax(q, T(FLT_MIN)));
    const T w = -(T(1) - alpha) * focal_pow(p, gamma);
    loss = w * log_q;
    grad = w * (gamma * q * log_q - p);
  }
}

#undef DETKIT_MATH

}  // namespace kernels
}  // namespace detkit
