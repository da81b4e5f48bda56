// Push constants of flash_attention.comp and attention_combine.comp, mirrored by
// AttentionPush in src/ops/attention.cpp. Offsets and strides are in elements.
#ifndef VKROPE_ATTENTION_PARAMS_GLSL
#define VKROPE_ATTENTION_PARAMS_GLSL

layout(push_constant) uniform AttentionPush {
  uint batch;
  uint sq;          // queries
  uint skv;         // keys
  uint heads;       // query heads H
  uint kv_heads;    // Hkv; H / Hkv query heads share one kv head
  float scale;      // applied to q . k
  uint window;      // 0: none
  float softcap;    // 0: none
  uint splits;      // key ranges (split-KV decode); 1 for prefill
  uint split_keys;  // keys per range, a multiple of the key tile
  uint q_offset, q_batch, q_seq, q_head;
  uint k_offset, k_batch, k_seq, k_head;
  uint v_offset, v_batch, v_seq, v_head;
  uint o_offset, o_batch, o_seq, o_head;
  // The first workgroup of this dispatch: a grid past maxComputeWorkGroupCount is recorded
  // as several dispatches, each starting here (0, 0, 0 for a single dispatch).
  uint group_x, group_y, group_z;
} pc;

#endif
