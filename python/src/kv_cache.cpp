// vkrope.KvCache: keys and values of past tokens on the device, for incremental decoding.
#include <pybind11/stl.h>

#include <string>

#include "attention_args.hpp"
#include "bindings.hpp"
#include "vkrope/error.hpp"
#include "vkrope/kv_cache.hpp"

namespace vkrope::python {
namespace {

// The cache with the Context it lives on (KvCache does not expose its own, and numpy inputs
// are uploaded to it).
struct CacheHandle {
  Context context;
  KvCache cache;
};

// New keys and values of an append: device tensors as given, numpy arrays uploaded (their
// own dtype; the cache converts to its format as it stores them).
struct NewTokens {
  std::optional<Tensor> k, v;
  std::optional<HostArray> k_host, v_host;
};

NewTokens new_tokens(const py::handle& k, const py::handle& v) {
  NewTokens t;
  if (is_tensor(k) != is_tensor(v)) throw py::type_error("append: k and v must both be numpy arrays or both vkrope.Tensor");
  if (is_tensor(k)) {
    t.k = py::cast<Tensor>(k);
    t.v = py::cast<Tensor>(v);
  } else {
    t.k_host = copy_array(k, "k");
    t.v_host = copy_array(v, "v");
  }
  return t;
}

// GIL released.
void upload(NewTokens& t, const Context& context) {
  if (t.k) return;
  t.k = upload_array(context, *t.k_host);
  t.v = upload_array(context, *t.v_host);
}

std::optional<RopePositions> rope_positions(const py::handle& positions, const py::handle& offset) {
  if (positions.is_none() && offset.is_none()) return std::nullopt;
  RopePositions p;
  p.values = copy_positions(positions, "positions");
  if (!offset.is_none()) p.offset = py::cast<std::int64_t>(offset);
  return p;
}

CacheHandle make_cache(const Context& context, std::int64_t capacity, std::int64_t kv_heads, std::int64_t head_dim,
                   std::int64_t layers, std::int64_t batch, const std::string& dtype, const py::object& value_dtype,
                   std::int64_t window, std::int64_t sink_tokens, bool cache_positions, bool evict,
                   std::int64_t page_size, std::int64_t pages, std::optional<RopeConfig> rope) {
  KvCacheShape shape;
  shape.layers = layers;
  shape.batch = batch;
  shape.capacity = capacity;
  shape.kv_heads = kv_heads;
  shape.head_dim = head_dim;
  shape.dtype = parse_dtype_name(dtype);
  if (!value_dtype.is_none()) shape.value_dtype = parse_dtype_name(py::cast<std::string>(value_dtype));
  shape.window = window;
  shape.sink_tokens = sink_tokens;
  shape.cache_positions = cache_positions;
  shape.evict = evict;
  shape.page_size = page_size;
  shape.pages = pages;
  if (rope && rope->head_dim == 0) rope->head_dim = head_dim;
  py::gil_scoped_release release;
  return CacheHandle{context, KvCache(context, shape, std::move(rope))};
}

py::object attend(const CacheHandle& h, const py::object& q, std::int64_t layer, const py::object& positions,
                  const py::object& offset, const py::object& config, const py::object& out, const py::kwargs& options) {
  const KvCache& cache = h.cache;
  const AttentionConfig c = attention_config(config, options, cache.shape().head_dim, "KvCache.attend");
  const std::optional<RopePositions> p = rope_positions(positions, offset);
  const Context& context = h.context;
  std::optional<HostArray> host;
  std::optional<Tensor> qt, ot;
  if (is_tensor(q)) {
    qt = py::cast<Tensor>(q);
    if (!out.is_none()) {
      if (!is_tensor(out)) throw py::type_error("out: expected a vkrope.Tensor");
      ot = py::cast<Tensor>(out);
    }
  } else {
    if (!out.is_none()) throw py::type_error("attend: out is for device tensors; with numpy arrays the result is returned");
    host = copy_array(q, "q");
  }
  Download result;
  {
    py::gil_scoped_release release;
    if (host) qt = upload_array(context, *host);
    if (!ot) ot = Tensor::empty(context, qt->dtype(), qt->shape());
    if (p)
      cache.attend(layer, c, *qt, *ot, *p);
    else
      cache.attend(layer, c, *qt, *ot);
    if (host) result = download_tensor(*ot);
  }
  if (host) return to_numpy(std::move(result));
  return py::cast(*ot);
}

}  // namespace

void init_kv_cache(py::module_& m) {
  py::class_<CacheHandle>(m, "KvCache",
                      "Keys and values of past tokens, per layer, on the device, for incremental decoding.\n\n"
                      "append() stores new tokens' keys (rotated with the cache's RoPE config) and values; "
                      "attend() runs attention of new queries over the filled prefix. Token n of a layer sits at "
                      "position n, and the queries of attend() are the last Sq tokens appended, so a decode step "
                      "is append(k, v) of one token then attend(q) of that token. Layouts: contiguous, a "
                      "sliding-window ring (window=), paged (page_size=, pages=); formats f32, f16, bf16, q8_0, "
                      "q4_0. One thread at a time per cache.")
      .def(py::init(&make_cache), py::arg("context"), py::kw_only(), py::arg("capacity"), py::arg("kv_heads"),
           py::arg("head_dim"), py::arg("layers") = 1, py::arg("batch") = 1, py::arg("dtype") = "f16",
           py::arg("value_dtype") = py::none(), py::arg("window") = 0, py::arg("sink_tokens") = 0,
           py::arg("cache_positions") = false, py::arg("evict") = true, py::arg("page_size") = 0, py::arg("pages") = 0,
           py::arg("rope") = py::none(),
           "KvCache(context, *, capacity, kv_heads, head_dim, layers=1, batch=1, dtype='f16', value_dtype=None, "
           "window=0, sink_tokens=0, cache_positions=False, evict=True, page_size=0, pages=0, rope=None)\n\n"
           "capacity: tokens per sequence. head_dim: a multiple of 8 (of 32 for q8_0/q4_0), up to 256. dtype: "
           "the keys' storage (and the values' unless value_dtype). window > 0: a ring keeping sink_tokens first "
           "tokens and the newest `window`. page_size > 0 (a power of two): a paged pool of `pages` pages. rope: a "
           "RopeConfig for the keys and queries (head_dim 0: the cache's). InvalidArgumentError for bad sizes.")
      .def_property_readonly("context", [](const CacheHandle& h) { return h.context; }, "The Context it lives on.")
      .def_property_readonly("layers", [](const CacheHandle& h) { return h.cache.shape().layers; }, "Layers.")
      .def_property_readonly("batch", [](const CacheHandle& h) { return h.cache.shape().batch; }, "Sequences.")
      .def_property_readonly("capacity", [](const CacheHandle& h) { return h.cache.shape().capacity; }, "Tokens per sequence.")
      .def_property_readonly("kv_heads", [](const CacheHandle& h) { return h.cache.shape().kv_heads; }, "Key/value heads.")
      .def_property_readonly("head_dim", [](const CacheHandle& h) { return h.cache.shape().head_dim; }, "Head dimension.")
      .def_property_readonly("dtype", [](const CacheHandle& h) { return std::string(to_string(h.cache.shape().key_format())); },
                             "Storage of the keys.")
      .def_property_readonly("value_dtype", [](const CacheHandle& h) { return std::string(to_string(h.cache.shape().value_format())); },
                             "Storage of the values.")
      .def_property_readonly("rope", [](const CacheHandle& h) { return h.cache.rope(); }, "The RopeConfig, or None.")
      .def("bytes_per_token", [](const CacheHandle& h) { return h.cache.bytes_per_token(); }, "Device bytes of one token of one sequence in one layer (K and V).")
      .def("slots", [](const CacheHandle& h) { return h.cache.slots(); }, "Token slots per sequence and layer: capacity, or sink_tokens + window for a ring.")
      .def("bytes_per_layer", [](const CacheHandle& h) { return h.cache.bytes_per_layer(); }, "Device bytes of one layer.")
      .def(
          "length",
          [](const CacheHandle& h, std::int64_t layer, std::optional<std::int64_t> sequence) {
            return sequence ? h.cache.length(layer, *sequence) : h.cache.length(layer);
          },
          py::arg("layer") = 0, py::arg("sequence") = py::none(),
          "Tokens appended to a layer: the longest sequence's, or `sequence`'s.")
      .def("clear", [](CacheHandle& h) { h.cache.clear(); }, "Every layer back to length 0.")
      .def(
          "append",
          [](CacheHandle& h, const py::object& k, const py::object& v, std::int64_t layer, const py::object& positions,
             const py::object& offset) {
            NewTokens t = new_tokens(k, v);
            const std::optional<RopePositions> p = rope_positions(positions, offset);
            py::gil_scoped_release release;
            upload(t, h.context);
            if (p)
              h.cache.append(layer, *t.k, *t.v, *p);
            else
              h.cache.append(layer, *t.k, *t.v);
          },
          py::arg("k"), py::arg("v"), py::kw_only(), py::arg("layer") = 0, py::arg("positions") = py::none(),
          py::arg("offset") = py::none(),
          "Appends new tokens' keys and values, [T, Hkv, D] or [B, T, Hkv, D] (numpy float32/float16 arrays or "
          "tensors). Keys are rotated (cache's rope) and both converted to the cache's formats in one dispatch. "
          "positions / offset: explicit RoPE positions (M-RoPE: stream-major [streams, T]). On failure nothing "
          "is appended (retry the same call).")
      .def(
          "append_sequence",
          [](CacheHandle& h, std::int64_t sequence, const py::object& k, const py::object& v, std::int64_t layer) {
            NewTokens t = new_tokens(k, v);
            py::gil_scoped_release release;
            upload(t, h.context);
            h.cache.append_sequence(layer, sequence, *t.k, *t.v);
          },
          py::arg("sequence"), py::arg("k"), py::arg("v"), py::kw_only(), py::arg("layer") = 0,
          "Ragged batches: one sequence's new tokens [T, Hkv, D] at that sequence's own length.")
      .def("attend", &attend, py::arg("q"), py::kw_only(), py::arg("layer") = 0, py::arg("positions") = py::none(),
           py::arg("offset") = py::none(), py::arg("config") = py::none(), py::arg("out") = py::none(),
           "attend(q, *, layer=0, positions=None, offset=None, config=None, out=None, **options)\n\n"
           "Attention of q [Sq, H, D] or [B, Sq, H, D] over the layer's filled prefix, the queries being the last "
           "Sq tokens appended. numpy in, numpy out (q's dtype); or tensors (into out, or a new tensor). options: "
           "as attention() (causal, window, alibi, softcap, sinks, scale, key_splits); rope and explicit "
           "positions come from the cache. positions / offset: the queries' RoPE positions (M-RoPE).")
      .def("keys", [](const CacheHandle& h, std::int64_t layer) { return h.cache.keys(layer); }, py::arg("layer") = 0,
           "The layer's filled keys as a Tensor view [B, length, Hkv, D] (as stored: rotated).")
      .def("values", [](const CacheHandle& h, std::int64_t layer) { return h.cache.values(layer); }, py::arg("layer") = 0, "The layer's filled values as a Tensor view.")
      .def("fork", [](CacheHandle& h, std::int64_t from, std::int64_t to) { h.cache.fork(from, to); }, py::arg("source"), py::arg("target"),
           "Paged caches: sequence `target` becomes a copy of `source` by sharing its pages.")
      .def("release", [](CacheHandle& h, std::int64_t sequence) { h.cache.release(sequence); }, py::arg("sequence"), "Paged caches: drops a sequence's tokens in every layer.")
      .def("free_pages", [](const CacheHandle& h, std::int64_t layer) { return h.cache.free_pages(layer); }, py::arg("layer") = 0, "Paged caches: pages left in a layer's pool.")
      .def("block_table", [](const CacheHandle& h, std::int64_t layer, std::int64_t sequence) { return h.cache.block_table(layer, sequence); },
           py::arg("layer"), py::arg("sequence"),
           "Paged caches: the pages a sequence holds, in order.")
      .def("__repr__", [](const CacheHandle& h) {
        const KvCacheShape& s = h.cache.shape();
        return "<vkrope.KvCache layers=" + std::to_string(s.layers) + " batch=" + std::to_string(s.batch) +
               " capacity=" + std::to_string(s.capacity) + " kv_heads=" + std::to_string(s.kv_heads) +
               " head_dim=" + std::to_string(s.head_dim) + " " + std::string(to_string(s.key_format())) + ">";
      });
}

}  // namespace vkrope::python
