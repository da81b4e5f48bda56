// A small GGUF writer for tests and the fuzz seed corpus: metadata of every value type,
// arrays (and arrays of arrays), tensor infos, alignment padding and tensor data. It writes
// the format from its description, independently of src/io/gguf_reader (its own type codes),
// so a misreading on one side is not mirrored on the other. For hostile files, every header
// field and tensor-info field can be overridden, and raw values appended.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vkrope::test {

// GGUF value type codes (GGUF specification, "gguf_metadata_value_type").
namespace gguf_type {
inline constexpr std::uint32_t u8 = 0, i8 = 1, u16 = 2, i16 = 3, u32 = 4, i32 = 5, f32 = 6, boolean = 7, string = 8,
                               array = 9, u64 = 10, i64 = 11, f64 = 12;
}  // namespace gguf_type

// Little-endian encoding into a byte vector.
class GgufBytes {
 public:
  std::vector<std::byte> data;

  template <typename T>
  GgufBytes& put(T value) {
    static_assert(std::endian::native == std::endian::little);
    std::byte raw[sizeof(T)];
    std::memcpy(raw, &value, sizeof(T));
    data.insert(data.end(), raw, raw + sizeof(T));
    return *this;
  }
  GgufBytes& u8(std::uint8_t v) { return put(v); }
  GgufBytes& u32(std::uint32_t v) { return put(v); }
  GgufBytes& u64(std::uint64_t v) { return put(v); }
  GgufBytes& str(std::string_view s) {
    u64(s.size());
    for (const char c : s) data.push_back(static_cast<std::byte>(c));
    return *this;
  }
  GgufBytes& bytes(std::span<const std::byte> b) {
    data.insert(data.end(), b.begin(), b.end());
    return *this;
  }
  GgufBytes& zeros(std::size_t n) {
    data.insert(data.end(), n, std::byte{0});
    return *this;
  }
};

class GgufWriter {
 public:
  explicit GgufWriter(std::uint32_t version = 3) : version_(version) {}

  // ---- metadata ----
  GgufWriter& add_u8(std::string_view key, std::uint8_t v) { return scalar(key, gguf_type::u8, v); }
  GgufWriter& add_i8(std::string_view key, std::int8_t v) { return scalar(key, gguf_type::i8, v); }
  GgufWriter& add_u16(std::string_view key, std::uint16_t v) { return scalar(key, gguf_type::u16, v); }
  GgufWriter& add_i16(std::string_view key, std::int16_t v) { return scalar(key, gguf_type::i16, v); }
  GgufWriter& add_u32(std::string_view key, std::uint32_t v) { return scalar(key, gguf_type::u32, v); }
  GgufWriter& add_i32(std::string_view key, std::int32_t v) { return scalar(key, gguf_type::i32, v); }
  GgufWriter& add_u64(std::string_view key, std::uint64_t v) { return scalar(key, gguf_type::u64, v); }
  GgufWriter& add_i64(std::string_view key, std::int64_t v) { return scalar(key, gguf_type::i64, v); }
  GgufWriter& add_f32(std::string_view key, float v) { return scalar(key, gguf_type::f32, v); }
  GgufWriter& add_f64(std::string_view key, double v) { return scalar(key, gguf_type::f64, v); }
  GgufWriter& add_bool(std::string_view key, bool v) { return scalar(key, gguf_type::boolean, std::uint8_t{v}); }
  GgufWriter& add_string(std::string_view key, std::string_view v) {
    GgufBytes value;
    value.str(v);
    return add_raw(key, gguf_type::string, value.data);
  }
  // An array of fixed-size scalars of type `element` (T must match its size).
  template <typename T>
  GgufWriter& add_array(std::string_view key, std::uint32_t element, const std::vector<T>& values) {
    GgufBytes value;
    value.u32(element).u64(values.size());
    for (const T& v : values) value.put(v);
    return add_raw(key, gguf_type::array, value.data);
  }
  GgufWriter& add_string_array(std::string_view key, const std::vector<std::string>& values) {
    GgufBytes value;
    value.u32(gguf_type::string).u64(values.size());
    for (const std::string& v : values) value.str(v);
    return add_raw(key, gguf_type::array, value.data);
  }
  // An array of arrays of i32 (one level of nesting).
  GgufWriter& add_nested_i32_array(std::string_view key, const std::vector<std::vector<std::int32_t>>& values) {
    GgufBytes value;
    value.u32(gguf_type::array).u64(values.size());
    for (const auto& inner : values) {
      value.u32(gguf_type::i32).u64(inner.size());
      for (const std::int32_t v : inner) value.put(v);
    }
    return add_raw(key, gguf_type::array, value.data);
  }
  // general.alignment as a u32, and the padding the file then uses.
  GgufWriter& alignment(std::uint32_t bytes) {
    alignment_ = bytes;
    return add_u32("general.alignment", bytes);
  }
  // A value already encoded (after the type code), for hostile files.
  GgufWriter& add_raw(std::string_view key, std::uint32_t type, std::span<const std::byte> value) {
    kvs_.str(key).u32(type).bytes(value);
    ++kv_count_;
    return *this;
  }

