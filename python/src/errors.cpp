// Python exceptions for vkrope::Error: vkrope.Error (a RuntimeError) with .kind and
// .vk_result, and one subclass per ErrorKind, some also deriving from the builtin exception
// Python code would catch for it (InvalidArgumentError is a ValueError, IoError an OSError,
// OutOfMemoryError a MemoryError).
#include <array>
#include <string>

#include "bindings.hpp"
#include "vkrope/error.hpp"

namespace vkrope::python {
namespace {

constexpr std::array kKinds = {ErrorKind::InvalidArgument, ErrorKind::Unsupported, ErrorKind::OutOfMemory,
                               ErrorKind::DeviceLost,      ErrorKind::Mismatch,    ErrorKind::Io,
                               ErrorKind::Internal};

// The classes, created once at import and alive as long as the module (the module holds a
// reference too, so these borrowed pointers stay valid).
PyObject* g_error = nullptr;
std::array<PyObject*, kKinds.size()> g_kind_errors{};

// The kind's enumerator name, as Python code compares it: "InvalidArgument", ...
const char* kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::InvalidArgument: return "InvalidArgument";
    case ErrorKind::Unsupported: return "Unsupported";
    case ErrorKind::OutOfMemory: return "OutOfMemory";
    case ErrorKind::DeviceLost: return "DeviceLost";
    case ErrorKind::Mismatch: return "Mismatch";
    case ErrorKind::Io: return "Io";
    case ErrorKind::Internal: return "Internal";
  }
  return "Internal";
}

PyObject* builtin_base(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::InvalidArgument: return PyExc_ValueError;
    case ErrorKind::OutOfMemory: return PyExc_MemoryError;
    case ErrorKind::Io: return PyExc_OSError;
    default: return nullptr;
  }
}

const char* kind_doc(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::InvalidArgument: return "The caller passed something wrong: a shape, a value, a file's content.";
    case ErrorKind::Unsupported: return "Valid, but this device or installation cannot do it.";
    case ErrorKind::OutOfMemory: return "A device or host allocation failed.";
    case ErrorKind::DeviceLost: return "VK_ERROR_DEVICE_LOST: the device must be recreated (make a new Context).";
    case ErrorKind::Mismatch: return "Checked mode: the device's output differs from the CPU reference.";
    case ErrorKind::Io: return "A file could not be read or written.";
    case ErrorKind::Internal: return "An unexpected Vulkan failure; a bug in vkrope or the driver.";
  }
  return "";
}

void raise(const Error& e) {
  const auto index = static_cast<std::size_t>(e.kind());
  py::handle type(index < g_kind_errors.size() ? g_kind_errors[index] : g_error);
  py::object instance = type(std::string(e.what()));
  instance.attr("kind") = kind_name(e.kind());
  instance.attr("vk_result") = e.vk_result();
  PyErr_SetObject(type.ptr(), instance.ptr());
}

}  // namespace

void init_errors(py::module_& m) {
  py::dict error_dict;
  error_dict["__doc__"] =
      "Every failure vkrope reports: .kind names what went wrong ('InvalidArgument', 'Unsupported', "
      "'OutOfMemory', 'DeviceLost', 'Mismatch', 'Io', 'Internal'), .vk_result is the VkResult when a "
      "Vulkan call failed (0 otherwise), and str(error) says what was wrong and what was expected. "
      "Catch a subclass (InvalidArgumentError, ...) to handle one kind.";
  error_dict["kind"] = py::none();
  error_dict["vk_result"] = 0;
  error_dict["__module__"] = "vkrope";
  g_error = PyErr_NewException("vkrope.Error", PyExc_RuntimeError, error_dict.ptr());
  if (!g_error) throw py::error_already_set();
  m.add_object("Error", py::handle(g_error));
  for (std::size_t i = 0; i < kKinds.size(); ++i) {
    const std::string kind = kind_name(kKinds[i]);
    const std::string name = kind + "Error";
    py::tuple bases = builtin_base(kKinds[i]) ? py::make_tuple(py::handle(g_error), py::handle(builtin_base(kKinds[i])))
                                         : py::make_tuple(py::handle(g_error));
    py::dict dict;
    dict["__doc__"] = std::string(kind_doc(kKinds[i])) + " (vkrope.Error with kind '" + kind + "')";
    dict["kind"] = kind;
    dict["__module__"] = "vkrope";
    g_kind_errors[i] = PyErr_NewException(("vkrope." + name).c_str(), bases.ptr(), dict.ptr());
    if (!g_kind_errors[i]) throw py::error_already_set();
    m.add_object(name.c_str(), py::handle(g_kind_errors[i]));
  }
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      raise(e);
    }
  });
}

}  // namespace vkrope::python
