// Schemas of detkit's compiled ops (torch.ops.detkit.*) and the Python module
// entry point of detkit._C. Kernels register themselves per dispatch key in
// cpu/, cuda/ and autocast/; fake (meta) kernels are registered from Python in
// detkit/ops/_fake.py.
#include <Python.h>
#include <torch/library.h>

TORCH_LIBRARY(detkit, m) {
  // (m, 4) x (n, 4) -> (m, n), or (m,) when aligned. mode: 'iou' | 'iof' | 'giou'.
  m.def("bbox_overlaps(Tensor bboxes1, Tensor bboxes2, str mode, bool aligned, float eps) -> Tensor");
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
