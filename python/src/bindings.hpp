// Shared declarations of the vkrope Python module: one init_* function per area, and the
// helpers that move numpy arrays to and from device tensors.
//
// GIL rule: numpy buffers and Python objects are touched only with the GIL held; every call
// that does device work (tensor creation, uploads, downloads, ops, submissions) runs with
// the GIL released, so other Python threads (and other threads sharing a Context) run on.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vkrope/attention.hpp"
#include "vkrope/context.hpp"
#include "vkrope/rope.hpp"
#include "vkrope/tensor.hpp"

namespace vkrope::python {

namespace py = pybind11;

void init_errors(py::module_& m);
void init_context(py::module_& m);
void init_tensor(py::module_& m);
void init_rope(py::module_& m);
void init_attention(py::module_& m);
void init_kv_cache(py::module_& m);
void init_conformance(py::module_& m);

// --- Names of enums, as Python sees them (strings) ---------------------------------------

DType parse_dtype_name(std::string_view text);  // "f32", "float16", ...; ValueError otherwise
RopeLayout parse_layout(std::string_view text);
RopeScalingType parse_scaling_type(std::string_view text);
RopeVision parse_vision(std::string_view text);

// --- Host arrays ---------------------------------------------------------------------------

// A copy of a float32 or float16 numpy array (or anything numpy.asarray turns into one),
// C order, taken with the GIL held so the device work after it can run without.
struct HostArray {
  DType dtype = DType::f32;  // f32 or f16 (numpy float16 is IEEE binary16, as vkrope's f16)
  Shape shape;
  std::vector<std::byte> bytes;
};
// Raises TypeError naming `what` for any other dtype (float64 included: convert it with
// .astype(numpy.float32)).
HostArray copy_array(const py::handle& object, const char* what);

// A new device tensor of `storage` (default: the array's own dtype) holding the array. Call
// with the GIL released.
Tensor upload_array(const Context& context, const HostArray& array, std::optional<DType> storage = std::nullopt);
// Writes the array into an existing tensor (shapes must agree). GIL released.
void upload_into(const Tensor& tensor, const HostArray& array);

// A tensor's contents on the host: f16 tensors as float16 bits, every other dtype as
// float32. Download with the GIL released, then make the numpy array with it held.
struct Download {
  DType dtype = DType::f32;  // f16 or f32
  Shape shape;
  std::vector<std::byte> bytes;
};
Download download_tensor(const Tensor& tensor);  // GIL released
py::array to_numpy(Download&& download);         // GIL held

// Integer positions from None (empty), a numpy integer array of any shape (flattened in C
// order), or a sequence of Python ints. TypeError for floats, bools and anything else.
std::vector<std::int64_t> copy_positions(const py::handle& object, const char* what);

// The numpy dtype a DType downloads as ("float16" for f16, else "float32").
py::dtype numpy_dtype(DType dtype);

// --- Shared objects ------------------------------------------------------------------------

// The Context of a call: `context` when not None, else the module's default (created on
// first use from the environment: VKROPE_DEVICE, VKROPE_VALIDATION, VKROPE_EMULATE, ...).
Context resolve_context(const py::handle& context);

// Whether `object` is a vkrope.Tensor (device) rather than host data.
bool is_tensor(const py::handle& object);

// Sets fields of `target` (a bound config object) from keyword arguments, by attribute
// name; an unknown name raises TypeError naming `function`.
void apply_fields(py::object& target, const py::kwargs& fields, const char* function);

// nlohmann::json from a Python object (dict, list, str, number) and back, through the json
// module.
std::string to_json_text(const py::handle& object);
py::object from_json_text(const std::string& text);

}  // namespace vkrope::python
