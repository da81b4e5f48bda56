// numpy arrays <-> device tensors, positions, enum names, keyword fields and JSON: the
// conversions every binding shares.
#include <cstring>
#include <string>

#include "bindings.hpp"
#include "vkrope/error.hpp"

namespace vkrope::python {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

template <typename Enum, std::size_t N>
Enum parse_enum(std::string_view text, const Enum (&values)[N], const char* what) {
  const std::string wanted = lower(text);
  std::string names;
  for (Enum value : values) {
    if (wanted == to_string(value)) return value;
    names += (names.empty() ? "" : ", ") + std::string(to_string(value));
  }
  throw Error(ErrorKind::InvalidArgument, std::string(what) + " '" + std::string(text) + "': expected one of " + names);
}

}  // namespace

DType parse_dtype_name(std::string_view text) {
  const std::string name = lower(text);
  DType dtype{};
  if (parse_dtype(name, dtype)) return dtype;
  if (name == "float32") return DType::f32;
  if (name == "float16") return DType::f16;
  if (name == "bfloat16") return DType::bf16;
  throw Error(ErrorKind::InvalidArgument,
              "dtype '" + std::string(text) + "': expected f32, f16, bf16, q8_0 or q4_0 (or float32, float16)");
}

RopeLayout parse_layout(std::string_view text) {
  static constexpr RopeLayout kValues[] = {RopeLayout::Neox, RopeLayout::Interleaved};
  return parse_enum(text, kValues, "layout");
}

RopeScalingType parse_scaling_type(std::string_view text) {
  static constexpr RopeScalingType kValues[] = {RopeScalingType::Default, RopeScalingType::Linear,
                                                RopeScalingType::Dynamic, RopeScalingType::Yarn,
                                                RopeScalingType::Llama3,  RopeScalingType::LongRope};
  return parse_enum(text, kValues, "scaling type");
}

RopeVision parse_vision(std::string_view text) {
  static constexpr RopeVision kValues[] = {RopeVision::None, RopeVision::Qwen2VL, RopeVision::Pixtral};
  return parse_enum(text, kValues, "vision");
}

py::dtype numpy_dtype(DType dtype) {
  return dtype == DType::f16 ? py::dtype("float16") : py::dtype("float32");
}

HostArray copy_array(const py::handle& object, const char* what) {
  if (is_tensor(object))
    throw py::type_error(std::string(what) + ": a vkrope.Tensor where host data (a numpy array) was expected; "
                         "pass device tensors for every input of a call, or numpy arrays for every one");
  py::array array = py::array::ensure(object);
  if (!array) throw py::type_error(std::string(what) + ": expected a numpy array, got " + std::string(py::str(py::type::of(object))));
  HostArray out;
  if (array.dtype().is(py::dtype("float32"))) {
    out.dtype = DType::f32;
  } else if (array.dtype().is(py::dtype("float16"))) {
    out.dtype = DType::f16;
  } else {
    throw py::type_error(std::string(what) + ": expected a float32 or float16 array, got " +
                         std::string(py::str(array.dtype())) + " (convert it with .astype(numpy.float32))");
  }
  // A C-ordered copy in the array's own dtype (no conversion: the dtype was checked above).
  py::array contiguous = py::array::ensure(array, py::array::c_style);
  for (py::ssize_t i = 0; i < contiguous.ndim(); ++i) out.shape.push_back(contiguous.shape(i));
  out.bytes.resize(static_cast<std::size_t>(contiguous.nbytes()));
  if (!out.bytes.empty()) std::memcpy(out.bytes.data(), contiguous.data(), out.bytes.size());
  return out;
}

namespace {

std::vector<float> as_floats(const HostArray& array) {
  if (array.dtype == DType::f32) {
    std::vector<float> values(array.bytes.size() / sizeof(float));
    std::memcpy(values.data(), array.bytes.data(), array.bytes.size());
    return values;
  }
  std::vector<float> values(array.bytes.size() / sizeof(std::uint16_t));
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::uint16_t bits = 0;
    std::memcpy(&bits, array.bytes.data() + i * sizeof bits, sizeof bits);
    values[i] = half_to_float(bits);
  }
  return values;
}

}  // namespace

