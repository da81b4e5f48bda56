// CliTest with random .npy inputs: the op commands' tests (attention, linear-attention,
// position-embedding) write random arrays and compare the CLI's output with a reference on
// the values as stored.
#pragma once

#include <random>

#include "io/npy.hpp"
#include "support/cli_fixture.hpp"

namespace vkrope::test {

class CliNpyTest : public CliTest {
 protected:
  // Random values in [-1, 1] written to `name` as `type`, returned as read back (f16 rounded).
  std::vector<double> write_random(const std::string& name, io::NpyType type, const std::vector<std::int64_t>& shape) {
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    std::size_t n = 1;
    for (std::int64_t d : shape) n *= static_cast<std::size_t>(d);
    std::vector<float> values(n);
    for (float& x : values) x = dist(rng_);
    io::write_npy_floats(path(name), type, shape, values);
    const std::vector<float> stored = io::to_floats(io::read_npy(path(name)));
    return {stored.begin(), stored.end()};
  }

  std::uint32_t seed_ = fresh_seed();  // printed by failing comparisons, to replay them
  std::mt19937 rng_{seed_};
};

}  // namespace vkrope::test
