// Status names, the per-thread last error, and version strings of the C API.
#include "capi/guard.hpp"

#include <new>
#include <stdexcept>
#include <utility>

#include "vkrope/error.hpp"
#include "vkrope/version.hpp"

namespace vkrope::capi {
namespace {

// Per thread, so that threads sharing a context each read their own failure.
struct LastError {
  vkrope_status status = VKROPE_OK;
  std::string message;
  std::int32_t vk_result = 0;
};
thread_local LastError last_error;
thread_local std::string kept;

vkrope_status to_status(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::InvalidArgument: return VKROPE_ERROR_INVALID_ARGUMENT;
    case ErrorKind::Unsupported: return VKROPE_ERROR_UNSUPPORTED;
    case ErrorKind::OutOfMemory: return VKROPE_ERROR_OUT_OF_MEMORY;
    case ErrorKind::DeviceLost: return VKROPE_ERROR_DEVICE_LOST;
    case ErrorKind::Mismatch: return VKROPE_ERROR_MISMATCH;
    case ErrorKind::Io: return VKROPE_ERROR_IO;
    case ErrorKind::Internal: return VKROPE_ERROR_INTERNAL;
  }
  return VKROPE_ERROR_INTERNAL;
}

vkrope_status record(vkrope_status status, const char* function, const char* what, std::int32_t vk_result) noexcept {
  last_error.status = status;
  last_error.vk_result = vk_result;
  try {
    last_error.message = std::string(function) + ": " + what;
  } catch (...) {
    // No memory for the message: keep the status, say so with what needs no allocation.
    last_error.message.clear();
  }
  return status;
}

}  // namespace

void record_success() noexcept {
  last_error.status = VKROPE_OK;
  last_error.vk_result = 0;
  last_error.message.clear();  // keeps its capacity: no allocation, no throw
}

vkrope_status record_failure(const char* function) noexcept {
  try {
    throw;
  } catch (const Error& e) {
    return record(to_status(e.kind()), function, e.what(), e.vk_result());
  } catch (const std::bad_alloc&) {
    return record(VKROPE_ERROR_OUT_OF_MEMORY, function, "host memory allocation failed", 0);
  } catch (const std::exception& e) {
    return record(VKROPE_ERROR_INTERNAL, function, e.what(), 0);
  } catch (...) {
    return record(VKROPE_ERROR_INTERNAL, function, "unknown exception", 0);
  }
}

const char* keep(std::string text) {
  kept = std::move(text);
  return kept.c_str();
}

}  // namespace vkrope::capi

using namespace vkrope::capi;

extern "C" {

const char* vkrope_status_name(vkrope_status status) {
  switch (status) {
    case VKROPE_OK: return "ok";
    case VKROPE_ERROR_INVALID_ARGUMENT: return "invalid argument";
    case VKROPE_ERROR_UNSUPPORTED: return "unsupported";
    case VKROPE_ERROR_OUT_OF_MEMORY: return "out of memory";
    case VKROPE_ERROR_DEVICE_LOST: return "device lost";
    case VKROPE_ERROR_MISMATCH: return "mismatch";
    case VKROPE_ERROR_IO: return "i/o error";
    case VKROPE_ERROR_INTERNAL: return "internal error";
    case VKROPE_STATUS_MAX_ENUM: break;
  }
  return "unknown status";
}

vkrope_status vkrope_last_error_kind(void) { return last_error.status; }
const char* vkrope_last_error_message(void) { return last_error.message.c_str(); }
int32_t vkrope_last_error_vk_result(void) { return last_error.vk_result; }

// Both views point into string literals compiled into version.cpp, so they end in '\0'.
const char* vkrope_version(void) { return vkrope::version().data(); }
const char* vkrope_git_revision(void) { return vkrope::git_revision().data(); }

}  // extern "C"
