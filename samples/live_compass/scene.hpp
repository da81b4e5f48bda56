// The vkrope side of a frame: a Context adopted over the application's device, the tensors
// the graphics pass later reads, and what each frame records into the application's own
// command buffer (RoPE of the toy query and the newest key, attention of the rotated
// queries over a ring of recent keys). Also the CPU reference the drawn weights are
// checked against.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "gpu.hpp"
#include "vkrope/attention.hpp"
#include "vkrope/vulkan_interop.hpp"

namespace live_compass {

// Sizes shared with the shaders (push constants carry them too).
inline constexpr std::int64_t kHeadDim = 32;   // 16 frequency pairs: 16 needles per row
inline constexpr std::int64_t kHeads = 4;      // query heads (number keys 1-4 pick one)
inline constexpr std::int64_t kRing = 32;      // keys kept: slot = position % kRing
inline constexpr std::int64_t kHistory = 24;   // frames of weights kept for the heatmap
inline constexpr std::int64_t kFirstPosition = kRing - 1;  // the ring is full from frame 0

// What the keyboard changes; the rest of a frame follows from its position.
struct Settings {
  double theta = 10000.0;
  int scaling = 0;  // index into scaling_names()
  bool alibi = false;
  int head = 0;
  bool operator==(const Settings&) const = default;
};
const char* scaling_name(int scaling);
int scaling_count();

class Scene {
 public:
  explicit Scene(const Gpu& gpu);

  // Records this frame's vkrope work into `cmd` (recording, outside a render pass) through
  // a Batch that `keep` holds until the command buffer has executed. The application
  // orders it against its own work with barriers around this call (see frames.cpp).
  void record(VkCommandBuffer cmd, std::int64_t position, const Settings& settings, std::optional<vkrope::Batch>& keep);

  // The buffers the graphics pass binds: rotated queries [H][D], the ring of rotated keys
  // [R][D] and the weights history [kHistory][H][R] (row = position % kHistory).
  struct Binding {
    VkBuffer buffer;
    VkDeviceSize offset, range;
  };
  Binding queries() const { return bind(q_rot_); }
  Binding keys() const { return bind(ring_); }
  Binding weights() const { return bind(weights_); }

  // Max abs difference between the weights the GPU wrote for `position` (its history row;
  // the device must be idle) and the CPU reference for the same frame.
  double check(std::int64_t position, const Settings& settings) const;

  const vkrope::Context& context() const { return context_; }

 private:
  vkrope::RopeConfig rope_config(const Settings& settings) const;
  Binding bind(const vkrope::Tensor& t) const;
  std::vector<std::int64_t> slot_positions(std::int64_t position) const;

  vkrope::Context context_;
  std::vector<std::vector<float>> tokens_;  // the toy vocabulary: a pattern of 4 tokens
  vkrope::Tensor q_;        // [phase][H][D] unrotated queries of each pattern phase
  vkrope::Tensor q_rot_;    // [H][D] this frame's rotated queries (the needles)
  vkrope::Tensor keys_;     // [R][D] unrotated keys, per slot
  vkrope::Tensor ring_;     // [R][D] rotated keys, slot = position % R
  vkrope::Tensor values_;   // [R][D] the identity
  vkrope::Tensor weights_;  // [kHistory][H][R] attention weights, row = position % kHistory
  std::optional<Settings> ring_settings_;   // what the ring's keys were rotated with
  std::int64_t ring_position_ = -1;         // the newest key in the ring
};

}  // namespace live_compass
