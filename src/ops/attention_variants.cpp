#include "ops/attention_variants.hpp"

#include <atomic>

namespace vkrope::detail {

namespace {

std::atomic<int> flash_forced{-1};
std::atomic<int> combine_forced{-1};

}  // namespace

const char* to_string(FlashVariant variant) noexcept { return kFlashVariants[static_cast<std::size_t>(variant)].name; }

const char* to_string(CombineVariant variant) noexcept {
  return kCombineVariants[static_cast<std::size_t>(variant)].name;
}

void force_flash_variant(std::optional<FlashVariant> variant) { flash_forced = variant ? static_cast<int>(*variant) : -1; }

void force_combine_variant(std::optional<CombineVariant> variant) {
  combine_forced = variant ? static_cast<int>(*variant) : -1;
}

std::optional<FlashVariant> forced_flash_variant() noexcept {
  const int forced = flash_forced.load();
  return forced < 0 ? std::nullopt : std::optional(static_cast<FlashVariant>(forced));
}

CombineVariant combine_variant(const DeviceInfo& info, std::uint32_t partials) {
  const bool parallel_fits = partials <= kMaxParallelCombinePartials;
  const int forced = combine_forced.load();
  if (forced >= 0) {
    const auto variant = static_cast<CombineVariant>(forced);
    if (variant == CombineVariant::Serial || parallel_fits) return variant;
  }
  return info.type != DeviceType::Cpu && parallel_fits ? CombineVariant::Parallel : CombineVariant::Serial;
}

}  // namespace vkrope::detail
