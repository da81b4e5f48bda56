// Shared by every kernel: the workgroup size is specialization constant 0, so the host
// picks it from the device's limits (and emulated limits) at pipeline creation.
#ifndef VKROPE_WORKGROUP_GLSL
#define VKROPE_WORKGROUP_GLSL

layout(local_size_x_id = 0, local_size_y = 1, local_size_z = 1) in;

#endif
