// vkrope.devices(), vkrope.DeviceInfo and vkrope.Context, and the module's default Context.
#include <pybind11/stl.h>

#include <mutex>
#include <string>
#include <utility>

#include "bindings.hpp"
#include "vkrope/error.hpp"
#include "vkrope/version.hpp"

namespace vkrope::python {
namespace {

// The default Context of calls made without one: created on first use from the
// environment, dropped at interpreter exit (atexit), replaceable with set_default_context.
std::mutex g_default_mutex;
std::optional<Context> g_default;

Context default_context() {
  py::gil_scoped_release release;  // creating a Context talks to the driver
  std::lock_guard lock(g_default_mutex);
  if (!g_default) g_default = Context::create(ContextOptions::from_environment());
  return *g_default;
}

void set_default_context(std::optional<Context> context) {
  std::optional<Context> old;
  {
    std::lock_guard lock(g_default_mutex);
    old = std::exchange(g_default, std::move(context));
  }
  py::gil_scoped_release release;  // the last handle of the old one waits for its device
  old.reset();
}

std::string device_repr(const DeviceInfo& d) {
  return "<vkrope.DeviceInfo [" + std::to_string(d.index) + "] " + d.name + ", " + std::string(to_string(d.type)) +
         ", Vulkan " + d.api_version_string() + ">";
}

Context make_context(const py::object& device, std::optional<bool> validation, const py::object& emulate,
                     const py::object& pipeline_cache_dir, std::optional<bool> checked) {
  ContextOptions options = ContextOptions::from_environment();
  if (!device.is_none()) {
    if (py::isinstance<py::bool_>(device)) throw py::type_error("device: expected an index (int) or a name substring (str)");
    if (py::isinstance<py::int_>(device))
      options.device = std::to_string(py::cast<std::int64_t>(device));
    else if (py::isinstance<py::str>(device))
      options.device = py::cast<std::string>(device);
    else if (py::isinstance<DeviceInfo>(device))
      options.device = std::to_string(py::cast<const DeviceInfo&>(device).index);
    else
      throw py::type_error("device: expected an index (int), a name substring (str) or a DeviceInfo");
  }
  if (validation) options.validation = *validation;
  if (!emulate.is_none()) options.emulation = parse_emulation(py::cast<std::string>(emulate), "emulate");
  if (!pipeline_cache_dir.is_none()) options.pipeline_cache_dir = py::cast<std::string>(py::str(pipeline_cache_dir));
  if (checked) options.checked = *checked;
  py::gil_scoped_release release;
  return Context::create(options);
}

}  // namespace

Context resolve_context(const py::handle& context) {
  if (context.is_none()) return default_context();
  if (!py::isinstance<Context>(context))
    throw py::type_error("context: expected a vkrope.Context, got " + std::string(py::str(py::type::of(context))));
  return py::cast<Context>(context);
}

void init_context(py::module_& m) {
  py::class_<DeviceInfo>(m, "DeviceInfo",
                         "A Vulkan device and its compute capabilities (what `vkrope devices` prints). In "
                         "Context.device these are the effective values, after emulation.")
      .def_readonly("index", &DeviceInfo::index, "Position in the loader's enumeration order (a device selector).")
      .def_readonly("name", &DeviceInfo::name, "The device name, e.g. 'llvmpipe (LLVM 15.0.6, 256 bits)'.")
      .def_readonly("vendor_id", &DeviceInfo::vendor_id, "PCI vendor id.")
      .def_readonly("device_id", &DeviceInfo::device_id, "Vendor's device id.")
      .def_property_readonly("type", [](const DeviceInfo& d) { return std::string(to_string(d.type)); },
                             "'discrete', 'integrated', 'virtual', 'cpu' or 'other'.")
      .def_property_readonly("api_version", &DeviceInfo::api_version_string, "Vulkan version, e.g. '1.3.255'.")
      .def_readonly("driver_name", &DeviceInfo::driver_name, "Driver name (VK_KHR_driver_properties), or ''.")
      .def_readonly("driver_info", &DeviceInfo::driver_info, "Driver details, or ''.")
      .def_readonly("has_compute_queue", &DeviceInfo::has_compute_queue, "Devices without one are never chosen.")
      .def_readonly("subgroup_size", &DeviceInfo::subgroup_size, "Default subgroup size of compute shaders.")
      .def_readonly("min_subgroup_size", &DeviceInfo::min_subgroup_size, "Smallest subgroup size a shader may get.")
      .def_readonly("max_subgroup_size", &DeviceInfo::max_subgroup_size, "Largest subgroup size a shader may get.")
      .def_readonly("compute_units", &DeviceInfo::compute_units, "Compute units where an extension tells, else 0.")
      .def_property_readonly("subgroup_operations", [](const DeviceInfo& d) { return subgroup_ops_to_string(d.subgroup_operations); },
                             "Subgroup operations in compute shaders, e.g. 'basic,vote,arithmetic'.")
      .def_readonly("storage_16bit", &DeviceInfo::storage_16bit, "16-bit storage buffers (f16 tensors natively).")
      .def_readonly("float16", &DeviceInfo::float16, "shaderFloat16 arithmetic.")
      .def_readonly("float64", &DeviceInfo::float64, "shaderFloat64.")
      .def_readonly("shared_memory_bytes", &DeviceInfo::shared_memory_bytes, "maxComputeSharedMemorySize.")
      .def_readonly("max_workgroup_invocations", &DeviceInfo::max_workgroup_invocations, "maxComputeWorkGroupInvocations.")
      .def_readonly("max_storage_buffer_range", &DeviceInfo::max_storage_buffer_range,
                    "maxStorageBufferRange: the largest tensor, in bytes.")
      .def_readonly("device_local_bytes", &DeviceInfo::device_local_bytes, "Size of the largest device-local heap.")
      .def_readonly("unified_memory", &DeviceInfo::unified_memory, "Tensors in memory the host maps (CPU drivers, UMA).")
      .def_readonly("timeline_semaphore", &DeviceInfo::timeline_semaphore, "Timeline semaphores available.")
      .def_readonly("timestamps", &DeviceInfo::timestamps, "The compute queue writes timestamps.")
      .def_property_readonly("cooperative_matrix",
                             [](const DeviceInfo& d) {
                               std::vector<std::string> shapes;
                               for (const auto& s : d.cooperative_matrix) shapes.push_back(to_string(s));
                               return shapes;
                             },
                             "Cooperative-matrix shapes, e.g. ['16x16x16 f16*f16+f32->f32 (KHR)']; [] when none.")
      .def_property_readonly("emulation", [](const DeviceInfo& d) { return to_string(d.emulation); },
                             "'none', 'baseline', 'discrete' or 'baseline,discrete'.")
      .def("__repr__", &device_repr);

  m.def(
      "devices",
      [](bool validation) {
        py::gil_scoped_release release;
        return enumerate_devices(validation);
      },
      py::arg("validation") = false,
      "Every Vulkan device the loader reports, as DeviceInfo (unemulated), in enumeration order.\n\n"
      "SwiftShader joins lavapipe when VK_ADD_DRIVER_FILES names its ICD manifest. Raises UnsupportedError "
      "when no Vulkan loader is installed.");

  py::class_<MemoryStats>(m, "MemoryStats", "Bytes of device memory held by a Context's buffers.")
      .def_readonly("live_bytes", &MemoryStats::live_bytes, "Held now.")
      .def_readonly("peak_bytes", &MemoryStats::peak_bytes, "Most held at once since creation or reset_peak_memory().")
      .def("__repr__", [](const MemoryStats& s) {
        return "<vkrope.MemoryStats live " + std::to_string(s.live_bytes) + " B, peak " + std::to_string(s.peak_bytes) + " B>";
      });

  py::class_<Context>(m, "Context",
                      "One Vulkan device chosen for compute, with its queue, pipelines and options.\n\n"
                      "A cheap handle; one Context may be shared by any number of Python threads (device work "
                      "runs with the GIL released; submissions to its queue are serialized). The device is "
                      "released when the last Context handle, Tensor and KvCache on it are gone.")
      .def(py::init(&make_context), py::kw_only(), py::arg("device") = py::none(), py::arg("validation") = py::none(),
           py::arg("emulate") = py::none(), py::arg("pipeline_cache_dir") = py::none(), py::arg("checked") = py::none(),
           "Context(*, device=None, validation=None, emulate=None, pipeline_cache_dir=None, checked=None)\n\n"
           "Creates the instance and the device. Options left None come from the environment "
           "(VKROPE_DEVICE, VKROPE_VALIDATION, VKROPE_EMULATE, VKROPE_PIPELINE_CACHE_DIR, VKROPE_CHECKED), "
           "else their defaults.\n\n"
           "device: an index (int), a case-insensitive substring of the name (str) or a DeviceInfo; default "
           "the best by rank (discrete > integrated > virtual > other > CPU). A selector that matches nothing "
           "raises InvalidArgumentError listing every device.\n"
           "validation: the Khronos validation layer on; its messages are kept (validation_messages()). "
           "UnsupportedError when the layer is not installed.\n"
           "emulate: 'baseline' (the Vulkan 1.1 minimum features and limits, so the portable kernels run), "
           "'discrete' (a discrete GPU's memory: staging copies), 'baseline,discrete' or 'none'.\n"
           "pipeline_cache_dir: persist the VkPipelineCache there.\n"
           "checked: ops that submit themselves also run the CPU reference and raise MismatchError.")
      .def_property_readonly("device", &Context::device, "Effective capabilities (after emulation): a DeviceInfo.")
      .def_property_readonly("hardware", &Context::hardware, "What the hardware reports, ignoring emulation.")
      .def_property_readonly("validation", [](const Context& c) { return c.options().validation; },
                             "Whether the validation layer is on.")
      .def("validation_messages", &Context::validation_messages,
           "Validation-layer messages (warnings and errors) since creation or the last clear; [] without "
           "validation.")
      .def("clear_validation_messages", &Context::clear_validation_messages, "Forgets the messages seen so far.")
      .def("warnings", &Context::warnings,
           "Problems vkrope worked around (e.g. a corrupt pipeline cache file, ignored and rebuilt).")
      .def("memory_stats", &Context::memory_stats, "Device memory held by this Context's buffers: a MemoryStats.")
      .def("reset_peak_memory", &Context::reset_peak_memory, "peak_bytes := live_bytes.")
      .def("pipeline_stats",
           [](const Context& c) {
             const PipelineStats s = c.pipeline_stats();
             py::dict d;
             d["created"] = s.created;
             d["reused"] = s.reused;
             return d;
           },
           "{'created': pipelines built, 'reused': lookups served from the table}.")
      .def("save_pipeline_cache", &Context::save_pipeline_cache, py::call_guard<py::gil_scoped_release>(),
           "Writes the pipeline cache now (also written when the Context goes away).")
      .def("wait_idle", &Context::wait_idle, py::call_guard<py::gil_scoped_release>(),
           "Waits until the device has finished all submitted work.")
      .def("__repr__", [](const Context& c) {
        return "<vkrope.Context " + c.device().name + (c.options().validation ? ", validation" : "") +
               (c.device().emulation != Emulation::None ? ", emulate " + to_string(c.device().emulation) : "") + ">";
      });

  m.def("default_context", &default_context,
        "The Context of calls made without context=: created on first use from the environment "
        "(VKROPE_DEVICE, VKROPE_VALIDATION, VKROPE_EMULATE, ...), dropped at interpreter exit.");
  m.def("set_default_context", &set_default_context, py::arg("context"),
        "Makes `context` the default for calls made without context= (None: the next call creates one "
        "from the environment again).");
  py::module_::import("atexit").attr("register")(py::cpp_function([] { set_default_context(std::nullopt); }));

  m.def("has_cooperative_matrix_kernel", &has_cooperative_matrix_kernel,
        "Whether this build holds the cooperative-matrix attention kernel (its glslang knew "
        "GL_KHR_cooperative_matrix).");
}

}  // namespace vkrope::python
