// IEEE binary16 conversion, checked exhaustively and against the compiler's _Float16
// (an independent implementation) where the compiler has one.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <random>

#include "support/device_matrix.hpp"
#include "vkrope/dtype.hpp"

namespace vkrope {
namespace {

TEST(Half, EveryHalfRoundTripsThroughFloat) {
  for (std::uint32_t bits = 0; bits < 0x10000; ++bits) {
    const auto h = static_cast<std::uint16_t>(bits);
    const float f = half_to_float(h);
    const bool is_nan = (h & 0x7c00u) == 0x7c00u && (h & 0x3ffu);
    if (is_nan) {
      EXPECT_TRUE(std::isnan(f)) << std::hex << bits;
      EXPECT_TRUE(std::isnan(half_to_float(float_to_half(f)))) << std::hex << bits;
    } else {
      EXPECT_EQ(float_to_half(f), h) << std::hex << bits;
    }
  }
}

TEST(Half, KnownValues) {
  EXPECT_EQ(float_to_half(1.0f), 0x3c00);
  EXPECT_EQ(float_to_half(-2.0f), 0xc000);
  EXPECT_EQ(float_to_half(65504.0f), 0x7bff);          // largest finite
  EXPECT_EQ(float_to_half(65520.0f), 0x7c00);          // rounds up to inf
  EXPECT_EQ(float_to_half(65519.99f), 0x7bff);
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -24)), 0x0001);  // smallest subnormal
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -25)), 0x0000);  // tie to even: 0
  EXPECT_EQ(float_to_half(std::ldexp(1.5f, -25)), 0x0001);
  EXPECT_EQ(float_to_half(std::ldexp(3.0f, -25)), 0x0002);  // 1.5 units: tie to even 2
  EXPECT_EQ(float_to_half(1.0f + std::ldexp(1.0f, -11)), 0x3c00);  // tie to even
  EXPECT_EQ(float_to_half(1.0f + std::ldexp(3.0f, -11)), 0x3c02);  // tie to even, up
  EXPECT_EQ(float_to_half(-0.0f), 0x8000);
  EXPECT_EQ(float_to_half(INFINITY), 0x7c00);
  EXPECT_EQ(float_to_half(-INFINITY), 0xfc00);
  EXPECT_TRUE(std::isnan(half_to_float(float_to_half(NAN))));
}

// The compiler's binary16: __fp16 on 64-bit ARM (GCC 12's C++ there has no _Float16, though
// __FLT16_MAX__ is defined: ./run.sh cross-arm64), else _Float16 where the compiler has it.
#if defined(__aarch64__) && defined(__ARM_FP16_FORMAT_IEEE)
#define VKROPE_COMPILER_HALF __fp16
#elif defined(__FLT16_MAX__)
#define VKROPE_COMPILER_HALF _Float16
#endif

#if defined(VKROPE_COMPILER_HALF)
TEST(Half, MatchesCompilerFloat16OnRandomFloats) {
  const std::uint32_t seed = test::fresh_seed();
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::uint32_t> bits;
  for (int i = 0; i < 2'000'000; ++i) {
    std::uint32_t b = bits(rng);
    if (i % 2) b = (b & 0x8fffffffu) | 0x30000000u;  // half the draws near the half range
    const float f = std::bit_cast<float>(b);
    if (std::isnan(f)) continue;
    const auto expected = std::bit_cast<std::uint16_t>(static_cast<VKROPE_COMPILER_HALF>(f));
    ASSERT_EQ(float_to_half(f), expected) << "float bits 0x" << std::hex << b << " seed " << std::dec << seed;
  }
}
#endif

}  // namespace
}  // namespace vkrope
