// CPU kernel of detkit::sigmoid_focal_loss, rows in parallel. Integer labels,
// no one-hot tensor; with with_grad the derivative with respect to the logits
// is produced in the same pass (the backward pass only scales it).
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <torch/library.h>

#include <tuple>

#include "common/checks.h"
#include "common/focal_loss_kernel.h"

namespace detkit {
namespace {

constexpr int64_t kGrainElems = 16384;

std::tuple<at::Tensor, at::Tensor> sigmoid_focal_loss_cpu(const at::Tensor& input,
                                                          const at::Tensor& target,
                                                          const c10::optional<at::Tensor>& weight,
                                                          double gamma, double alpha,
                                                          bool with_grad) {
  check_focal_loss_args(input, target, weight);
  const int64_t n = input.size(0), num_classes = input.size(1);
  at::Tensor output = at::empty({n, num_classes}, input.options());
  at::Tensor grad = at::empty({with_grad ? n : 0, num_classes}, input.options());
  if (output.numel() == 0) return std::make_tuple(output, grad);
  const at::Tensor x = input.contiguous(), t = target.contiguous();
  const bool has_weight = weight.has_value() && weight->defined();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sigmoid_focal_loss_cpu", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    const at::Tensor w = has_weight ? weight->to(at::CppTypeToScalarType<acc_t>::value).contiguous() : at::Tensor();
    const acc_t* pw = has_weight ? w.const_data_ptr<acc_t>() : nullptr;
    const scalar_t* px = x.const_data_ptr<scalar_t>();
    const int64_t* pt = t.const_data_ptr<int64_t>();
    scalar_t* po = output.mutable_data_ptr<scalar_t>();
    scalar_t* pg = with_grad ? grad.mutable_data_ptr<scalar_t>() : nullptr;
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
        scalar_t* gi = with_grad ? pg + i * num_classes : nullptr;
        for (int64_t c = 0; c < num_classes; ++c) {
          acc_t loss, dx;
          kernels::sigmoid_focal_loss_elem(acc_t(xi[c]), c == label, g, a, loss, dx);
          oi[c] = static_cast<scalar_t>(scale * loss);
          if (with_grad) gi[c] = static_cast<scalar_t>(scale * dx);
        }
      }
    });
  });
  return std::make_tuple(output, grad);
}

}  // namespace

TORCH_LIBRARY_IMPL(detkit, CPU, m) {
  m.impl("sigmoid_focal_loss", &sigmoid_focal_loss_cpu);
}

}  // namespace detkit
