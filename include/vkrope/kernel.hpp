// Your own compute shader on vkrope tensors, recorded into vkrope batches with the same
// barriers and timestamps as vkrope's kernels: for renderer-style programs that draw with
// vkrope's data (the samples' compass and heatmaps), or an op vkrope lacks.
//
// The shader's interface: entry point "main"; storage buffers at set 0, bindings
// 0..buffer_count-1, bound to the tensors passed to dispatch() in order. Each binding is the
// tensor's whole buffer from its first byte (a descriptor offset would have to meet
// minStorageBufferOffsetAlignment): for a view, pass tensor.offset() (in elements) to the
// shader, e.g. in the push constants. A tensor's dtype only sets its element size, so a
// kernel may treat an f32 tensor's words as packed RGBA8. At most 128 bytes of push
// constants; specialization constant i = constants[i].
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "vkrope/batch.hpp"
#include "vkrope/tensor.hpp"
#include "vkrope/visibility.hpp"

VKROPE_PUBLIC_BEGIN

namespace vkrope {

class Kernel {
 public:
  struct Arg {
    Tensor tensor;
    bool writes = false;  // the kernel writes it (orders later readers after this dispatch)
  };

  // Throws InvalidArgument when the words are not SPIR-V (fewer than the 5 header words,
  // wrong magic number), the buffer count is not 1..16, or the push constants exceed 128
  // bytes. The pipeline is built on first dispatch (a shader the driver rejects then
  // throws Internal); `name` labels it in profiles and errors.
  Kernel(const Context& context, std::string name, std::vector<std::uint32_t> spirv, std::uint32_t buffer_count,
         std::uint32_t push_constant_bytes = 0, std::vector<std::uint32_t> constants = {});

  // Records `groups` workgroups. Throws InvalidArgument (nothing recorded) when args do not
  // number buffer_count, a tensor belongs to another Context, push is not exactly
  // push_constant_bytes, or a group count is 0 or past maxComputeWorkGroupCount.
  void dispatch(Batch& batch, std::span<const Arg> args, std::span<const std::byte> push,
                std::array<std::uint32_t, 3> groups) const;

  const std::string& name() const noexcept { return name_; }

 private:
  Context context_;
  std::string name_;
  std::vector<std::uint32_t> spirv_;
  std::uint32_t buffer_count_;
  std::uint32_t push_constant_bytes_;
  std::vector<std::uint32_t> constants_;
};

}  // namespace vkrope

VKROPE_PUBLIC_END
