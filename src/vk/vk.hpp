// The one header that brings in Vulkan. It goes through volk (VK_NO_PROTOTYPES is set for
// the whole library), so Vulkan is loaded at run time and never linked.
#pragma once

#include <volk.h>
