// The C API's boundary: every vkrope_* entry point runs its body inside guard(), which turns
// any C++ exception into a vkrope_status and the thread's last-error message, so nothing
// thrown ever unwinds into C code (undefined behaviour there).
#pragma once

#include <string>

#include "vkrope/vkrope.h"

namespace vkrope::capi {

// The thread's last error := OK, "".
void record_success() noexcept;
// Called from inside a catch handler: classifies the exception in flight (vkrope::Error
// keeps its kind and VkResult; std::bad_alloc is out of memory; anything else internal) and
// records "function: message". Returns the status.
vkrope_status record_failure(const char* function) noexcept;

// A string the caller reads until its next vkrope call on this thread (validation messages,
// profile labels): kept in thread-local storage, which the next keep() replaces.
const char* keep(std::string text);

template <class Body>
vkrope_status guard(const char* function, Body&& body) noexcept {
  try {
    body();
  } catch (...) {
    return record_failure(function);
  }
  record_success();
  return VKROPE_OK;
}

}  // namespace vkrope::capi
