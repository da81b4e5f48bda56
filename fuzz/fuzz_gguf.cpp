// libFuzzer target: the GGUF reader on arbitrary bytes, both ways in. In memory
// (GgufFile::parse), every input must parse into metadata consistent with the file or throw
// vkrope::Error; whatever parses is then read back the ways callers read it (typed keys,
// integer arrays, f32/f16 tensors). Through a real file, read_gguf_model must return a
// validated RopeConfig or throw vkrope::Error. Anything else (a crash, a sanitizer report,
// another exception) is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>

#include "io/gguf_reader.hpp"
#include "scratch_file.hpp"
#include "vkrope/error.hpp"
#include "vkrope/gguf.hpp"

namespace {

const std::string& scratch_path() {
  static const std::string path = vkrope::fuzz::scratch_path("gguf", "gguf");
  return path;
}

void read_back(const vkrope::io::GgufFile& file) {
  // What parse_all promised: aligned data, tensors inside the file.
  if (file.data_offset() % file.alignment() != 0) std::abort();
  for (const auto& tensor : file.tensors()) {
    if (tensor.nbytes && file.data_offset() + tensor.offset + *tensor.nbytes > file.size()) std::abort();
    if (tensor.ggml_type == vkrope::io::kGgmlTypeF32 || tensor.ggml_type == vkrope::io::kGgmlTypeF16) {
      if (file.read_tensor_floats(tensor.name).size() != tensor.elements()) std::abort();
    }
  }
  for (const auto& [key, value] : file.metadata()) {
    try {
      (void)file.get_ints(key);
    } catch (const vkrope::Error&) {
      // Not an integer array (or too long): refused with a message, as expected.
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto bytes = std::as_bytes(std::span(data, size));
  try {
    read_back(vkrope::io::GgufFile::parse(bytes, "fuzz.gguf"));
  } catch (const vkrope::Error&) {
    // Refused with a message: the expected outcome for most inputs.
  }

  const std::string& path = scratch_path();
  vkrope::fuzz::write_scratch(path, data, size);
  try {
    const vkrope::GgufModel model = vkrope::read_gguf_model(path);
    model.rope.validate();  // read_gguf_model promises a valid config
  } catch (const vkrope::Error&) {
  }
  return 0;
}
