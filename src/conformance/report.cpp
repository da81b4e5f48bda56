#include "conformance/report.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "vkrope/error.hpp"

namespace vkrope::conformance {

using nlohmann::json;

std::vector<const Case*> select_cases(bool quick, const std::vector<std::string>& selectors) {
  std::vector<const Case*> chosen;
  std::vector<bool> used(selectors.size(), false);
  for (const Case& c : all_cases()) {
    bool take = selectors.empty() ? (!quick || c.quick) : false;
    for (std::size_t i = 0; i < selectors.size(); ++i) {
      const std::string& s = selectors[i];
      if (c.id == s || (c.id.size() > s.size() && c.id.compare(0, s.size(), s) == 0 &&
                        (s.back() == '/' || c.id[s.size()] == '/'))) {
        take = !quick || c.quick;
        used[i] = true;
      }
    }
    if (take) chosen.push_back(&c);
  }
  for (std::size_t i = 0; i < selectors.size(); ++i)
    if (!used[i])
      throw Error(ErrorKind::InvalidArgument, "--case '" + selectors[i] +
                                                  "' matches no case id; expected an id or a prefix such as "
                                                  "'attention/decode' (list them with --list)");
  return chosen;
}

json run_on_device(const Context& context, const std::vector<const Case*>& cases, const RunOptions& options) {
  const DeviceInfo& info = context.device();
  json report = {{"name", info.name},
                 {"vendor_id", info.vendor_id},
                 {"driver_name", info.driver_name},
                 {"driver_info", info.driver_info},
                 {"api_version", info.api_version_string()},
                 {"emulation", to_string(info.emulation)}};
  json results = json::array();
  int passed = 0;
  double worst = 0.0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Case& c = *cases[i];
    if (options.progress) options.progress(i, cases.size(), c.id);
    const std::uint32_t seed = case_seed(options.seed, c.id);
    std::mt19937 rng(seed);
    CaseOutcome o;
    const std::size_t messages_before = context.validation_messages().size();
    try {
      o = c.run(context, rng, options.tolerance_scale);
    } catch (const Error& e) {
      // The device or the runtime failed (not the kernel's numbers): the run stops here, naming
      // the case; after a lost device no later case could run anyway.
      if (e.kind() == ErrorKind::DeviceLost || e.kind() == ErrorKind::OutOfMemory || e.kind() == ErrorKind::Internal)
        throw Error(e.kind(), "case " + c.id + ": " + e.what(), e.vk_result());
      o.passed = false;
      o.rel_err = o.max_abs_err = std::numeric_limits<double>::infinity();
      o.detail = std::string("error: ") + e.what();
    } catch (const std::exception& e) {
      o.passed = false;
      o.rel_err = o.max_abs_err = std::numeric_limits<double>::infinity();
      o.detail = std::string("error: ") + e.what();
    }
    const auto messages = context.validation_messages();
    if (messages.size() > messages_before) {
      o.passed = false;
      o.detail = "validation layer: " + messages[messages_before] + (o.detail.empty() ? "" : "; " + o.detail);
    }
    json r = {{"id", c.id},         {"op", c.op},           {"storage", c.storage}, {"params", c.params},
              {"seed", seed},       {"passed", o.passed},   {"metric", o.metric},
              {"tolerance", o.tolerance}};
    // JSON has no infinity: a case that threw reports null errors.
    r["rel_err"] = std::isfinite(o.rel_err) ? json(o.rel_err) : json(nullptr);
    r["max_abs_err"] = std::isfinite(o.max_abs_err) ? json(o.max_abs_err) : json(nullptr);
    if (!o.passed) r["detail"] = o.detail;
    if (!o.kernels.empty()) r["kernels"] = o.kernels;
    results.push_back(std::move(r));
    passed += o.passed ? 1 : 0;
    if (std::isfinite(o.rel_err)) worst = std::max(worst, o.rel_err);
  }
  if (options.progress) options.progress(cases.size(), cases.size(), "");
  const int count = static_cast<int>(cases.size());
  report["summary"] = {{"cases", count}, {"passed", passed}, {"failed", count - passed}, {"worst_rel_err", worst}};
  report["cases"] = std::move(results);
  return report;
}

