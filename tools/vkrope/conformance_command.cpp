// vkrope conformance: does this device and driver compute RoPE and attention correctly?
// Runs the case matrix (src/conformance) on the chosen devices against the CPU reference,
// prints a table per device and optionally writes the JSON report; --compare diffs two.
// Exit 0 when every case passed (compare: when no case passes on one side and fails on
// the other), 1 otherwise, 2 for bad input.
#include <fmt/format.h>
#include <unistd.h>  // isatty

#include <filesystem>
#include <random>

#include "commands.hpp"
#include "io/atomic_file.hpp"
#include "output_path.hpp"
#include "conformance/report.hpp"
#include "io/text_file.hpp"
#include "vkrope/version.hpp"

namespace vkrope::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct ConformanceOptions {
  std::string json_path;
  bool quick = false;
  bool list = false;
  bool validation = false;
  std::uint32_t seed = 0;
  bool seed_given = false;
  std::vector<std::string> cases;
  double tolerance_scale = 1.0;
  std::vector<std::string> compare;
};

json read_report(const std::string& path) {
  const std::string text = io::read_text_file(path, "--compare report");
  try {
    json report = json::parse(text);
    if (!report.contains("devices") || !report["devices"].is_array())
      throw Error(ErrorKind::InvalidArgument, "--compare " + path + ": no \"devices\" array; expected a report "
                                                                    "written by vkrope conformance --json");
    for (const json& d : report["devices"]) {
      if (!d.contains("cases") || !d.contains("name") || !d.contains("emulation"))
        throw Error(ErrorKind::InvalidArgument, "--compare " + path + ": a device lacks name, emulation or cases");
    }
    return report;
  } catch (const json::exception& e) {
    throw Error(ErrorKind::InvalidArgument, "--compare " + path + ": not a conformance report (" + e.what() + ")");
  }
}

}  // namespace

void print_conformance_progress(std::size_t done, std::size_t total, const std::string& id) {
  constexpr std::size_t width = 30;
  const std::size_t filled = total ? done * width / total : width;
  fmt::print(stderr, "\r  [{}{}] {:>4}/{} {:<60.60}", std::string(filled, '#'), std::string(width - filled, '.'), done,
             total, id);
  if (done == total) fmt::print(stderr, "\r{:<110}\r", "");
  std::fflush(stderr);
}

void print_conformance_table(const json& device, std::uint32_t seed, const std::string& selector) {
  fmt::print("{} [{}] ({}, {}, Vulkan {})\n", device["name"].get<std::string>(), device["emulation"].get<std::string>(),
             device["driver_name"].get<std::string>(), device["driver_info"].get<std::string>(),
             device["api_version"].get<std::string>());
  fmt::print("  {:<26} {:>6} {:>7} {:>14}  {}\n", "op / storage", "cases", "passed", "worst rel err", "worst case");
  for (const auto& row : conformance::summarize(device))
    fmt::print("  {:<26} {:>6} {:>7} {:>14.3g}  {}\n", row.op, row.cases, row.passed, row.worst_rel_err,
               row.worst_case);
  int shown = 0;
  for (const json& c : device["cases"]) {
    if (c["passed"].get<bool>()) continue;
    if (shown++ == 10) {
      fmt::print("  ... (every failure is in the JSON report)\n");
      break;
    }
    const std::string metric = c["metric"].get<std::string>();
    fmt::print("  FAILED {}: {}{}\n    replay: vkrope conformance --device {} --seed {} --case {}\n",
               c["id"].get<std::string>(), c.value("detail", ""),
               metric.empty() ? "" : fmt::format(" (tolerance {:.3g} on {})", c["tolerance"].get<double>(), metric),
               selector, seed, c["id"].get<std::string>());
  }
  const json& s = device["summary"];
  fmt::print("  {} of {} cases passed\n\n", s["passed"].get<int>(), s["cases"].get<int>());
}

