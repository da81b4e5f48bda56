// One row of an op's table of kernel variants (attention_variants.hpp, rope_variants.hpp).
#pragma once

namespace vkrope::detail {

struct VariantInfo {
  const char* name;
  const char* shader;
  const char* needs;       // from the device and the call
  const char* default_on;  // the calls a device gives it when nothing is forced
};

}  // namespace vkrope::detail
