// Shared definitions for the host/device math in csrc/common/.
#pragma once

#if defined(__CUDACC__) || defined(__HIPCC__)
#define HOST_DEVICE __host__ __device__
#else
#define HOST_DEVICE
#endif

namespace detkit {
namespace kernels {

// std::min/std::max are not callable from device code; these are, and they
// propagate the second argument on ties exactly like the ternaries they are.
template <typename T>
HOST_DEVICE inline T dmax(T a, T b) {
  return a > b ? a : b;
}

template <typename T>
HOST_DEVICE inline T dmin(T a, T b) {
  return a < b ? a : b;
}

}  // namespace kernels
}  // namespace detkit