std::vector<FamilySummary> summarize(const json& device_report) {
  std::vector<FamilySummary> rows;
  for (const json& c : device_report.at("cases")) {
    const std::string op = c.at("op").get<std::string>() + " " + c.value("storage", "");
    auto it = std::find_if(rows.begin(), rows.end(), [&](const FamilySummary& f) { return f.op == op; });
    if (it == rows.end()) it = rows.insert(rows.end(), FamilySummary{op});
    ++it->cases;
    it->passed += c.at("passed").get<bool>() ? 1 : 0;
    const double rel = c.at("rel_err").is_null() ? INFINITY : c.at("rel_err").get<double>();
    if (it->worst_case.empty() || rel > it->worst_rel_err) {
      it->worst_rel_err = rel;
      it->worst_case = c.at("id").get<std::string>();
    }
  }
  return rows;
}

namespace {

std::string device_key(const json& d) {
  return d.at("name").get<std::string>() + " [" + d.at("emulation").get<std::string>() + "]";
}

DeviceComparison compare_devices(const json& a, const json& b) {
  DeviceComparison out;
  out.a_device = device_key(a);
  out.b_device = device_key(b);
  std::map<std::string, const json*> in_b;
  for (const json& c : b.at("cases")) in_b[c.at("id").get<std::string>()] = &c;
  double log_sum = 0.0;
  int logs = 0;
  for (const json& ca : a.at("cases")) {
    const std::string id = ca.at("id").get<std::string>();
    const auto found = in_b.find(id);
    if (found == in_b.end()) {
      out.only_in_a.push_back(id);
      continue;
    }
    const json& cb = *found->second;
    in_b.erase(found);
    const bool pa = ca.at("passed").get<bool>(), pb = cb.at("passed").get<bool>();
    if (pa && !pb) out.fail_only_in_b.push_back(id);
    if (!pa && pb) out.fail_only_in_a.push_back(id);
    if (ca.at("rel_err").is_null() || cb.at("rel_err").is_null()) continue;
    const double ea = ca.at("rel_err").get<double>(), eb = cb.at("rel_err").get<double>();
    if (ea > 0.0 && eb > 0.0) {
      out.ratios.push_back({id, ea, eb, eb / ea});
      log_sum += std::log(eb / ea);
      ++logs;
    }
  }
  for (const auto& [id, c] : in_b) out.only_in_b.push_back(id);
  std::sort(out.ratios.begin(), out.ratios.end(), [](const auto& x, const auto& y) {
    return std::abs(std::log(x.ratio)) > std::abs(std::log(y.ratio));
  });
  out.geomean_ratio = logs ? std::exp(log_sum / logs) : 1.0;
  return out;
}

}  // namespace

std::vector<DeviceComparison> compare_reports(const json& a, const json& b) {
  const json& da = a.at("devices");
  const json& db = b.at("devices");
  std::vector<bool> a_used(da.size(), false), b_used(db.size(), false);
  std::vector<DeviceComparison> out;
  for (std::size_t i = 0; i < da.size(); ++i)
    for (std::size_t j = 0; j < db.size(); ++j)
      if (!a_used[i] && !b_used[j] && device_key(da[i]) == device_key(db[j])) {
        out.push_back(compare_devices(da[i], db[j]));
        a_used[i] = b_used[j] = true;
      }
  std::size_t j = 0;
  for (std::size_t i = 0; i < da.size(); ++i) {
    if (a_used[i]) continue;
    while (j < db.size() && b_used[j]) ++j;
    if (j == db.size()) break;
    out.push_back(compare_devices(da[i], db[j]));
    b_used[j++] = true;
  }
  return out;
}

}  // namespace vkrope::conformance
