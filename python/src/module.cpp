// The extension module vkrope._vkrope; the package vkrope (python/vkrope/__init__.py)
// re-exports it.
#include "bindings.hpp"

#include "vkrope/version.hpp"

PYBIND11_MODULE(_vkrope, m) {
  namespace vp = vkrope::python;
  namespace py = pybind11;
  m.doc() =
      "vkrope: RoPE and attention on any Vulkan device (the compiled part of the vkrope package).\n\n"
      "Device work runs with the GIL released; numpy arrays in, numpy arrays out for one-shot calls.";
  m.attr("__version__") = std::string(vkrope::version());
  m.attr("git_revision") = std::string(vkrope::git_revision());
  // Classes and signatures name vkrope.X (the package re-exports everything), not
  // vkrope._vkrope.X: pybind11 takes a class's module from __name__ as it is defined.
  const py::object name = m.attr("__name__");
  m.attr("__name__") = "vkrope";
  vp::init_errors(m);
  vp::init_context(m);
  vp::init_tensor(m);
  vp::init_rope(m);
  vp::init_attention(m);
  vp::init_kv_cache(m);
  m.attr("__name__") = name;
  // After the rename back: def_submodule registers vkrope._vkrope.conformance in sys.modules,
  // which must not take the place of the package's vkrope.conformance.
  vp::init_conformance(m);
}
