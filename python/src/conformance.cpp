// vkrope.conformance: the case matrix of `vkrope conformance`, run from Python, the report
// as a dict.
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include <random>
#include <string>

#include "bindings.hpp"
#include "conformance/report.hpp"
#include "vkrope/version.hpp"

namespace vkrope::python {
namespace {

py::object run(const py::object& context, bool quick, const std::vector<std::string>& cases,
               std::optional<std::uint32_t> seed, double tolerance_scale, const py::object& progress) {
  const std::vector<const conformance::Case*> selected = conformance::select_cases(quick, cases);
  if (!(tolerance_scale > 0.0)) throw py::value_error("tolerance_scale: expected a number > 0");
  const Context ctx = resolve_context(context);
  conformance::RunOptions options;
  options.seed = seed ? *seed : std::random_device{}();
  options.tolerance_scale = tolerance_scale;
  if (!progress.is_none()) {
    // Called on this thread between cases, with the GIL released around them: take it back.
    // A handle, not an object: copies of the function (made without the GIL) must not
    // touch the reference count; `progress` outlives the run.
    options.progress = [callback = py::handle(progress)](std::size_t index, std::size_t count, const std::string& id) {
      py::gil_scoped_acquire acquire;
      callback(index, count, id);
    };
  }
  nlohmann::json device;
  {
    py::gil_scoped_release release;
    device = conformance::run_on_device(ctx, selected, options);
  }
  const nlohmann::json report = {{"vkrope_version", version()}, {"git_revision", git_revision()},
                                 {"seed", options.seed},        {"quick", quick},
                                 {"tolerance_scale", tolerance_scale}, {"devices", nlohmann::json::array({device})}};
  return from_json_text(report.dump());
}

}  // namespace

void init_conformance(py::module_& m) {
  py::module_ sub = m.def_submodule("conformance", "The conformance suite: RoPE and attention against the CPU reference.");
  sub.def("run", &run, py::kw_only(), py::arg("context") = py::none(), py::arg("quick") = false,
          py::arg("cases") = std::vector<std::string>{}, py::arg("seed") = py::none(), py::arg("tolerance_scale") = 1.0,
          py::arg("progress") = py::none(),
          "run(*, context=None, quick=False, cases=(), seed=None, tolerance_scale=1.0, progress=None) -> dict\n\n"
          "Runs the conformance cases on the context's device (default: vkrope.default_context()) and returns "
          "the report `vkrope conformance --json` writes: {'vkrope_version', 'git_revision', 'seed', 'quick', "
          "'tolerance_scale', 'devices': [{'name', ..., 'summary': {'cases', 'passed', 'failed', ...}, "
          "'cases': [{'id', 'passed', 'rel_err', ...}]}]}.\n\n"
          "quick: the --quick subset. cases: ids, or families such as 'rope' or 'attention/decode'. seed: "
          "replays a run (random when None). progress: called as progress(index, count, case_id) before each "
          "case, and as progress(count, count, '') at the end. A case that fails is reported, not raised; a device failure raises (DeviceLostError, ...).");
  sub.def(
      "cases",
      [](bool quick) {
        std::vector<std::string> ids;
        for (const auto* c : conformance::select_cases(quick, {})) ids.push_back(c->id);
        return ids;
      },
      py::arg("quick") = false, "The ids of every case (or of the quick subset), in run order.");
}

}  // namespace vkrope::python
