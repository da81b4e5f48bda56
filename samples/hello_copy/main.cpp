// hello_copy: the smallest vkrope program. Create a Context on the best device, put
// numbers in a Tensor, run a kernel, read the result back and check it.
#include <cstdio>
#include <vector>

#include "vkrope/context.hpp"
#include "vkrope/roofline.hpp"
#include "vkrope/tensor.hpp"

int main() {
  try {
    // ---- A context: the device (VKROPE_DEVICE chooses), its queue and pipelines ----------
    const vkrope::Context context = vkrope::Context::create();
    std::printf("device: %s\n", context.device().name.c_str());

    // ---- Tensors: device buffers with a dtype and shape -------------------------------
    std::vector<float> values(1000);
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = 0.5f * static_cast<float>(i);
    const auto src = vkrope::Tensor::from_floats(context, vkrope::DType::f32, {10, 100}, values);
    const auto dst = vkrope::Tensor::empty(context, vkrope::DType::f32, {10, 100});

    // ---- Run a kernel and read back ------------------------------------------------------
    vkrope::copy(src, dst);
    const std::vector<float> back = dst.download();
    const bool ok = back == values;
    std::printf("copy of %zu floats: %s\n", values.size(), ok ? "ok" : "WRONG");
    return ok ? 0 : 1;
  } catch (const vkrope::Error& e) {
    std::fprintf(stderr, "hello_copy: %s\n", e.what());
    return 1;
  }
}
