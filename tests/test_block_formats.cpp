// The host codecs of the storage formats (dtype.hpp): bf16 rounding, and q8_0 / q4_0 blocks
// as ggml's reference quantizers write them: against bytes ggml's own functions produced
// (support/ggml_quant_vectors.hpp, data), and cases worked out by hand from ggml's
// definitions. The device quantizer is checked against these codecs in test_kv_formats.cpp.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <tuple>
#include <vector>

#include "support/device_matrix.hpp"
#include "support/ggml_quant_vectors.hpp"
#include "vkrope/dtype.hpp"

namespace vkrope::test {
namespace {

std::vector<std::uint8_t> encode_block(DType dtype, const std::vector<float>& x) {
  std::vector<std::byte> out(storage_bytes(dtype, x.size()));
  encode(dtype, x, out);
  std::vector<std::uint8_t> bytes(out.size());
  std::memcpy(bytes.data(), out.data(), out.size());
  return bytes;
}

std::uint16_t scale_of(const std::vector<std::uint8_t>& block) {
  return static_cast<std::uint16_t>(block[0] | (block[1] << 8));
}

// Each of ggml's vectors: the same q8_0 and q4_0 bytes, and the same values decoded (NaN
// where ggml's is NaN: 0 * inf, whose bits are the CPU's).
TEST(BlockFormats, HostCodecsWriteAndReadGgmlsBytes) {
  for (const GgmlBlockVector& vector : kGgmlBlockVectors) {
    std::vector<float> x(32);
    for (std::size_t i = 0; i < 32; ++i) x[i] = std::bit_cast<float>(vector.input_bits[i]);
    const std::vector<std::uint8_t> q8 = encode_block(DType::q8_0, x), q4 = encode_block(DType::q4_0, x);
    EXPECT_EQ(q8, std::vector<std::uint8_t>(vector.q8_0.begin(), vector.q8_0.end())) << vector.name << " q8_0";
    EXPECT_EQ(q4, std::vector<std::uint8_t>(vector.q4_0.begin(), vector.q4_0.end())) << vector.name << " q4_0";
    for (auto [dtype, bytes, want] : {std::tuple{DType::q8_0, &q8, vector.q8_0_dequantized_bits.data()},
                                      std::tuple{DType::q4_0, &q4, vector.q4_0_dequantized_bits.data()}}) {
      std::vector<std::byte> raw(bytes->size());
      std::memcpy(raw.data(), bytes->data(), raw.size());
      std::vector<float> back(32);
      decode(dtype, raw, back);
      for (std::size_t i = 0; i < 32; ++i) {
        const float expected = std::bit_cast<float>(want[i]);
        if (std::isnan(expected)) {
          EXPECT_TRUE(std::isnan(back[i])) << vector.name << " " << to_string(dtype) << " value " << i;
        } else {
          EXPECT_EQ(std::bit_cast<std::uint32_t>(back[i]), want[i]) << vector.name << " " << to_string(dtype) << " value " << i;
        }
      }
    }
  }
}

// d = 1 (max|x| = 127): every value is its own q, halfway cases rounded away from zero
// (C's roundf), as ggml's quantize_row_q8_0_ref.
TEST(BlockFormats, Q8RoundsHalfwayAwayFromZero) {
  std::vector<float> x = {127.0f, 0.5f, -0.5f, 1.5f, -1.5f, 2.5f, -2.5f, 126.5f, -126.5f, 0.49999997f, 3.0f};
  x.resize(32, -1.0f);
  const std::vector<std::uint8_t> b = encode_block(DType::q8_0, x);
  ASSERT_EQ(b.size(), 34u);
  EXPECT_EQ(scale_of(b), 0x3c00);  // 1.0 in f16
  const std::int8_t want[] = {127, 1, -1, 2, -2, 3, -3, 127, -127, 0, 3, -1};
  for (std::size_t j = 0; j < std::size(want); ++j) EXPECT_EQ(static_cast<std::int8_t>(b[2 + j]), want[j]) << j;
}

// q4_0: the value of largest magnitude m sets d = m / -8 (so m itself stores 0, i.e. -8);
// the rest truncate after + 8.5 and clip at 15. Value j in the low nibble of byte j, value
// j + 16 in the high one.
TEST(BlockFormats, Q4TakesTheSignedMaximumAndPacksNibbles) {
  std::vector<float> x(32, 0.0f);
  x[0] = -8.0f;   // d = 1
  x[1] = -7.5f;   // 1
  x[2] = 7.5f;    // 16 -> 15
  x[3] = -0.5f;   // 8
  x[4] = 0.5f;    // 9
  x[16] = 6.5f;   // 15
  x[17] = -6.0f;  // 2
  const std::vector<std::uint8_t> b = encode_block(DType::q4_0, x);
  ASSERT_EQ(b.size(), 18u);
  EXPECT_EQ(scale_of(b), 0x3c00);
  EXPECT_EQ(b[2 + 0], 0x00 | (15 << 4));  // values 0 (q 0) and 16 (15)
  EXPECT_EQ(b[2 + 1], 0x01 | (2 << 4));   // values 1 and 17
  EXPECT_EQ(b[2 + 2], 15 | (8 << 4));     // value 2 (clipped), value 18 = 0 -> 8
  EXPECT_EQ(b[2 + 3], 8 | (8 << 4));
  EXPECT_EQ(b[2 + 4], 9 | (8 << 4));
  // A positive maximum gives a negative scale: m = 4 -> d = -0.5 (0xb800), m stores 0.
  std::vector<float> y(32, 1.0f);
  y[5] = 4.0f;
  const std::vector<std::uint8_t> c = encode_block(DType::q4_0, y);
  EXPECT_EQ(scale_of(c), 0xb800);
  EXPECT_EQ(c[2 + 5] & 0xf, 0);
  EXPECT_EQ(c[2 + 0] & 0xf, 6);  // 1 / -0.5 + 8.5 = 6.5 -> 6
  // Equal magnitudes: the first one wins (strict <), here -2.5 at 0 over +2.5 at 31.
  std::vector<float> z(32, 0.0f);
  z[0] = -2.5f;
  z[31] = 2.5f;
  EXPECT_EQ(scale_of(encode_block(DType::q4_0, z)), 0x3500);  // d = 0.3125 (the last: -0.3125)
}

// All zeros: d = 0 (-0 for q4_0: 0 / -8) and every q 0 (q4_0 stores 8 = 0 + 8), decoding to
// exact zeros.
TEST(BlockFormats, ZeroBlocksStayZero) {
  const std::vector<float> x(32, 0.0f);
  const std::vector<std::uint8_t> q8 = encode_block(DType::q8_0, x), q4 = encode_block(DType::q4_0, x);
  EXPECT_EQ(scale_of(q8), 0);
  for (std::size_t j = 2; j < 34; ++j) EXPECT_EQ(q8[j], 0);
  EXPECT_EQ(scale_of(q4), 0x8000);  // d = 0 / -8 = -0 (ggml stores the sign too)
  for (std::size_t j = 2; j < 18; ++j) EXPECT_EQ(q4[j], 0x88);
  std::vector<float> back(32, 1.0f);
  std::vector<std::byte> raw(34);
  std::memcpy(raw.data(), q8.data(), 34);
  decode(DType::q8_0, raw, back);
  for (float v : back) EXPECT_EQ(v, 0.0f);
}

// The scale is computed in float32 and rounded to f16 only when stored: a block whose d
// underflows f16 stores 0 but keeps its q values (ggml divides by the float32 d); one whose
// d passes 65504 stores inf.
TEST(BlockFormats, ScalesPastTheF16RangeAsGgml) {
  std::vector<float> tiny(32, 0.0f);
  tiny[0] = 127e-9f;  // d = 1e-9: below f16's smallest subnormal (6e-8)
  tiny[1] = -63e-9f;
  const std::vector<std::uint8_t> t = encode_block(DType::q8_0, tiny);
  EXPECT_EQ(scale_of(t), 0);
  EXPECT_EQ(static_cast<std::int8_t>(t[2]), 127);
  EXPECT_EQ(static_cast<std::int8_t>(t[3]), -63);
  std::vector<float> huge(32, 1.0f);
  huge[3] = 65504.0f * 200.0f;
  EXPECT_EQ(scale_of(encode_block(DType::q8_0, huge)), 0x7c00);
  std::vector<float> largest(32, 1.0f);
  largest[3] = 65504.0f * 127.0f;
  EXPECT_EQ(scale_of(encode_block(DType::q8_0, largest)), 0x7bff);
}

// Decoding is q * d in float32 with the stored f16 d: every q8_0 byte and q4_0 nibble.
TEST(BlockFormats, DecodeIsQTimesTheStoredScale) {
  std::vector<std::byte> q8(34), q4(18);
  const std::uint16_t d = 0x3555;  // 0.333251953125
  std::memcpy(q8.data(), &d, 2);
  std::memcpy(q4.data(), &d, 2);
  for (int j = 0; j < 32; ++j) q8[2 + static_cast<std::size_t>(j)] = static_cast<std::byte>(j * 8 - 128);
  for (int j = 0; j < 16; ++j) q4[2 + static_cast<std::size_t>(j)] = static_cast<std::byte>(j | ((15 - j) << 4));
  std::vector<float> out(32);
  const float scale = half_to_float(d);
  decode(DType::q8_0, q8, out);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(out[static_cast<std::size_t>(j)], static_cast<float>(j * 8 - 128) * scale);
  decode(DType::q4_0, q4, out);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(out[static_cast<std::size_t>(j)], static_cast<float>(j - 8) * scale);
    EXPECT_EQ(out[static_cast<std::size_t>(16 + j)], static_cast<float>(7 - j) * scale);
  }
}

// Random blocks: decode(encode(x)) is within half a step (d / 2) of x for q8_0, one step
// for q4_0 (truncation after + 8.5 is rounding, except the clip at 15), plus what storing d
// in f16 costs (|q| <= 127 or 8 times 2^-11 d). Magnitudes 1e-2 to 1e2 keep d a normal f16.
TEST(BlockFormats, RoundTripWithinHalfAStep) {
  std::mt19937 rng(fresh_seed());
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> x(32 * 64);
  for (std::size_t b = 0; b < 64; ++b)
    for (std::size_t j = 0; j < 32; ++j) x[b * 32 + j] = dist(rng) * std::pow(10.0f, static_cast<float>(b % 5) - 2.0f);
  for (DType dtype : {DType::q8_0, DType::q4_0}) {
    std::vector<std::byte> raw(storage_bytes(dtype, x.size()));
    encode(dtype, x, raw);
    std::vector<float> back(x.size());
    decode(dtype, raw, back);
    for (std::size_t b = 0; b < 64; ++b) {
      float amax = 0.0f;
      for (std::size_t j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[b * 32 + j]));
      const double step = amax / (dtype == DType::q8_0 ? 127.0 : 8.0);
      for (std::size_t j = 0; j < 32; ++j)
        EXPECT_LE(std::abs(back[b * 32 + j] - x[b * 32 + j]),
                  step * (dtype == DType::q8_0 ? 0.5 + 127.0 / 2048 : 1.0 + 8.0 / 2048) * 1.001)
            << to_string(dtype) << " block " << b;
    }
  }
}

