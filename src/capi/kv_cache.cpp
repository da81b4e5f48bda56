// C API: the KV cache (vkrope.h "KV cache").
#include "capi/guard.hpp"
#include "capi/handles.hpp"

namespace vkrope::capi {
namespace {

KvCacheShape to_shape(const vkrope_kv_cache_shape* in) {
  const vkrope_kv_cache_shape s = read_struct(&need(in, "shape"), "shape", vkrope_kv_cache_shape_init);
  KvCacheShape shape;
  shape.layers = s.layers;
  shape.batch = s.batch;
  shape.capacity = s.capacity;
  shape.kv_heads = s.kv_heads;
  shape.head_dim = s.head_dim;
  shape.dtype = to_dtype(s.dtype, "shape->dtype");
  if (s.has_value_dtype) shape.value_dtype = to_dtype(s.value_dtype, "shape->value_dtype");
  shape.window = s.window;
  shape.sink_tokens = s.sink_tokens;
  shape.cache_positions = s.cache_positions != 0;
  shape.evict = s.evict != 0;
  shape.page_size = s.page_size;
  shape.pages = s.pages;
  return shape;
}

}  // namespace
}  // namespace vkrope::capi

using namespace vkrope;
using namespace vkrope::capi;

extern "C" {

void vkrope_kv_cache_shape_init(vkrope_kv_cache_shape* shape) {
  if (!shape) return;
  *shape = vkrope_kv_cache_shape{};
  shape->struct_size = sizeof *shape;
  // KvCacheShape's own defaults, so the two cannot drift apart.
  const KvCacheShape defaults;
  shape->layers = defaults.layers;
  shape->batch = defaults.batch;
  shape->capacity = defaults.capacity;
  shape->kv_heads = defaults.kv_heads;
  shape->head_dim = defaults.head_dim;
  shape->dtype = from_dtype(defaults.dtype);
  shape->value_dtype = shape->dtype;
  shape->evict = defaults.evict;
}

vkrope_status vkrope_kv_cache_create(vkrope_context* context, const vkrope_kv_cache_shape* shape,
                                     const vkrope_rope_config* rope, vkrope_kv_cache** out) {
  return guard(__func__, [&] {
    vkrope_kv_cache*& result = out_handle(out);
    const Context& c = need(context, "context").context;
    result = new vkrope_kv_cache{
        KvCache(c, to_shape(shape), rope ? std::optional(rope->config) : std::nullopt)};
  });
}

void vkrope_kv_cache_destroy(vkrope_kv_cache* cache) { delete cache; }

vkrope_status vkrope_kv_cache_append(vkrope_batch* batch, vkrope_kv_cache* cache, int64_t layer,
                                     const vkrope_tensor* k_new, const vkrope_tensor* v_new) {
  return guard(__func__, [&] {
    KvCache& c = need(cache, "cache").cache;
    const Tensor& k = need(k_new, "k_new").tensor;
    const Tensor& v = need(v_new, "v_new").tensor;
    if (batch)
      c.append(batch->batch, layer, k, v);
    else
      c.append(layer, k, v);
  });
}

vkrope_status vkrope_kv_cache_append_at(vkrope_batch* batch, vkrope_kv_cache* cache, int64_t layer,
                                        const vkrope_tensor* k_new, const vkrope_tensor* v_new,
                                        const int64_t* positions, size_t position_count, int64_t position_offset) {
  return guard(__func__, [&] {
    KvCache& c = need(cache, "cache").cache;
    const Tensor& k = need(k_new, "k_new").tensor;
    const Tensor& v = need(v_new, "v_new").tensor;
    const RopePositions p = to_positions(positions, position_count, position_offset);
    if (batch)
      c.append(batch->batch, layer, k, v, p);
    else
      c.append(layer, k, v, p);
  });
}

vkrope_status vkrope_kv_cache_append_sequence(vkrope_batch* batch, vkrope_kv_cache* cache, int64_t layer,
                                              int64_t sequence, const vkrope_tensor* k_new,
                                              const vkrope_tensor* v_new) {
  return guard(__func__, [&] {
    KvCache& c = need(cache, "cache").cache;
    const Tensor& k = need(k_new, "k_new").tensor;
    const Tensor& v = need(v_new, "v_new").tensor;
    if (batch)
      c.append_sequence(batch->batch, layer, sequence, k, v);
    else
      c.append_sequence(layer, sequence, k, v);
  });
}

vkrope_status vkrope_kv_cache_attend(vkrope_batch* batch, const vkrope_kv_cache* cache, int64_t layer,
                                     const vkrope_attention_config* config, const vkrope_tensor* q,
                                     vkrope_tensor* out) {
  return guard(__func__, [&] {
    const KvCache& c = need(cache, "cache").cache;
    const AttentionConfig a = to_attention_config(config);
    const Tensor& tq = need(q, "q").tensor;
    const Tensor& to = need(out, "out").tensor;
    if (batch)
      c.attend(batch->batch, layer, a, tq, to);
    else
      c.attend(layer, a, tq, to);
  });
}

vkrope_status vkrope_kv_cache_attend_at(vkrope_batch* batch, const vkrope_kv_cache* cache, int64_t layer,
                                        const vkrope_attention_config* config, const vkrope_tensor* q,
                                        vkrope_tensor* out, const int64_t* positions, size_t position_count,
                                        int64_t position_offset) {
  return guard(__func__, [&] {
    const KvCache& c = need(cache, "cache").cache;
    const AttentionConfig a = to_attention_config(config);
    const Tensor& tq = need(q, "q").tensor;
    const Tensor& to = need(out, "out").tensor;
    const RopePositions p = to_positions(positions, position_count, position_offset);
    if (batch)
      c.attend(batch->batch, layer, a, tq, to, p);
    else
      c.attend(layer, a, tq, to, p);
  });
}

vkrope_status vkrope_kv_cache_length(const vkrope_kv_cache* cache, int64_t layer, int64_t sequence, int64_t* length) {
  return guard(__func__, [&] {
    int64_t& result = need(length, "length");
    const KvCache& c = need(cache, "cache").cache;
    result = sequence < 0 ? c.length(layer) : c.length(layer, sequence);
  });
}

vkrope_status vkrope_kv_cache_reset(vkrope_kv_cache* cache) {
  return guard(__func__, [&] { need(cache, "cache").cache.clear(); });
}

vkrope_status vkrope_kv_cache_fork(vkrope_kv_cache* cache, int64_t from, int64_t to) {
  return guard(__func__, [&] { need(cache, "cache").cache.fork(from, to); });
}

vkrope_status vkrope_kv_cache_release(vkrope_kv_cache* cache, int64_t sequence) {
  return guard(__func__, [&] { need(cache, "cache").cache.release(sequence); });
}

vkrope_status vkrope_kv_cache_free_pages(const vkrope_kv_cache* cache, int64_t layer, int64_t* pages) {
  return guard(__func__, [&] {
    int64_t& result = need(pages, "pages");
    result = need(cache, "cache").cache.free_pages(layer);
  });
}

vkrope_status vkrope_kv_cache_sizes(const vkrope_kv_cache* cache, int64_t* bytes_per_token, int64_t* slots,
                                    int64_t* bytes_per_layer) {
  return guard(__func__, [&] {
    const KvCache& c = need(cache, "cache").cache;
    if (bytes_per_token) *bytes_per_token = c.bytes_per_token();
    if (slots) *slots = c.slots();
    if (bytes_per_layer) *bytes_per_layer = c.bytes_per_layer();
  });
}

vkrope_status vkrope_kv_cache_keys(const vkrope_kv_cache* cache, int64_t layer, vkrope_tensor** out) {
  return guard(__func__, [&] {
    vkrope_tensor*& result = out_handle(out);
    result = new vkrope_tensor{need(cache, "cache").cache.keys(layer)};
  });
}

vkrope_status vkrope_kv_cache_values(const vkrope_kv_cache* cache, int64_t layer, vkrope_tensor** out) {
  return guard(__func__, [&] {
    vkrope_tensor*& result = out_handle(out);
    result = new vkrope_tensor{need(cache, "cache").cache.values(layer)};
  });
}

}  // extern "C"