  // ---- tensors ----
  struct Tensor {
    std::string name;
    std::vector<std::uint64_t> dims;
    std::uint32_t ggml_type = 0;
    std::vector<std::byte> data;
    std::optional<std::uint64_t> offset;  // set: written as is; else the next aligned offset
  };
  GgufWriter& add_tensor(Tensor tensor) {
    tensors_.push_back(std::move(tensor));
    return *this;
  }
  GgufWriter& add_f32_tensor(std::string name, const std::vector<float>& values) {
    return add_tensor({std::move(name), {values.size()}, 0, as_bytes_vector(values), std::nullopt});
  }
  GgufWriter& add_f16_tensor(std::string name, const std::vector<std::uint16_t>& bits) {
    return add_tensor({std::move(name), {bits.size()}, 1, as_bytes_vector(bits), std::nullopt});
  }

  // ---- header overrides (hostile files) ----
  std::array<char, 4> magic{'G', 'G', 'U', 'F'};
  std::optional<std::uint64_t> kv_count_override;
  std::optional<std::uint64_t> tensor_count_override;

  // The whole file. Tensor data follows the tensor infos, padded to the alignment, each
  // tensor at an aligned offset; there is no padding after the last tensor's data, so every
  // proper prefix of the file is a truncated file.
  std::vector<std::byte> bytes() const {
    GgufBytes out;
    for (const char c : magic) out.u8(static_cast<std::uint8_t>(c));
    out.u32(version_).u64(tensor_count_override.value_or(tensors_.size())).u64(kv_count_override.value_or(kv_count_));
    out.bytes(kvs_.data);
    std::vector<std::uint64_t> offsets;
    std::uint64_t next = 0;
    for (const Tensor& t : tensors_) {
      offsets.push_back(t.offset.value_or(next));
      next = align(next + t.data.size());
      out.str(t.name).u32(static_cast<std::uint32_t>(t.dims.size()));
      for (const std::uint64_t d : t.dims) out.u64(d);
      out.u32(t.ggml_type).u64(offsets.back());
    }
    if (tensors_.empty()) return out.data;
    out.zeros(static_cast<std::size_t>(align(out.data.size()) - out.data.size()));
    const std::size_t data_start = out.data.size();
    for (std::size_t i = 0; i < tensors_.size(); ++i) {
      if (tensors_[i].offset) continue;  // an overridden offset points wherever the test wants
      const std::size_t at = data_start + static_cast<std::size_t>(offsets[i]);
      if (out.data.size() < at) out.zeros(at - out.data.size());
      out.bytes(tensors_[i].data);
    }
    return out.data;
  }

  void write(const std::filesystem::path& path) const {
    const std::vector<std::byte> b = bytes();
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  }

 private:
  template <typename T>
  GgufWriter& scalar(std::string_view key, std::uint32_t type, T v) {
    GgufBytes value;
    value.put(v);
    return add_raw(key, type, value.data);
  }
  template <typename T>
  static std::vector<std::byte> as_bytes_vector(const std::vector<T>& values) {
    const auto b = std::as_bytes(std::span(values));
    return {b.begin(), b.end()};
  }
  std::uint64_t align(std::uint64_t n) const { return (n + alignment_ - 1) / alignment_ * alignment_; }

  std::uint32_t version_;
  std::uint32_t alignment_ = 32;
  GgufBytes kvs_;
  std::uint64_t kv_count_ = 0;
  std::vector<Tensor> tensors_;
};

}  // namespace vkrope::test
