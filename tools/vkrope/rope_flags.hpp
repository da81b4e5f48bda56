// The RoPE flags shared by `vkrope rope` and `vkrope attention --rope`: one parser, so both
// commands accept the same spellings and build the same RopeConfig from them.
//   [--layout neox|interleaved] [--rotary-dim R] [--theta T] [--scaling S]
//   [--max-position-embeddings N] [--hf-config config.json [--vision-tower] | --gguf FILE]
//   [--mrope-section T,H,W [--mrope-interleaved]] [--vision qwen2vl|pixtral]
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vkrope/rope.hpp"

namespace vkrope::cli {

struct RopeFlags {
  std::string layout, scaling, hf_config, vision, gguf;
  std::optional<std::int64_t> rotary_dim, max_position_embeddings;
  std::optional<double> theta;
  std::vector<std::int64_t> mrope_section;
  bool mrope_interleaved = false, vision_tower = false;
};

// Registers the flags on `sub`, storing into `flags` (which must outlive parsing). Returns
// the options, so a command can make them depend on another flag (attention: --rope).
std::vector<CLI::Option*> add_rope_flags(CLI::App& sub, RopeFlags& flags);

// The RopeConfig for tensors whose last dimension is head_dim: --hf-config or --gguf first
// (its head_dim must agree), the other flags on top, then validated. Throws Io for an
// unreadable file and InvalidArgument for a bad value, naming the flag.
RopeConfig make_rope_config(const RopeFlags& flags, std::int64_t head_dim);

}  // namespace vkrope::cli
