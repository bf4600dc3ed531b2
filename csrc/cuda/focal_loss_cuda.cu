// CUDA kernel of detkit::sigmoid_focal_loss: one thread per (sample, class)
// element, math shared with the CPU through common/; with with_grad the
// derivative with respect to the logits is written in the same pass.
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <c10/macros/Macros.h>
#include <torch/library.h>

#include <tuple>

#include "common/checks.h"
#include "common/focal_loss_kernel.h"

namespace detkit {
namespace {

constexpr int kThreads = 256;

template <typename scalar_t>
__global__ void focal_loss_kernel(int64_t total, int64_t num_classes,
                                  const scalar_t* __restrict__ input,
                                  const int64_t* __restrict__ target,
                                  const at::opmath_type<scalar_t>* __restrict__ weight,
                                  at::opmath_type<scalar_t> gamma, at::opmath_type<scalar_t> alpha,
                                  scalar_t* __restrict__ output, scalar_t* __restrict__ grad) {
  using acc_t = at::opmath_type<scalar_t>;
  for (int64_t k = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; k < total;
       k += (int64_t)blockDim.x * gridDim.x) {
    const int64_t i = k / num_classes, c = k % num_classes;
    const int64_t label = target[i];
    CUDA_KERNEL_ASSERT(label >= 0 && label <= num_classes);
    const acc_t scale = (weight != nullptr && label < num_classes) ? weight[label] : acc_t(1);
    acc_t loss, dx;
    kernels::sigmoid_focal_loss_elem(acc_t(input[k]), c == label, gamma, alpha, loss, dx);
    output[k] = static_cast<scalar_t>(scale * loss);
    if (grad != nullptr) grad[k] = static_cast<scalar_t>(scale * dx);
  }
}

std::tuple<at::Tensor, at::Tensor> sigmoid_focal_loss_cuda(const at::Tensor& input,
                                                           const at::Tensor& target,
                                                           const c10::optional<at::Tensor>& weight,
                                                           double gamma, double alpha,
                                                           bool with_grad) {
  check_focal_loss_args(input, target, weight);
  c10::cuda::CUDAGuard guard(input.device());
  const int64_t n = input.size(0), num_classes = input.size(1);
  at::Tensor output = at::empty({n, num_classes}, input.options());
  at::Tensor grad = at::empty({with_grad ? n : 0, num_classes}, input.options());
  const int64_t total = output.numel();
  if (total == 0) return std::make_tuple(output, grad);
  const at::Tensor x = input.contiguous(), t = target.contiguous();
  const bool has_weight = weight.has_value() && weight->defined();
  const int blocks = static_cast<int>(std::min<int64_t>((total + kThreads - 1) / kThreads, 4096));
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sigmoid_focal_loss_cuda", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    const at::Tensor w = has_weight ? weight->to(at::CppTypeToScalarType<acc_t>::value).contiguous() : at::Tensor();
    focal_loss_kernel<scalar_t><<<blocks, kThreads, 0, stream>>>(
        total, num_classes, x.const_data_ptr<scalar_t>(), t.const_data_ptr<int64_t>(),
        has_weight ? w.const_data_ptr<acc_t>() : nullptr, acc_t(gamma), acc_t(alpha),
        output.mutable_data_ptr<scalar_t>(), with_grad ? grad.mutable_data_ptr<scalar_t>() : nullptr);
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  });
  return std::make_tuple(output, grad);
}

}  // namespace

TORCH_LIBRARY_IMPL(detkit, CUDA, m) {
  m.impl("sigmoid_focal_loss", &sigmoid_focal_loss_cuda);
}

}  // namespace detkit
