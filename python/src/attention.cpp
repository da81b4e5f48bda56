// vkrope.AttentionConfig and vkrope.attention().
#include <pybind11/stl.h>

#include <string>

#include "attention_args.hpp"
#include "bindings.hpp"
#include "vkrope/error.hpp"

namespace vkrope::python {
namespace {

// A positions property of AttentionConfig: set from an int array or a list of ints.
template <std::vector<std::int64_t> AttentionConfig::*Field>
void def_positions(py::class_<AttentionConfig>& cls, const char* name, const char* doc) {
  cls.def_property(
      name, [](const AttentionConfig& c) { return c.*Field; },
      [name](AttentionConfig& c, const py::handle& v) { c.*Field = copy_positions(v, name); }, doc);
}

py::object attention_arrays(const py::handle& q, const py::handle& k, const py::handle& v,
                            const AttentionConfig& config, const py::handle& context) {
  const HostArray qh = copy_array(q, "q");
  const HostArray kh = copy_array(k, "k");
  const HostArray vh = copy_array(v, "v");
  const Context ctx = resolve_context(context);
  Download result;
  {
    py::gil_scoped_release release;
    const Tensor qt = upload_array(ctx, qh);
    const Tensor kt = upload_array(ctx, kh);
    const Tensor vt = upload_array(ctx, vh);
    const Tensor out = Tensor::empty(ctx, qh.dtype, qh.shape);
    attention(config, qt, kt, vt, out);
    result = download_tensor(out);
  }
  return to_numpy(std::move(result));
}

py::object attention_tensors(const py::handle& q, const py::handle& k, const py::handle& v, const py::handle& out,
                             const AttentionConfig& config) {
  const auto tensor = [](const py::handle& object, const char* name) {
    if (!is_tensor(object))
      throw py::type_error(std::string(name) + ": expected a vkrope.Tensor (q is one), got " +
                           std::string(py::str(py::type::of(object))));
    return py::cast<Tensor>(object);
  };
  const Tensor qt = py::cast<Tensor>(q);
  const Tensor kt = tensor(k, "k");
  const Tensor vt = tensor(v, "v");
  std::optional<Tensor> ot;
  if (!out.is_none()) ot = tensor(out, "out");
  {
    py::gil_scoped_release release;
    if (!ot) ot = Tensor::empty(qt.context(), qt.dtype(), qt.shape());
    attention(config, qt, kt, vt, *ot);
  }
  return py::cast(*ot);
}

}  // namespace

AttentionConfig attention_config(const py::object& config, const py::kwargs& options, std::int64_t head_dim,
                                 const char* function) {
  py::object object = py::cast(config.is_none() ? AttentionConfig{} : py::cast<AttentionConfig>(config));
  apply_fields(object, options, function);
  AttentionConfig c = py::cast<AttentionConfig>(object);
  if (c.rope && c.rope->head_dim == 0) c.rope->head_dim = head_dim;
  return c;
}

std::int64_t last_dim(const py::handle& object) {
  if (is_tensor(object)) return py::cast<const Tensor&>(object).shape().back();
  if (py::hasattr(object, "shape")) {
    const auto shape = py::cast<std::vector<std::int64_t>>(object.attr("shape"));
    if (!shape.empty()) return shape.back();
  }
  return 0;
}

void init_attention(py::module_& m) {
  py::class_<AttentionConfig> cls(
      m, "AttentionConfig",
      "Options of attention(): softmax(q k^T * scale + bias) v.\n\n"
      "AttentionConfig(**options); attention() and KvCache.attend() take the same names as keyword "
      "arguments. Causal attention is bottom-right aligned (query i of Sq at position Skv - Sq + i) unless "
      "explicit positions are given. A key is visible when (not causal or p_k <= p_q) and (no window or "
      "|p_q - p_k| < window). Logits: s = (q . k) * scale, then softcap c * tanh(s / c), then ALiBi "
      "s -= slope_h * |p_q - p_k|; sinks add one logit per query head to the softmax denominator.");
  cls.def(py::init([](const py::kwargs& options) { return attention_config(py::none(), options, 0, "AttentionConfig"); }),
          "Options by keyword; the rest keep their defaults.")
      .def_readwrite("scale", &AttentionConfig::scale, "Logit scale; None: 1 / sqrt(head_dim).")
      .def_readwrite("causal", &AttentionConfig::causal, "Keys after the query are masked (default False).")
      .def_readwrite("window", &AttentionConfig::window, "Sliding window W >= 1, or None.")
      .def_readwrite("alibi", &AttentionConfig::alibi, "ALiBi with the standard slopes for the query head count.")
      .def_readwrite("softcap", &AttentionConfig::softcap, "Logit softcap c > 0, or 0 for none.")
      .def_readwrite("sinks", &AttentionConfig::sinks, "One sink logit per query head (gpt-oss), or [] for none.")
      .def_readwrite("rope", &AttentionConfig::rope,
                     "A RopeConfig: q and k rotated at their positions inside the kernel (head_dim 0: q's), or None.")
      .def_readwrite("key_splits", &AttentionConfig::key_splits,
                     "Split-KV: 0 lets the device decide, 1 forces one pass, n > 1 asks for n key ranges.");
  def_positions<&AttentionConfig::query_positions>(cls, "query_positions",
                                                   "Explicit query positions [Sq] (int array or list); [] bottom-right aligned.");
  def_positions<&AttentionConfig::key_positions>(cls, "key_positions", "Explicit key positions [Skv]; given with query_positions.");
  def_positions<&AttentionConfig::query_rope_positions>(
      cls, "query_rope_positions", "Fused M-RoPE / vision RoPE: the queries' rotation positions, [streams, Sq].");
  def_positions<&AttentionConfig::key_rope_positions>(cls, "key_rope_positions",
                                                      "Fused M-RoPE / vision RoPE: the keys' rotation positions, [streams, Skv].");
  cls.def("__repr__", [](const AttentionConfig& c) {
    std::string s = "<vkrope.AttentionConfig";
    if (c.causal) s += " causal";
    if (c.window) s += " window=" + std::to_string(*c.window);
    if (c.alibi) s += " alibi";
    if (c.softcap != 0.0) s += " softcap=" + std::string(py::str(py::float_(c.softcap)));
    if (!c.sinks.empty()) s += " sinks";
    if (c.rope) s += " rope";
    if (c.scale) s += " scale=" + std::string(py::str(py::float_(*c.scale)));
    return s + ">";
  });

  m.def(
      "attention",
      [](const py::object& q, const py::object& k, const py::object& v, const py::object& config,
         const py::object& out, const py::object& context, const py::kwargs& options) -> py::object {
        const AttentionConfig c = attention_config(config, options, last_dim(q), "attention");
        if (is_tensor(q)) return attention_tensors(q, k, v, out, c);
        if (!out.is_none()) throw py::type_error("attention: out is for device tensors; with numpy arrays the result is returned");
        return attention_arrays(q, k, v, c, context);
      },
      py::arg("q"), py::arg("k"), py::arg("v"), py::kw_only(), py::arg("config") = py::none(),
      py::arg("out") = py::none(), py::arg("context") = py::none(),
      "attention(q, k, v, *, config=None, out=None, context=None, **options)\n\n"
      "softmax(q k^T * scale + bias) v with a flash (online-softmax) kernel.\n\n"
      "q: [Sq, H, D] or [B, Sq, H, D]; k, v: [Skv, Hkv, D] or [B, Skv, Hkv, D], H a multiple of Hkv (GQA, "
      "MQA). numpy arrays (float32 or float16; k and v of one dtype; the output, a new array, has q's dtype "
      "and shape) or vkrope.Tensor (written into out, or a new tensor; returned).\n"
      "options (or config=AttentionConfig(...)): causal, scale, window, alibi, softcap, sinks, rope "
      "(a RopeConfig: fused RoPE), query_positions, key_positions, query_rope_positions, key_rope_positions, "
      "key_splits; see AttentionConfig.\n"
      "Raises InvalidArgumentError naming the problem (H not a multiple of Hkv, head dims or lengths that "
      "differ, causal with Sq > Skv and no positions, window <= 0, sinks of the wrong length, ...).");

  m.def("alibi_slopes", &alibi_slopes, py::arg("heads"),
        "The standard ALiBi slopes for `heads` query heads (Press et al.; non-powers of two as in the paper's code).");
}

}  // namespace vkrope::python