void upload_into(const Tensor& tensor, const HostArray& array) {
  if (tensor.shape() != array.shape)
    throw Error(ErrorKind::InvalidArgument, "upload: array shape " + shape_to_string(array.shape) +
                                                " differs from the tensor's " + shape_to_string(tensor.shape()));
  if (tensor.dtype() == array.dtype)
    tensor.upload_raw(array.bytes);  // the same bits (f32, or IEEE binary16 for f16)
  else
    tensor.upload(as_floats(array));  // converted as vkrope converts (f16, bf16 round to nearest even)
}

Tensor upload_array(const Context& context, const HostArray& array, std::optional<DType> storage) {
  const Tensor tensor = Tensor::empty(context, storage.value_or(array.dtype), array.shape);
  upload_into(tensor, array);
  return tensor;
}

Download download_tensor(const Tensor& tensor) {
  Download out;
  out.shape = tensor.shape();
  if (tensor.dtype() == DType::f16 || tensor.dtype() == DType::f32) {
    out.dtype = tensor.dtype();
    out.bytes = tensor.download_raw();
  } else {
    out.dtype = DType::f32;
    const std::vector<float> values = tensor.download();
    out.bytes.resize(values.size() * sizeof(float));
    std::memcpy(out.bytes.data(), values.data(), out.bytes.size());
  }
  return out;
}

py::array to_numpy(Download&& download) {
  std::vector<py::ssize_t> shape(download.shape.begin(), download.shape.end());
  py::array array(numpy_dtype(download.dtype), shape);
  if (static_cast<std::size_t>(array.nbytes()) != download.bytes.size())
    throw Error(ErrorKind::Internal, "download: " + std::to_string(download.bytes.size()) + " bytes for an array of " +
                                         std::to_string(array.nbytes()));
  if (!download.bytes.empty()) std::memcpy(array.mutable_data(), download.bytes.data(), download.bytes.size());
  return array;
}

std::vector<std::int64_t> copy_positions(const py::handle& object, const char* what) {
  std::vector<std::int64_t> out;
  if (object.is_none()) return out;
  if (py::isinstance<py::array>(object)) {
    py::array array = py::reinterpret_borrow<py::array>(object);
    const char kind = array.dtype().kind();
    if (kind != 'i' && kind != 'u')
      throw py::type_error(std::string(what) + ": expected an integer array (int32 or int64), got " +
                           std::string(py::str(array.dtype())));
    auto values = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>::ensure(array);
    if (!values) throw py::error_already_set();
    out.assign(values.data(), values.data() + values.size());
    return out;
  }
  if (py::isinstance<py::str>(object) || py::isinstance<py::bytes>(object) || !py::isinstance<py::sequence>(object))
    throw py::type_error(std::string(what) + ": expected a sequence of ints or an integer numpy array, got " +
                         std::string(py::str(py::type::of(object))));
  for (const py::handle item : py::reinterpret_borrow<py::sequence>(object)) {
    if (py::isinstance<py::bool_>(item) || !(py::isinstance<py::int_>(item) || py::hasattr(item, "__index__")))
      throw py::type_error(std::string(what) + ": expected ints, got " + std::string(py::str(py::type::of(item))));
    out.push_back(py::cast<std::int64_t>(item));
  }
  return out;
}

void apply_fields(py::object& target, const py::kwargs& fields, const char* function) {
  for (const auto& [key, value] : fields) {
    const std::string name = py::cast<std::string>(key);
    // Fields only: not private names, not methods.
    if (name.empty() || name[0] == '_' || !py::hasattr(target, name.c_str()) ||
        PyCallable_Check(target.attr(name.c_str()).ptr()))
      throw py::type_error(std::string(function) + "() got an unexpected keyword argument '" + name + "'");
    target.attr(name.c_str()) = value;
  }
}

std::string to_json_text(const py::handle& object) {
  return py::cast<std::string>(py::module_::import("json").attr("dumps")(object));
}

py::object from_json_text(const std::string& text) { return py::module_::import("json").attr("loads")(text); }

}  // namespace vkrope::python
