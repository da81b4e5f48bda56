#include "ops/rope_variants.hpp"

#include <atomic>

namespace vkrope::detail {

namespace {

std::atomic<int> rope_forced{-1};

// The heads kernel's needs (kRopeVariants).
bool heads_fit(const DeviceInfo& info, const RopeRequest& r) {
  return (r.f32 || r.packed_f16) && r.vec4_aligned && r.half_rot % 4 == 0 && r.head_dim % 4 == 0 &&
         r.heads <= static_cast<std::int64_t>(info.max_workgroup_count[1]);
}

}  // namespace

const char* to_string(RopeVariant variant) noexcept { return kRopeVariants[static_cast<std::size_t>(variant)].name; }

RopeVariant rope_variant(const DeviceInfo& info, const RopeRequest& request) {
  const int forced = rope_forced.load();
  if (forced >= 0) {
    const auto variant = static_cast<RopeVariant>(forced);
    if (variant == RopeVariant::Tokens || heads_fit(info, request)) return variant;
  }
  return info.type != DeviceType::Cpu && heads_fit(info, request) ? RopeVariant::Heads : RopeVariant::Tokens;
}

void force_rope_variant(std::optional<RopeVariant> variant) { rope_forced = variant ? static_cast<int>(*variant) : -1; }

}  // namespace vkrope::detail
