/* The C test's checks: each failed check prints where and why and counts a failure; the
 * program exits 1 when any check failed. C has no exceptions, so a check that makes the rest
 * of a function meaningless returns from it (the _OR_RETURN forms). */
#ifndef VKROPE_TEST_C_API_CHECK_H
#define VKROPE_TEST_C_API_CHECK_H

#include <stdio.h>
#include <string.h>

#include <vkrope/vkrope.h>

extern int g_failures;   /* checks failed so far */
extern int g_checks;     /* checks made so far */
extern const char* g_device; /* the device under test, printed with each failure */

#define FAIL(...)                                                         \
  do {                                                                    \
    ++g_failures;                                                         \
    fprintf(stderr, "%s:%d: [%s] ", __FILE__, __LINE__, g_device);        \
    fprintf(stderr, __VA_ARGS__);                                         \
    fputc('\n', stderr);                                                  \
  } while (0)

#define CHECK(cond)                                    \
  do {                                                 \
    ++g_checks;                                        \
    if (!(cond)) FAIL("check failed: %s", #cond);     \
  } while (0)

/* A call that must succeed. */
#define CHECK_OK(call)                                                                            \
  do {                                                                                            \
    vkrope_status check_ok_status_ = (call);                                                      \
    ++g_checks;                                                                                   \
    if (check_ok_status_ != VKROPE_OK)                                                            \
      FAIL("%s: %s: %s", #call, vkrope_status_name(check_ok_status_), vkrope_last_error_message()); \
  } while (0)

#define CHECK_OK_OR_RETURN(call)                                                                  \
  do {                                                                                            \
    vkrope_status check_ok_status_ = (call);                                                      \
    ++g_checks;                                                                                   \
    if (check_ok_status_ != VKROPE_OK) {                                                          \
      FAIL("%s: %s: %s", #call, vkrope_status_name(check_ok_status_), vkrope_last_error_message()); \
      return;                                                                                     \
    }                                                                                             \
  } while (0)

/* A call that must fail with `expected`, leaving a message that contains `words` and that
 * vkrope_last_error_kind() agrees with. */
#define CHECK_FAILS(call, expected, words) check_fails_((call), (expected), (words), #call, __FILE__, __LINE__)

static inline void check_fails_(vkrope_status status, vkrope_status expected, const char* words, const char* call,
                                const char* file, int line) {
  const char* message = vkrope_last_error_message();
  ++g_checks;
  if (status != expected || vkrope_last_error_kind() != expected || message == NULL || message[0] == '\0' ||
      strstr(message, words) == NULL) {
    ++g_failures;
    fprintf(stderr, "%s:%d: [%s] %s: expected %s with \"%s\", got %s (last kind %s): \"%s\"\n", file, line, g_device,
            call, vkrope_status_name(expected), words, vkrope_status_name(status),
            vkrope_status_name(vkrope_last_error_kind()), message ? message : "(null)");
  }
}

#endif
