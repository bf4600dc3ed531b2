// Schemas of detkit's compiled ops (torch.ops.detkit.*) and the Python module
// entry point of detkit._C. Kernels register themselves per dispatch key in
// cpu/, cuda/ and autocast/; fake (meta) kernels are registered from Python in
// detkit/ops/_fake.py.
#include <Python.h>
#include <torch/library.h>

TORCH_LIBRARY(detkit, m) {
  // (m, 4) x (n, 4) -> (m, n), or (m,) when aligned. mode: 'iou' | 'iof' | 'giou'.
  m.def("bbox_overlaps(Tensor bboxes1, Tensor bboxes2, str mode, bool aligned, float eps) -> Tensor");
  // Greedy NMS. boxes (n, 4), scores (n,) -> indices of the kept boxes (k,) int64,
  // by decreasing score, ties in input order. offset: 0 or 1 (legacy +1 px areas).
  m.def("nms(Tensor boxes, Tensor scores, float iou_threshold, int offset) -> Tensor");
  // NMS within each group of equal idxs (n,), all groups in one call; same output.
  m.def("batched_nms(Tensor boxes, Tensor scores, Tensor idxs, float iou_threshold, int offset) -> Tensor");
  // Soft-NMS. method: 0 naive, 1 linear, 2 gaussian. -> dets (k, 5) [x1, y1, x2, y2,
  // decayed score] in selection order, inds (k,) int64.
  m.def("soft_nms(Tensor boxes, Tensor scores, float iou_threshold, float sigma, float min_score, int method, int offset) -> (Tensor, Tensor)");
  // RoIAlign. input (N, C, H, W), rois (n, 5) [batch_idx, x1, y1, x2, y2] ->
  // output (n, C, pooled_height, pooled_width); with max_mode also the position
  // (argmax_y, argmax_x) of the winning sample per output element (else empty).
  m.def("roi_align(Tensor input, Tensor rois, float spatial_scale, int pooled_height, int pooled_width, int sampling_ratio, bool aligned, bool max_mode) -> (Tensor, Tensor, Tensor)");
  m.def("_roi_align_backward(Tensor grad, Tensor rois, Tensor argmax_y, Tensor argmax_x, float spatial_scale, int pooled_height, int pooled_width, int sampling_ratio, bool aligned, bool max_mode, SymInt batch_size, SymInt channels, SymInt height, SymInt width) -> Tensor");
  // RoIPool (max over quantised bins) -> output and argmax (index in the H*W plane, -1 if empty).
  m.def("roi_pool(Tensor input, Tensor rois, float spatial_scale, int pooled_height, int pooled_width) -> (Tensor, Tensor)");
  m.def("_roi_pool_backward(Tensor grad, Tensor rois, Tensor argmax, SymInt batch_size, SymInt channels, SymInt height, SymInt width) -> Tensor");
  // Sigmoid focal loss, element-wise. input (n, C) logits, target (n,) int64 labels
  // in [0, C] (C = background), weight (C,) per-class weight of the sample's label.
  // -> loss (n, C) and, if with_grad, d(loss)/d(input) (n, C) (else empty).
  m.def("sigmoid_focal_loss(Tensor input, Tensor target, Tensor? weight, float gamma, float alpha, bool with_grad) -> (Tensor, Tensor)");
}

namespace {

PyObject* cuda_compiled(PyObject* /*self*/, PyObject* /*args*/) {
#ifdef WITH_CUDA
  Py_RETURN_TRUE;
#else
  Py_RETURN_FALSE;
#endif
}

PyMethodDef methods[] = {
    {"cuda_compiled", cuda_compiled, METH_NOARGS,
     "True if this build of detkit._C contains the CUDA kernels."},
    {nullptr, nullptr, 0, nullptr}};

PyModuleDef module_def = {PyModuleDef_HEAD_INIT, "_C",
                          "detkit's compiled ops; they register as torch.ops.detkit.*", -1,
                          methods};

}  // namespace

PyMODINIT_FUNC PyInit__C(void) {
  return PyModule_Create(&module_def);
}
