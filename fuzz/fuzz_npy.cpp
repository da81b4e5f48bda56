// libFuzzer target: the .npy reader on arbitrary bytes. Every input must either parse into
// an array consistent with its header or throw vkrope::Error; anything else (a crash, a
// sanitizer report, another exception) is a bug. The bytes go through a real file, since
// read_npy reads from a path (sizes come from fstat, data from read()).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "io/npy.hpp"
#include "scratch_file.hpp"
#include "vkrope/error.hpp"

namespace {

const std::string& scratch_path() {
  static const std::string path = vkrope::fuzz::scratch_path("npy", "npy");
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = scratch_path();
  vkrope::fuzz::write_scratch(path, data, size);
  try {
    const vkrope::io::NpyArray array = vkrope::io::read_npy(path);
    // A parsed array must hold exactly what its shape says.
    if (array.data.size() != static_cast<std::size_t>(array.numel()) * vkrope::io::size_of(array.type)) std::abort();
    if (array.type == vkrope::io::NpyType::f32 || array.type == vkrope::io::NpyType::f16)
      (void)vkrope::io::to_floats(array);
    else
      (void)vkrope::io::to_int64s(array);
  } catch (const vkrope::Error&) {
    // Refused with a message: the expected outcome for most inputs.
  }
  return 0;
}
