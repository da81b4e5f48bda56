// Which declarations are vkrope's API. The library compiles with -fvisibility=hidden; every
// public header wraps its declarations in VKROPE_PUBLIC_BEGIN ... VKROPE_PUBLIC_END, so they
// (and only they, with the C API's VKROPE_C_API functions) are exported from libvkrope.so
// and survive the prelinking of libvkrope.a (src/public_library.cmake).
#pragma once

#if defined(__GNUC__) || defined(__clang__)
#define VKROPE_PUBLIC_BEGIN _Pragma("GCC visibility push(default)")
#define VKROPE_PUBLIC_END _Pragma("GCC visibility pop")
#else
#define VKROPE_PUBLIC_BEGIN
#define VKROPE_PUBLIC_END
#endif
