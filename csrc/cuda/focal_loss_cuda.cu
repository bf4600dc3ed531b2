// CUDA kernels of detkit::sigmoid_focal_loss and its backward: one thread per
// (sample, class) element, math shared with the CPU through common/.
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <c10/macros/Macros.h>
#include <torch/library.h>

#include "common/checks.h"
#include "common/focal_loss_kernel.h"

namespace detkit {
namespace {

constexpr int kThreads = 256;

inline int num_blocks(int64_t n) {
  return static_cast<int>(std::min<int64_t>((n + kThreads - 1) / kThreads, 4096));
}

template <typename scalar_t>
__global__ void focal_loss_forward_kernel(int64_t total, int64_t num_classes,
                                          const scalar_t* __restrict__ input,
                                          const int64_t* __restrict__ target,
                                          const at::opmath_type<scalar_t>* __restrict__ weight,
                                          at::opmath_type<scalar_t> gamma,
                                          at::opmath_type<scalar_t> alpha,
                                          scalar_t* __restrict__ output) {
  using acc_t = at::opmath_type<scalar_t>;
  for (int64_t k = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; k < total;
       k += (int64_t)blockDim.x * gridDim.x) {
    const int64_t i = k / num_classes, c = k % num_classes;
    const int64_t label = target[i];
    CUDA_KERNEL_ASSERT(label >= 0 && label <= num_classes);
    const acc_t scale = (weight != nullptr && label < num_classes) ? weight[label] : acc_t(1);
    output[k] = static_cast<scalar_t>(
        scale * kernels::sigmoid_focal_loss_elem(acc_t(input[k]), c == label, gamma, alpha));
  }
}

template <typename scalar_t>
__global__ void focal_loss_backward_kernel(int64_t total, int64_t num_classes,
                                           const scalar_t* __restrict__ grad, int64_t gs0,
                                           int64_t gs1, const scalar_t* __restrict__ input,
                                           const int64_t* __restrict__ target,
                                           const at::opmath_type<scalar_t>* __restrict__ weight,
                                           at::opmath_type<scalar_t> gamma,
                                           at::opmath_type<scalar_t> alpha,
                                           scalar_t* __restrict__ grad_input) {
  using acc_t = at::opmath_type<scalar_t>;
  for (int64_t k = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; k < total;
       k += (int64_t)blockDim.x * gridDim.x) {
    const int64_t i = k / num_classes, c = k % num_classes;
    const int64_t label = target[i];
    CUDA_KERNEL_ASSERT(label >= 0 && label <= num_classes);
    const acc_t scale = (weight != nullptr && label < num_classes) ? weight[label] : acc_t(1);
    grad_input[k] = static_cast<scalar_t>(
        acc_t(grad[i * gs0 + c * gs1]) * scale *
        kernels::sigmoid_focal_loss_grad_elem(acc_t(input[k]), c == label, gamma, alpha));
  }
}

at::Tensor sigmoid_focal_loss_cuda(const at::Tensor& input, const at::Tensor& target,
                                   const c10::optional<at::Tensor>& weight, double gamma,
                                   double alpha) {
  check_focal_loss_args(input, target, weight);
  c10::cuda::CUDAGuard guard(input.device());
  at::Tensor output = at::empty(input.sizes(), input.options());
  const int64_t total = output.numel();
  if (total == 0) return output;
  const at::Tensor x = input.contiguous(), t = target.contiguous();
  const bool has_weight = weight.has_value() && weight->defined();
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sigmoid_focal_loss_cuda", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    const at::Tensor w = has_weight ? weight->to(at::CppTypeToScalarType<acc_t>::value).contiguous() : at::Tensor();
    focal_loss_forward_kernel<scalar_t><<<num_blocks(total), kThreads, 0, stream>>>(
        total, x.size(1), x.const_data_ptr<scalar_t>(), t.const_data_ptr<int64_t>(),
        has_weight ? w.const_data_ptr<acc_t>() : nullptr, acc_t(gamma), acc_t(alpha),
        output.mutable_data_ptr<scalar_t>());
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  });
  return output;
}

at::Tensor sigmoid_focal_loss_backward_cuda(const at::Tensor& grad, const at::Tensor& input,
                                            const at::Tensor& target,
                                            const c10::optional<at::Tensor>& weight,
                                            double gamma, double alpha) {
  check_focal_loss_args(input, target, weight);
  TORCH_CHECK(grad.sizes() == input.sizes(), "sigmoid_focal_loss backward: grad must have shape ",
              input.sizes(), ", got ", grad.sizes());
  c10::cuda::CUDAGuard guard(input.device());
  at::Tensor grad_input = at::empty(input.sizes(), input.options());
  const int64_t total = grad_input.numel();
  if (total == 0) return grad_input;
  const at::Tensor x = input.contiguous(), t = target.contiguous();
  const at::Tensor go = grad.to(input.scalar_type());
  const bool has_weight = weight.has_value() && weight->defined();
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sigmoid_focal_loss_backward_cuda", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    const at::Tensor w = has_weight ? weight->to(at::CppTypeToScalarType<acc_t>::value).contiguous() : at::Tensor();
    focal_loss_backward_kernel<scalar_t><<<num_blocks(total), kThreads, 0, stream>>>(
        total, x.size(1), go.const_data_ptr<scalar_t>(), go.stride(0), go.stride(1),
        x.const_data_ptr<scalar_t>(), t.const_data_ptr<int64_t>(),
        has_weight ? w.const_data_ptr<acc_t>() : nullptr, acc_t(gamma), acc_t(alpha),
        grad_input.mutable_data_ptr<scalar_t>());
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  });
  return grad_input;
}

}  // namespace

TORCH_LIBRARY_IMPL(detkit, CUDA, m) {
  m.impl("sigmoid_focal_loss", &sigmoid_focal_loss_cuda);
  m.impl("_sigmoid_focal_loss_backward", &sigmoid_focal_loss_backward_cuda);
}

}  // namespace detkit