// bf16: the top 16 bits rounded to nearest even; NaN made quiet, sign kept; overflow to inf.
TEST(BlockFormats, Bf16RoundsToNearestEven) {
  const auto bits = [](std::uint32_t f) { return float_to_bf16(std::bit_cast<float>(f)); };
  EXPECT_EQ(bits(0x3f800000u), 0x3f80);
  EXPECT_EQ(bits(0x3f808000u), 0x3f80);  // tie -> even
  EXPECT_EQ(bits(0x3f818000u), 0x3f82);  // tie -> even (up)
  EXPECT_EQ(bits(0x3f808001u), 0x3f81);  // past the tie
  EXPECT_EQ(bits(0x7f7fffffu), 0x7f80);  // FLT_MAX rounds to inf
  EXPECT_EQ(bits(0xff800000u), 0xff80);
  EXPECT_EQ(bits(0x7f800001u), 0x7fc0);  // signalling NaN made quiet
  EXPECT_EQ(bits(0xffc00001u), 0xffc0);
  EXPECT_EQ(bits(0x00000001u), 0x0000);  // subnormals round like the rest
  EXPECT_EQ(bits(0x007fffffu), 0x0080);
  EXPECT_EQ(bits(0x80000000u), 0x8000);
  for (const GgmlBf16Vector& vector : kGgmlBf16Vectors)  // ggml_fp32_to_bf16's own results
    EXPECT_EQ(bits(vector.input_bits), vector.bf16) << std::hex << vector.input_bits;
  for (std::uint32_t h = 0; h < 0x10000u; ++h) {  // every bf16 reads back and re-encodes to itself
    const float f = bf16_to_float(static_cast<std::uint16_t>(h));
    if (!std::isnan(f)) {
      EXPECT_EQ(float_to_bf16(f), h);
    }
  }
}

TEST(BlockFormats, SizesNamesAndErrors) {
  EXPECT_EQ(storage_bytes(DType::q8_0, 64), 68u);
  EXPECT_EQ(storage_bytes(DType::q4_0, 128), 72u);
  EXPECT_EQ(storage_bytes(DType::bf16, 10), 20u);
  EXPECT_EQ(bytes_per_element(DType::q8_0), 34.0 / 32.0);
  for (DType d : {DType::f32, DType::f16, DType::bf16, DType::q8_0, DType::q4_0}) {
    DType parsed{};
    ASSERT_TRUE(parse_dtype(to_string(d), parsed));
    EXPECT_EQ(parsed, d);
  }
  DType unused{};
  EXPECT_FALSE(parse_dtype("q5_0", unused));
  std::vector<std::byte> out(34);
  const std::vector<float> values(31, 1.0f);
  expect_invalid_argument([&] { encode(DType::q8_0, values, out); }, "multiple of 32");
}

}  // namespace
}  // namespace vkrope::test
