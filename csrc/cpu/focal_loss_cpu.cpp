// CPU kernels of detkit::sigmoid_focal_loss (element-wise loss) and its
// backward, rows in parallel. Integer labels, no one-hot tensor.
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <torch/library.h>

#include "common/checks.h"
#include "common/focal_loss_kernel.h"

namespace detkit {
namespace {

constexpr int64_t kGrainElems = 16384;

at::Tensor sigmoid_focal_loss_cpu(const at::Tensor& input, const at::Tensor& target,
                                  const c10::optional<at::Tensor>& weight, double gamma,
                                  double alpha) {
  check_focal_loss_args(input, target, weight);
  const int64_t n = input.size(0), num_classes = input.size(1);
  at::Tensor output = at::empty({n, num_classes}, input.options());
  if (output.numel() == 0) return output;
  const at::Tensor x = input.contiguous(), t = target.contiguous();
  const bool has_weight = weight.has_value() && weight->defined();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sigmoid_focal_loss_cpu", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    const at::Tensor w = has_weight ? weight->to(at::CppTypeToScalarType<acc_t>::value).contiguous() : at::Tensor();
    const acc_t* pw = has_weight ? w.const_data_ptr<acc_t>() : nullptr;
    const scalar_t* px = x.const_data_ptr<scalar_t>();
    const int64_t* pt = t.const_data_ptr<int64_t>();
    scalar_t* po = output.mutable_data_ptr<scalar_t>();
    const acc_t g = acc_t(gamma), a = acc_t(alpha);
    const int64_t grain = std::max<int64_t>(1, kGrainElems / num_classes);
    at::parallel_for(0, n, grain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const int64_t label = pt[i];
        TORCH_CHECK(label >= 0 && label <= num_classes, "sigmoid_focal_loss: target[", i,
                    "] = ", label, " is not a class in [0, ", num_classes, "] (", num_classes,
                    " = background)");
        // The class weight of the sample's label; background rows are unweighted.
        const acc_t scale = (pw != nullptr && label < num_classes) ? pw[label] : acc_t(1);
        const scalar_t* xi = px + i * num_classes;
        scalar_t* oi = po + i * num_classes;
        for (int64_t c = 0; c < num_classes; ++c) {
          oi[c] = static_cast<scalar_t>(
              scale * kernels::sigmoid_focal_loss_elem(acc_t(xi[c]), c == label, g, a));
        }
      }
    });
  });
  return output;
}

at::Tensor sigmoid_focal_loss_backward_cpu(const at::Tensor& grad, const at::Tensor& input,
                                           const at::Tensor& target,
                                           const c10::optional<at::Tensor>& weight, double gamma,
                                           double alpha) {
  check_focal_loss_args(input, target, weight);
  TORCH_CHECK(grad.sizes() == input.sizes(), "sigmoid_focal_loss backward: grad must have shape ",
              input.sizes(), ", got ", grad.sizes());
  const int64_t n = input.size(0), num_classes = input.size(1);
  at::Tensor grad_input = at::empty({n, num_classes}, input.options());
  if (grad_input.numel() == 0) return grad_input;
  const at::Tensor x = input.contiguous(), t = target.contiguous();
  const at::Tensor go = grad.to(input.scalar_type());
  // grad is often an expanded scalar (reduction 'mean'/'sum'): read it through
  // its strides instead of materialising it.
  const int64_t gs0 = go.stride(0), gs1 = go.stride(1);
  const bool has_weight = weight.has_value() && weight->defined();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sigmoid_focal_loss_backward_cpu", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    const at::Tensor w = has_weight ? weight->to(at::CppTypeToScalarType<acc_t>::value).contiguous() : at::Tensor();
    const acc_t* pw = has_weight ? w.const_data_ptr<acc_t>() : nullptr;
    const scalar_t* px = x.const_data_ptr<scalar_t>();
    const scalar_t* pg = go.const_data_ptr<scalar_t>();
    const int64_t* pt = t.const_data_ptr<int64_t>();
    scalar_t* pgi = grad_input.mutable_data_ptr<scalar_t>();
    const acc_t g = acc_t(gamma), a = acc_t(alpha);
    const int64_t grain = std::max<int64_t>(1, kGrainElems / num_classes);
    at::parallel_for(0, n, grain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const int64_t label = pt[i];
        TORCH_CHECK(label >= 0 && label <= num_classes, "sigmoid_focal_loss: target[", i,
                    "] = ", label, " is not a class in [0, ", num_classes, "] (", num_classes,
                    " = background)");
        const acc_t scale = (pw != nullptr && label < num_classes) ? pw[label] : acc_t(1);
        const scalar_t* xi = px + i * num_classes;
        const scalar_t* gi = pg + i * gs0;
        scalar_t* oi = pgi + i * num_classes;
        for (int64_t c = 0; c < num_classes; ++c) {
          oi[c] = static_cast<scalar_t>(
              acc_t(gi[c * gs1]) * scale *
              kernels::sigmoid_focal_loss_grad_elem(acc_t(xi[c]), c == label, g, a));
        }
      }
    });
  });
  return grad_input;
}

}  // namespace

TORCH_LIBRARY_IMPL(detkit, CPU, m) {
  m.impl("sigmoid_focal_loss", &sigmoid_focal_loss_cpu);
  m.impl("_sigmoid_focal_loss_backward", &sigmoid_focal_loss_backward_cpu);
}

}  // namespace detkit
