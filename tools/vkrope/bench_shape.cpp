// bench --shape SPEC: one custom attention shape, so a published configuration can be timed
// (syntax in bench.hpp).
#include <fmt/format.h>

#include <charconv>
#include <map>
#include <sstream>

#include "bench.hpp"

namespace vkrope::cli {

namespace {

[[noreturn]] void bad(const std::string& spec, const std::string& what) {
  throw Error(ErrorKind::InvalidArgument,
              fmt::format("--shape '{}': {}; expected e.g. b=1,sq=1,skv=8192,h=32,hkv=8,d=128,q=f32,kv=f16,causal=1",
                          spec, what));
}

std::int64_t positive(const std::string& spec, const std::string& key, const std::string& text) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 1)
    bad(spec, fmt::format("{}={} is not a whole number >= 1", key, text));
  return v;
}

// q: f32 or f16; kv: any storage format.
DType dtype(const std::string& spec, const std::string& key, const std::string& text, bool any_format) {
  DType d{};
  if (parse_dtype(text, d) && (any_format || d == DType::f32 || d == DType::f16)) return d;
  bad(spec, fmt::format("{}={} is not {}", key, text, any_format ? "f32, f16, bf16, q8_0 or q4_0" : "f32 or f16"));
}

}  // namespace

AttentionBenchShape parse_attention_shape(const std::string& spec) {
  std::map<std::string, std::string> fields;
  std::stringstream parts(spec);
  for (std::string part; std::getline(parts, part, ',');) {
    const auto eq = part.find('=');
    if (eq == std::string::npos) bad(spec, fmt::format("'{}' is not key=value", part));
    const std::string key = part.substr(0, eq);
    if (!fields.emplace(key, part.substr(eq + 1)).second) bad(spec, fmt::format("{} given twice", key));
  }
  AttentionBenchShape s;
  s.custom = true;
  for (const char* required : {"sq", "h"})
    if (!fields.count(required)) bad(spec, fmt::format("{} is missing", required));
  for (const auto& [key, value] : fields) {
    if (key == "b") s.batch = positive(spec, key, value);
    else if (key == "sq") s.sq = positive(spec, key, value);
    else if (key == "skv") s.skv = positive(spec, key, value);
    else if (key == "h") s.heads = positive(spec, key, value);
    else if (key == "hkv") s.kv_heads = positive(spec, key, value);
    else if (key == "d") s.head_dim = positive(spec, key, value);
    else if (key == "q") s.q_dtype = dtype(spec, key, value, false);
    else if (key == "kv") s.kv_dtype = dtype(spec, key, value, true);
    else if (key == "dtype") s.q_dtype = s.kv_dtype = dtype(spec, key, value, false);
    else if (key == "causal") {
      if (value != "0" && value != "1") bad(spec, "causal=" + value + " is not 0 or 1");
      s.causal = value == "1";
    } else {
      bad(spec, fmt::format("unknown key '{}'", key));
    }
  }
  if (!fields.count("skv")) s.skv = s.sq;
  if (!fields.count("hkv")) s.kv_heads = s.heads;
  if (fields.count("dtype") && (fields.count("q") || fields.count("kv"))) bad(spec, "dtype= and q=/kv= both given");
  // attention() checks these too, but only after the floors have been measured.
  if (s.heads % s.kv_heads) bad(spec, fmt::format("h={} is not a multiple of hkv={}", s.heads, s.kv_heads));
  if (s.head_dim % 8 || s.head_dim > 256) bad(spec, fmt::format("d={} is not a multiple of 8 up to 256", s.head_dim));
  if (s.head_dim % block_elements(s.kv_dtype))
    bad(spec, fmt::format("d={} does not hold whole {} blocks of 32", s.head_dim, to_string(s.kv_dtype)));
  if (s.causal && s.sq > s.skv) bad(spec, fmt::format("causal with sq={} > skv={}", s.sq, s.skv));
  return s;
}

}  // namespace vkrope::cli
