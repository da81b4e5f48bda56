// vkrope.Tensor: a device buffer with a dtype, a shape and strides; to and from numpy.
#include <pybind11/stl.h>

#include <string>

#include "bindings.hpp"
#include "vkrope/error.hpp"

namespace vkrope::python {
namespace {

Tensor from_numpy(const Context& context, const py::handle& array, const py::object& dtype) {
  const HostArray host = copy_array(array, "Tensor.from_numpy");
  std::optional<DType> storage;
  if (!dtype.is_none()) storage = parse_dtype_name(py::cast<std::string>(py::str(dtype)));
  py::gil_scoped_release release;
  return upload_array(context, host, storage);
}

py::array to_array(const Tensor& tensor) {
  Download download;
  {
    py::gil_scoped_release release;
    download = download_tensor(tensor);
  }
  return to_numpy(std::move(download));
}

std::string tensor_repr(const Tensor& t) {
  return "<vkrope.Tensor " + std::string(to_string(t.dtype())) + " " + shape_to_string(t.shape()) +
         (t.is_contiguous() && t.offset() == 0 ? "" : " (view)") + " on " + t.context().device().name + ">";
}

}  // namespace

bool is_tensor(const py::handle& object) { return py::isinstance<Tensor>(object); }

void init_tensor(py::module_& m) {
  py::class_<Tensor>(m, "Tensor",
                     "A device buffer with a dtype ('f32', 'f16', 'bf16', 'q8_0', 'q4_0'), a shape of 1 to 4 "
                     "dimensions and element strides.\n\n"
                     "Make one with Tensor.from_numpy(context, array) or Tensor.empty(context, shape, dtype); "
                     "read it back with .numpy() (f16 tensors as float16, every other dtype as float32). "
                     "numpy.asarray(tensor) works too. A Tensor must not be read or written from the host "
                     "while a call that writes it runs on another thread.")
      .def_static("from_numpy", &from_numpy, py::arg("context"), py::arg("array"), py::arg("dtype") = py::none(),
                  "A new tensor holding a float32 or float16 numpy array (any strides; copied in C order).\n\n"
                  "dtype: the storage, default the array's own (float32 -> 'f32', float16 -> 'f16'); values are "
                  "converted as vkrope converts (round to nearest even; q8_0/q4_0 as ggml quantizes). Any other "
                  "array dtype raises TypeError; a rank outside 1..4, or a tensor larger than the device's "
                  "maxStorageBufferRange, raises InvalidArgumentError.")
      .def_static(
          "empty",
          [](const Context& context, const Shape& shape, const std::string& dtype) {
            const DType storage = parse_dtype_name(dtype);
            py::gil_scoped_release release;
            return Tensor::empty(context, storage, shape);
          },
          py::arg("context"), py::arg("shape"), py::arg("dtype") = "f32",
          "A new contiguous tensor of this shape and dtype; contents undefined.")
      .def_property_readonly("dtype", [](const Tensor& t) { return std::string(to_string(t.dtype())); },
                             "Storage type: 'f32', 'f16', 'bf16', 'q8_0' or 'q4_0'.")
      .def_property_readonly("shape", [](const Tensor& t) { return py::tuple(py::cast(t.shape())); },
                             "The shape, outermost first (a tuple).")
      .def_property_readonly("strides", [](const Tensor& t) { return py::tuple(py::cast(t.strides())); },
                             "Element strides (not bytes), outermost first (a tuple).")
      .def_property_readonly("offset", &Tensor::offset, "First element of this view in its buffer.")
      .def_property_readonly("ndim", &Tensor::rank, "Number of dimensions.")
      .def_property_readonly("size", &Tensor::numel, "Number of elements.")
      .def_property_readonly("context", &Tensor::context, "The Context that owns the buffer.")
      .def("is_contiguous", &Tensor::is_contiguous, "Whether the view is row-major without gaps.")
      .def("view", &Tensor::view, py::arg("shape"), py::arg("strides"), py::arg("offset") = 0,
           "A view of the same memory with another shape and element strides, starting `offset` elements in "
           "(e.g. q, k and v of a fused QKV buffer). InvalidArgumentError if it addresses anything outside the "
           "buffer.")
      .def("numpy", &to_array, "Device -> host: a new numpy array (float16 for f16 tensors, else float32).")
      .def("__array__",
           [](const Tensor& t, const py::object& dtype) {
             py::array a = to_array(t);
             return dtype.is_none() ? a : py::array(a.attr("astype")(dtype));
           },
           py::arg("dtype") = py::none(), "numpy.asarray(tensor): the same as tensor.numpy().")
      .def(
          "upload",
          [](const Tensor& t, const py::handle& array) {
            const HostArray host = copy_array(array, "Tensor.upload");
            py::gil_scoped_release release;
            upload_into(t, host);
          },
          py::arg("array"),
          "Host -> device: writes a float32 or float16 array of this view's shape into the elements the view "
          "addresses (converted to the tensor's dtype).")
      .def("fill_bytes", &Tensor::fill_bytes, py::arg("value"), py::call_guard<py::gil_scoped_release>(),
           "Sets every byte the view spans to `value` (0xFF: a NaN pattern, to poison outputs).")
      .def("__repr__", &tensor_repr);
}

}  // namespace vkrope::python
