// What the C API's opaque handles hold, and the checks every entry point makes on its
// arguments before the C++ API sees them.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include "vkrope/attention.hpp"
#include "vkrope/batch.hpp"
#include "vkrope/context.hpp"
#include "vkrope/error.hpp"
#include "vkrope/kv_cache.hpp"
#include "vkrope/rope.hpp"
#include "vkrope/tensor.hpp"
#include "vkrope/vkrope.h"

// The handles are the C++ objects themselves (cheap handles to shared state), so a C handle
// keeps alive what its C++ object keeps alive and no more.
struct vkrope_context {
  vkrope::Context context;
};
struct vkrope_tensor {
  vkrope::Tensor tensor;
};
struct vkrope_batch {
  vkrope::Batch batch;
  vkrope::Submission submission;  // of the last submit_async
};
struct vkrope_rope_config {
  vkrope::RopeConfig config;
};
struct vkrope_kv_cache {
  vkrope::KvCache cache;
};

namespace vkrope::capi {

[[noreturn]] inline void invalid(const std::string& message) { throw Error(ErrorKind::InvalidArgument, message); }

// A required pointer: NULL is InvalidArgument naming the parameter.
template <class T>
T& need(T* pointer, const char* name) {
  if (!pointer) invalid(std::string(name) + " is NULL");
  return *pointer;
}

// An output handle: checked, then set to NULL so a failure leaves no stale value.
template <class T>
T*& out_handle(T** out) {
  if (!out) invalid("out is NULL");
  *out = nullptr;
  return *out;
}

// The ABI rule of vkrope.h: read an input struct the caller's header may know as older
// (smaller) or newer (larger). Fields past the caller's struct_size keep `init`'s defaults;
// bytes past what this library knows must be zero. Every struct is at its first version, so
// the smallest accepted size is sizeof(T); a later version keeps that as its minimum.
template <class T>
T read_struct(const T* in, const char* name, void (*init)(T*)) {
  T value;
  init(&value);
  if (!in) return value;  // callers that require the struct check for NULL first
  const std::size_t size = in->struct_size;
  if (size < sizeof(T))
    invalid(std::string(name) + "->struct_size is " + std::to_string(size) + "; expected at least " +
            std::to_string(sizeof(T)) + " (set it to sizeof, or call the _init function)");
  const auto* bytes = reinterpret_cast<const unsigned char*>(in);
  if (std::any_of(bytes + sizeof(T), bytes + size, [](unsigned char b) { return b != 0; }))
    throw Error(ErrorKind::Unsupported, std::string(name) + " sets fields past byte " + std::to_string(sizeof(T)) +
                                            ", which this library (a version older than the caller's header) "
                                            "does not know");
  std::memcpy(&value, in, sizeof(T));
  value.struct_size = static_cast<std::uint32_t>(sizeof(T));
  return value;
}

// The other direction: an output struct is written up to its struct_size.
template <class T>
void write_struct(T* out, const T& value, const char* name) {
  need(out, name);
  const std::size_t size = out->struct_size;
  if (size < sizeof(T))
    invalid(std::string(name) + "->struct_size is " + std::to_string(size) + "; expected at least " +
            std::to_string(sizeof(T)) + " (set it to sizeof, or call the _init function)");
  std::memcpy(out, &value, sizeof(T));
  out->struct_size = static_cast<std::uint32_t>(size);
}

// A C array argument as a vector: NULL is allowed only with count 0.
template <class T>
std::vector<T> array(const T* values, std::size_t count, const char* name) {
  if (!values && count > 0) invalid(std::string(name) + " is NULL but its count is " + std::to_string(count));
  return values ? std::vector<T>(values, values + count) : std::vector<T>{};
}

// An enum value from C, which may hold anything: checked against its range.
template <class E>
E enum_value(int value, int last, const char* name) {
  if (value < 0 || value > last)
    invalid(std::string(name) + " is " + std::to_string(value) + "; expected 0.." + std::to_string(last));
  return static_cast<E>(value);
}

DType to_dtype(vkrope_dtype dtype, const char* name);
vkrope_dtype from_dtype(DType dtype) noexcept;
// vkrope_attention_config (nullable: defaults) as the C++ struct.
AttentionConfig to_attention_config(const vkrope_attention_config* config);
// Explicit positions, or offset + index when `values` is NULL.
RopePositions to_positions(const std::int64_t* values, std::size_t count, std::int64_t offset);

}  // namespace vkrope::capi
