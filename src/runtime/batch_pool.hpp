// The Context's idle BatchResources (batch_resources.hpp): a Batch takes a set when it is
// made and gives it back when it goes, so Batches made per call reuse the same objects.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace vkrope::detail {

struct BatchResources;
struct ContextState;

class BatchPool {
 public:
  BatchPool();
  ~BatchPool();
  BatchPool(const BatchPool&) = delete;
  BatchPool& operator=(const BatchPool&) = delete;

  // Idle resources, or new ones.
  std::unique_ptr<BatchResources> take(ContextState& context);
  // Back from a Batch whose work has run, reset; beyond kMaxIdle they are freed.
  void give_back(std::unique_ptr<BatchResources> resources) noexcept;
  void clear() noexcept;

  static constexpr std::size_t kMaxIdle = 8;

 private:
  std::mutex mutex_;
  std::vector<std::unique_ptr<BatchResources>> idle_;
};

}  // namespace vkrope::detail
