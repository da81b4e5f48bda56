#include "vkrope/kernel.hpp"

#include <string>

#include "runtime/batch_state.hpp"
#include "runtime/pipelines.hpp"

namespace vkrope {

namespace {

constexpr std::uint32_t kSpirvMagic = 0x07230203;
constexpr std::uint32_t kMaxBuffers = 16;  // what vkrope's own kernels stay under on every device tested
constexpr std::uint32_t kMaxPushBytes = 128;  // the Vulkan minimum of maxPushConstantsSize

[[noreturn]] void fail(const std::string& name, const std::string& what) {
  throw Error(ErrorKind::InvalidArgument, "kernel '" + name + "': " + what);
}

}  // namespace

Kernel::Kernel(const Context& context, std::string name, std::vector<std::uint32_t> spirv, std::uint32_t buffer_count,
               std::uint32_t push_constant_bytes, std::vector<std::uint32_t> constants)
    : context_(context),
      name_(std::move(name)),
      spirv_(std::move(spirv)),
      buffer_count_(buffer_count),
      push_constant_bytes_(push_constant_bytes),
      constants_(std::move(constants)) {
  if (spirv_.size() < 5 || spirv_[0] != kSpirvMagic)
    fail(name_, "not SPIR-V: expected at least 5 words starting with the magic number 0x07230203");
  if (buffer_count_ < 1 || buffer_count_ > kMaxBuffers)
    fail(name_, std::to_string(buffer_count_) + " storage buffers; expected 1 to " + std::to_string(kMaxBuffers));
  if (push_constant_bytes_ > kMaxPushBytes || push_constant_bytes_ % 4)
    fail(name_, std::to_string(push_constant_bytes_) + " bytes of push constants; expected a multiple of 4 up to " +
                    std::to_string(kMaxPushBytes));
}

void Kernel::dispatch(Batch& batch, std::span<const Arg> args, std::span<const std::byte> push,
                      std::array<std::uint32_t, 3> groups) const {
  detail::BatchState& state = batch.state();
  if (state.context.state() != context_.state()) fail(name_, "the batch belongs to another Context than the kernel");
  if (args.size() != buffer_count_)
    fail(name_, std::to_string(args.size()) + " tensors given; the kernel binds " + std::to_string(buffer_count_));
  if (push.size() != push_constant_bytes_)
    fail(name_, std::to_string(push.size()) + " bytes of push constants given; expected " +
                    std::to_string(push_constant_bytes_));
  const DeviceInfo& info = state.ctx.effective;
  for (std::size_t i = 0; i < 3; ++i)
    if (groups[i] == 0 || groups[i] > info.max_workgroup_count[i])
      fail(name_, "workgroup count " + std::to_string(groups[i]) + " in dimension " + std::to_string(i) +
                      "; expected 1 to " + std::to_string(info.max_workgroup_count[i]));
  std::vector<detail::Binding> bindings;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i].tensor.storage()->context != context_.state())
      fail(name_, "tensor " + std::to_string(i) + " belongs to another Context");
    bindings.push_back(args[i].writes ? detail::writes(args[i].tensor) : detail::reads(args[i].tensor));
  }
  // The pipeline table keys pipelines by name: caller kernels get a prefix no embedded
  // shader has, and the address of their words, so two kernels of one name stay apart.
  const std::string key = "kernel:" + name_ + "@" + std::to_string(reinterpret_cast<std::uintptr_t>(spirv_.data()));
  const detail::ComputePipeline& pipeline =
      state.ctx.pipelines->get({key, buffer_count_, push_constant_bytes_, constants_, spirv_});
  state.dispatch(pipeline, bindings, push.empty() ? nullptr : push.data(), groups, name_);
}

}  // namespace vkrope
