// libFuzzer target: reading a model's config.json (RopeConfig::from_hf_config, which reads
// rope_scaling / rope_parameters and every field's JSON type). Any JSON document must give
// a valid config or throw vkrope::Error; a valid config must give finite frequencies.
// Bytes that are not JSON are skipped (nlohmann's parser is not ours to fuzz).
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "vkrope/error.hpp"
#include "vkrope/rope.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const nlohmann::json doc = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return 0;
  try {
    const vkrope::RopeConfig config = vkrope::RopeConfig::from_hf_config(doc);
    for (std::int64_t position : {std::int64_t{0}, std::int64_t{4095}, std::int64_t{1} << 20}) {
      const vkrope::RopeFrequencies f = vkrope::rope_frequencies(config, position);
      if (!std::isfinite(f.attention_factor)) std::abort();
      for (double x : f.inv_freq)
        if (!std::isfinite(x)) std::abort();
    }
  } catch (const vkrope::Error&) {
    // Refused with a message naming the field.
  }
  return 0;
}