namespace {

int run_compare(const std::vector<std::string>& paths) {
  const json a = read_report(paths[0]), b = read_report(paths[1]);
  bool differ = false;
  for (const auto& d : conformance::compare_reports(a, b)) {
    fmt::print("A: {}\nB: {}\n", d.a_device, d.b_device);
    const auto list = [](const char* what, const std::vector<std::string>& ids) {
      if (ids.empty()) return;
      fmt::print("  {} ({}):\n", what, ids.size());
      for (std::size_t i = 0; i < ids.size() && i < 20; ++i) fmt::print("    {}\n", ids[i]);
      if (ids.size() > 20) fmt::print("    ... {} more\n", ids.size() - 20);
    };
    list("fails in A only", d.fail_only_in_a);
    list("fails in B only", d.fail_only_in_b);
    list("in A only", d.only_in_a);
    list("in B only", d.only_in_b);
    differ = differ || !d.fail_only_in_a.empty() || !d.fail_only_in_b.empty();
    fmt::print("  relative error B / A over {} shared cases: geometric mean {:.3g}\n", d.ratios.size(),
               d.geomean_ratio);
    for (std::size_t i = 0; i < d.ratios.size() && i < 5; ++i)
      fmt::print("    {:<60} A {:.3g}  B {:.3g}  x{:.3g}\n", d.ratios[i].id, d.ratios[i].a_rel_err,
                 d.ratios[i].b_rel_err, d.ratios[i].ratio);
  }
  if (a["devices"].size() != b["devices"].size())
    fmt::print("A has {} devices, B {}; unpaired devices are not compared\n", a["devices"].size(), b["devices"].size());
  fmt::print("{}\n", differ ? "reports differ in pass/fail" : "no case passes in one report and fails in the other");
  return differ ? 1 : 0;
}

int run_conformance(const GlobalOptions& global, const ConformanceOptions& o) {
  if (!o.compare.empty()) return run_compare(o.compare);
  const auto cases = conformance::select_cases(o.quick, o.cases);
  if (o.list) {
    for (const auto* c : cases) fmt::print("{}{}\n", c->id, c->quick ? "  (quick)" : "");
    return 0;
  }
  if (!o.json_path.empty()) check_output_file("--json", o.json_path);
  if (!(o.tolerance_scale > 0.0)) throw Error(ErrorKind::InvalidArgument, fmt::format("--tolerance-scale {}: expected a number > 0", o.tolerance_scale));

  ContextOptions options = context_options(global);
  if (o.validation) options.validation = true;
  std::vector<std::size_t> devices;
  const std::vector<DeviceInfo> present = enumerate_devices();
  if (global.device == "all") {
    for (std::size_t i = 0; i < present.size(); ++i) devices.push_back(i);
  } else {
    devices.push_back(select_device(present, options.device));
  }

  conformance::RunOptions run;
  run.seed = o.seed_given ? o.seed : std::random_device{}();
  run.tolerance_scale = o.tolerance_scale;
  if (isatty(fileno(stderr))) run.progress = print_conformance_progress;
  json report = {{"vkrope_version", version()}, {"git_revision", git_revision()}, {"seed", run.seed},
                 {"quick", o.quick},            {"tolerance_scale", o.tolerance_scale},
                 {"devices", json::array()}};
  bool all_passed = true;
  for (std::size_t index : devices) {
    options.device = std::to_string(index);
    const Context context = Context::create(options);
    json device = conformance::run_on_device(context, cases, run);
    print_conformance_table(device, run.seed, std::to_string(index));
    all_passed = all_passed && device["summary"]["failed"].get<int>() == 0;
    report["devices"].push_back(std::move(device));
  }
  if (!o.json_path.empty()) {
    io::write_file_atomically(o.json_path, report.dump(2) + "\n");
    fmt::print("report: {}\n", o.json_path);
  }
  return all_passed ? 0 : 1;
}

}  // namespace

Run add_conformance_command(CLI::App& app, const GlobalOptions& global) {
  auto* sub = app.add_subcommand("conformance",
                                 "check RoPE and attention on a device against the CPU reference (--device all: every one)");
  auto o = std::make_shared<ConformanceOptions>();
  sub->add_option("--json", o->json_path, "write the report as JSON to this file");
  sub->add_flag("--quick", o->quick, "a subset of the cases (seconds per device)");
  sub->add_option("--seed", o->seed, "the run's seed (each case's inputs derive from it and the case id)")
      ->each([o](const std::string&) { o->seed_given = true; });
  sub->add_option("--case", o->cases, "run only this case id, or the cases under this prefix (repeatable)");
  sub->add_flag("--list", o->list, "list the case ids and exit");
  sub->add_flag("--validation", o->validation, "run under the Khronos validation layer; any message fails the case");
  sub->add_option("--tolerance-scale", o->tolerance_scale, "multiply every tolerance (testing the checker)");
  sub->add_option("--compare", o->compare, "A.json B.json: where two reports differ")->expected(2);
  return [&global, o] { return run_conformance(global, *o); };
}

}  // namespace vkrope::cli
