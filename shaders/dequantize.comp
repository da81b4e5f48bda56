#version 450
// dequantize.comp: vkrope::dequantize, a tensor stored in any format of kv_formats.glsl
// (K_FORMAT) read exactly as the attention kernels read K, written as f32 or f16 (Q_F32 /
// Q_F16). Both tensors are contiguous; one invocation per pair of elements, grid-stride.
// Bindings: 0 the source (also bound as 1, which kv_loads.glsl declares as v and this
// kernel never reads), 2 the output.
#extension GL_GOOGLE_include_directive : require
#include "workgroup.glsl"
#define KV_FORMATS
#include "attention_types.glsl"

layout(push_constant) uniform DequantizePush {
  uint pairs;
  uint src_offset, dst_offset;  // elements
} pc;

KV_BUFFER(0, KBuf, k_buf);
KV_BUFFER(1, VBuf, v_buf);
#include "kv_loads.glsl"
Q_BUFFER(2, OutBuf, out_buf);

void main() {
  for (uint p = gl_GlobalInvocationID.x; p < pc.pairs; p += gl_NumWorkGroups.x * gl_WorkGroupSize.x)
    Q_STORE2(out_buf, pc.dst_offset + 2u * p, KV_LOAD2(k_buf, pc.src_offset + 2u * p));
}
