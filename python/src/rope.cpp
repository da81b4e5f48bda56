// vkrope.RopeScaling, vkrope.RopeConfig and vkrope.rope().
#include <pybind11/stl.h>

#include <nlohmann/json.hpp>
#include <string>

#include "bindings.hpp"
#include "vkrope/error.hpp"

namespace vkrope::python {
namespace {

// A bound object made from keyword arguments: a default T with `fields` set by name.
template <typename T>
T from_fields(T base, const py::kwargs& fields, const char* function) {
  py::object object = py::cast(std::move(base));
  apply_fields(object, fields, function);
  return py::cast<T>(object);
}

RopeScaling scaling_from(const py::handle& value) {
  if (py::isinstance<RopeScaling>(value)) return py::cast<RopeScaling>(value);
  if (py::isinstance<py::str>(value)) {
    RopeScaling s;
    s.type = parse_scaling_type(py::cast<std::string>(value));
    return s;
  }
  if (py::isinstance<py::dict>(value)) return RopeScaling::from_json(nlohmann::json::parse(to_json_text(value)));
  if (value.is_none()) return RopeScaling{};
  throw py::type_error("scaling: expected a RopeScaling, a rope_scaling dict ({'rope_type': 'linear', 'factor': 2.0}) "
                       "or a type name, got " + std::string(py::str(py::type::of(value))));
}

nlohmann::json json_of(const py::handle& value) { return nlohmann::json::parse(to_json_text(value)); }

HfConfigPart parse_part(const std::string& part) {
  if (part == "text") return HfConfigPart::Text;
  if (part == "text_local") return HfConfigPart::TextLocal;
  if (part == "vision") return HfConfigPart::Vision;
  throw Error(ErrorKind::InvalidArgument, "part '" + part + "': expected 'text', 'text_local' or 'vision'");
}

RopeConfig from_hf_config(const py::handle& config, const std::string& part) {
  const HfConfigPart which = parse_part(part);
  if (py::isinstance<py::dict>(config)) return RopeConfig::from_hf_config(json_of(config), which);
  if (py::isinstance<py::str>(config) || py::hasattr(config, "__fspath__")) {
    const std::string path = py::cast<std::string>(py::module_::import("os").attr("fspath")(config));
    py::gil_scoped_release release;
    return RopeConfig::from_hf_config_file(path, which);
  }
  throw py::type_error("from_hf_config: expected a config.json dict or a path");
}

std::string rope_repr(const RopeConfig& c) {
  std::string s = "<vkrope.RopeConfig head_dim=" + std::to_string(c.head_dim);
  if (c.rotary_dim) s += " rotary_dim=" + std::to_string(c.rotary_dim);
  s += " layout=" + std::string(to_string(c.layout)) + " theta=" + std::string(py::str(py::float_(c.theta)));
  if (c.scaling.type != RopeScalingType::Default)
    s += " scaling=" + std::string(to_string(c.scaling.type)) + " factor=" + std::string(py::str(py::float_(c.scaling.factor)));
  if (!c.mrope_section.empty()) s += " mrope_section=" + std::string(py::str(py::cast(c.mrope_section)));
  if (c.vision != RopeVision::None) s += " vision=" + std::string(to_string(c.vision));
  if (!c.freq_factors.empty()) s += " freq_factors=[" + std::to_string(c.freq_factors.size()) + "]";
  return s + ">";
}

// The rotated outputs of a numpy call: (q) or (q, k).
py::object rope_arrays(const py::handle& q, const py::handle& k, RopeConfig config,
                       const std::vector<std::int64_t>& values, std::int64_t offset, bool inverse,
                       const py::handle& context) {
  const HostArray qh = copy_array(q, "q");
  std::optional<HostArray> kh;
  if (!k.is_none()) kh = copy_array(k, "k");
  if (config.head_dim == 0 && !qh.shape.empty()) config.head_dim = qh.shape.back();
  const Context ctx = resolve_context(context);
  Download q_rotated;
  std::optional<Download> k_rotated;
  {
    py::gil_scoped_release release;
    const Tensor qt = upload_array(ctx, qh);
    std::optional<Tensor> kt;
    if (kh) kt = upload_array(ctx, *kh);
    rope(config, {qt, std::nullopt, kt, std::nullopt}, {values, offset}, inverse);
    q_rotated = download_tensor(qt);
    if (kt) k_rotated = download_tensor(*kt);
  }
  if (!k_rotated) return to_numpy(std::move(q_rotated));
  return py::make_tuple(to_numpy(std::move(q_rotated)), to_numpy(std::move(*k_rotated)));
}

std::optional<Tensor> optional_tensor(const py::handle& object, const char* what) {
  if (object.is_none()) return std::nullopt;
  if (!is_tensor(object))
    throw py::type_error(std::string(what) + ": expected a vkrope.Tensor (the inputs are tensors), got " +
                         std::string(py::str(py::type::of(object))));
  return py::cast<Tensor>(object);
}

py::object rope_tensors(const py::handle& q, const py::handle& k, const py::handle& q_out, const py::handle& k_out,
                        RopeConfig config, const std::vector<std::int64_t>& values, std::int64_t offset,
                        bool inverse) {
  RopeTensors tensors{py::cast<Tensor>(q), optional_tensor(q_out, "q_out"), optional_tensor(k, "k"),
                      optional_tensor(k_out, "k_out")};
  if (config.head_dim == 0) config.head_dim = tensors.q.shape().back();
  {
    py::gil_scoped_release release;
    rope(config, tensors, {values, offset}, inverse);
  }
  const Tensor q_result = tensors.q_out.value_or(tensors.q);
  if (!tensors.k) return py::cast(q_result);
  return py::make_tuple(q_result, tensors.k_out.value_or(*tensors.k));
}

}  // namespace

void init_rope(py::module_& m) {
  py::class_<RopeScaling>(m, "RopeScaling",
                          "transformers' rope_scaling: which fields apply depends on `type`; optional fields left "
                          "None take transformers' defaults.\n\n"
                          "RopeScaling(type='default', **fields), or RopeScaling.from_json({'rope_type': 'yarn', "
                          "'factor': 4.0, ...}). A rope_scaling dict or a type name is accepted wherever a "
                          "RopeScaling is (RopeConfig.scaling, rope(scaling=...)).")
      .def(py::init([](const std::string& type, const py::kwargs& fields) {
             RopeScaling s;
             s.type = parse_scaling_type(type);
             return from_fields(std::move(s), fields, "RopeScaling");
           }),
           py::arg("type") = "default", "Fields by keyword: RopeScaling('linear', factor=2.0).")
      .def_static("from_json", [](const py::dict& d) { return RopeScaling::from_json(json_of(d)); }, py::arg("rope_scaling"),
                  "From a transformers rope_scaling dict ('rope_type', or the legacy 'type'). "
                  "InvalidArgumentError naming the field that is wrong.")
      .def_property("type", [](const RopeScaling& s) { return std::string(to_string(s.type)); },
                    [](RopeScaling& s, const std::string& t) { s.type = parse_scaling_type(t); },
                    "'default', 'linear', 'dynamic', 'yarn', 'llama3' or 'longrope'.")
      .def_readwrite("factor", &RopeScaling::factor, "linear, dynamic, yarn, llama3, longrope: the scaling factor.")
      .def_readwrite("original_max_position_embeddings", &RopeScaling::original_max_position_embeddings,
                     "yarn, llama3, longrope: the trained context length; None: max_position_embeddings.")
      .def_readwrite("beta_fast", &RopeScaling::beta_fast, "yarn (default 32).")
      .def_readwrite("beta_slow", &RopeScaling::beta_slow, "yarn (default 1).")
      .def_readwrite("mscale", &RopeScaling::mscale, "yarn, DeepSeek form (with mscale_all_dim).")
      .def_readwrite("mscale_all_dim", &RopeScaling::mscale_all_dim, "yarn, DeepSeek form.")
      .def_readwrite("truncate", &RopeScaling::truncate, "yarn (default True).")
      .def_readwrite("attention_factor", &RopeScaling::attention_factor,
                     "yarn, longrope: multiplies cos and sin; None: derived as transformers does.")
      .def_readwrite("low_freq_factor", &RopeScaling::low_freq_factor, "llama3 (default 1).")
      .def_readwrite("high_freq_factor", &RopeScaling::high_freq_factor, "llama3 (default 4).")
      .def_readwrite("short_factor", &RopeScaling::short_factor, "longrope: one factor per rotated pair.")
      .def_readwrite("long_factor", &RopeScaling::long_factor, "longrope: one factor per rotated pair.")
      .def("__repr__", [](const RopeScaling& s) {
        return "<vkrope.RopeScaling " + std::string(to_string(s.type)) + " factor=" + std::string(py::str(py::float_(s.factor))) + ">";
      });

  py::class_<RopeConfig>(m, "RopeConfig",
                         "How RoPE rotates: head_dim, rotary_dim, layout, theta, scaling, M-RoPE and vision forms.\n\n"
                         "RopeConfig(**fields), e.g. RopeConfig(head_dim=128, theta=500000.0, scaling={'rope_type': "
                         "'llama3', 'factor': 8.0, 'original_max_position_embeddings': 8192}); or from a model with "
                         "RopeConfig.from_hf_config(config_dict_or_path) / RopeConfig.from_gguf(path). Pair i of a "
                         "head vector at position p is rotated by p * inv_freq[i]; pairs are (i, i + rotary_dim/2) "
                         "in the 'neox' layout and (2i, 2i + 1) in the 'interleaved' one.")
      .def(py::init([](const py::kwargs& fields) { return from_fields(RopeConfig{}, fields, "RopeConfig"); }),
           "Fields by keyword; the rest keep their defaults (head_dim 0 = taken from the input by rope()).")
      .def_readwrite("head_dim", &RopeConfig::head_dim, "Even and > 0; 0 in a config passed to rope(): the input's last dimension.")
      .def_readwrite("rotary_dim", &RopeConfig::rotary_dim, "Dimensions rotated (even, 2..head_dim); 0: head_dim.")
      .def_property("layout", [](const RopeConfig& c) { return std::string(to_string(c.layout)); },
                    [](RopeConfig& c, const std::string& l) { c.layout = parse_layout(l); },
                    "'neox' (GPT-NeoX, Llama in transformers) or 'interleaved' (GPT-J, RoFormer).")
      .def_readwrite("theta", &RopeConfig::theta, "The base (default 10000).")
      .def_property("scaling", [](const RopeConfig& c) { return c.scaling; },
                    [](RopeConfig& c, const py::object& v) { c.scaling = scaling_from(v); },
                    "A RopeScaling; set from a RopeScaling, a rope_scaling dict or a type name.")
      .def_readwrite("max_position_embeddings", &RopeConfig::max_position_embeddings,
                     "The model's max_position_embeddings (dynamic's threshold; 0 unset).")
      .def_readwrite("mrope_section", &RopeConfig::mrope_section,
                     "M-RoPE [t, h, w] pair counts summing to rotary_dim / 2; [] for one position per token.")
      .def_readwrite("mrope_interleaved", &RopeConfig::mrope_interleaved, "Qwen3-VL's interleaved M-RoPE.")
      .def_property("vision", [](const RopeConfig& c) { return std::string(to_string(c.vision)); },
                    [](RopeConfig& c, const std::string& v) { c.vision = parse_vision(v); },
                    "2D vision RoPE: 'none', 'qwen2vl' or 'pixtral' (positions (row, column) per patch).")
      .def_readwrite("freq_factors", &RopeConfig::freq_factors, "Per-pair divisors of the frequencies ([]: none).")
      .def_property_readonly("effective_rotary_dim", &RopeConfig::effective_rotary_dim, "rotary_dim, or head_dim when 0.")
      .def("position_streams", &RopeConfig::position_streams,
           "Positions per token: 3 with mrope_section, 2 with a vision form, else 1.")
      .def("validate", &RopeConfig::validate, "Raises InvalidArgumentError saying what is wrong.")
      .def(
          "frequencies",
          [](const RopeConfig& c, std::int64_t max_position) {
            const RopeFrequencies f = rope_frequencies(c, max_position);
            return py::make_tuple(py::array(py::cast(f.inv_freq)), f.attention_factor);
          },
          py::arg("max_position") = 0,
          "(inv_freq, attention_factor) for a call whose largest position is max_position: rotary_dim / 2 "
          "float64 angular frequencies and the factor multiplying cos and sin (dynamic and longrope depend on "
          "max_position).")
      .def_static("from_hf_config", &from_hf_config, py::arg("config"), py::arg("part") = "text",
                  "From a Hugging Face config.json (a dict or a path): rope_theta, rope_scaling / rope_parameters, "
                  "partial_rotary_factor, head_dim, max_position_embeddings, M-RoPE; nested text_config read "
                  "from there. part: 'text', 'text_local' (sliding-window layers) or 'vision' (the vision tower's "
                  "2D RoPE). Validated.")
      .def_static(
          "from_gguf",
          [](const py::handle& path) {
            const std::string file = py::cast<std::string>(py::module_::import("os").attr("fspath")(path));
            py::gil_scoped_release release;
            return RopeConfig::from_gguf(file);
          },
          py::arg("path"),
                  "From a GGUF (v2/v3) model file's metadata, as llama.cpp reads it.")
      .def("__copy__", [](const RopeConfig& c) { return c; })
      .def("__deepcopy__", [](const RopeConfig& c, const py::dict&) { return c; }, py::arg("memo"))
      .def("__repr__", &rope_repr);

  m.def(
      "rope",
      [](const py::object& q, const py::object& positions, const py::object& k, const py::object& config,
         std::int64_t offset, bool inverse, const py::object& q_out, const py::object& k_out, const py::object& context,
         const py::kwargs& fields) -> py::object {
        RopeConfig base = config.is_none() ? RopeConfig{} : py::cast<RopeConfig>(config);
        const RopeConfig c = from_fields(std::move(base), fields, "rope");
        const std::vector<std::int64_t> values = copy_positions(positions, "positions");
        if (is_tensor(q)) return rope_tensors(q, k, q_out, k_out, c, values, offset, inverse);
        if (!q_out.is_none() || !k_out.is_none())
          throw py::type_error("rope: q_out and k_out are for device tensors; with numpy arrays the results are returned");
        return rope_arrays(q, k, c, values, offset, inverse, context);
      },
      py::arg("q"), py::arg("positions") = py::none(), py::arg("k") = py::none(), py::kw_only(),
      py::arg("config") = py::none(), py::arg("offset") = 0, py::arg("inverse") = false, py::arg("q_out") = py::none(),
      py::arg("k_out") = py::none(), py::arg("context") = py::none(),
      "rope(q, positions=None, k=None, *, config=None, offset=0, inverse=False, q_out=None, k_out=None, "
      "context=None, **fields)\n\n"
      "Rotary position embedding of q (and k) in one dispatch.\n\n"
      "q: [seq, heads, head_dim] or [batch, seq, heads, head_dim]; k likewise with its own head count. Either "
      "numpy arrays (float32 or float16; the results come back as new arrays of the same dtype: q, or (q, k)) "
      "or vkrope.Tensor (rotated in place, or into q_out / k_out; the output tensors are returned the same way).\n"
      "positions: int32/int64 array or list, [seq] (shared by the batch) or [batch * seq]; stream-major "
      "[streams, seq] for M-RoPE and vision RoPE. None: offset + token index.\n"
      "config: a RopeConfig; None: the defaults. Keyword arguments set any RopeConfig field over it "
      "(theta=, rotary_dim=, layout=, scaling=, ...); head_dim 0 takes q's last dimension.\n"
      "inverse: rotate by the negative angle (undo a rotation).\n"
      "context: for numpy inputs (default: vkrope.default_context()); tensors use their own.\n"
      "Raises InvalidArgumentError for shapes that disagree with the config or each other, positions out of "
      "[0, 2^24] or of the wrong length; TypeError for arrays that are not float32/float16.");

  m.def(
      "vision_grid_positions",
      [](std::int64_t height, std::int64_t width, std::int64_t merge, std::int64_t frames) {
        const RopePositions p = vision_grid_positions(height, width, merge, frames);
        py::array_t<std::int64_t> a(static_cast<py::ssize_t>(p.values.size()));
        std::copy(p.values.begin(), p.values.end(), a.mutable_data());
        return a.attr("reshape")(2, -1);
      },
      py::arg("height"), py::arg("width"), py::arg("merge") = 1, py::arg("frames") = 1,
      "The (row, column) positions of a height x width grid of patches for 2D vision RoPE: an int64 array "
      "[2, frames * height * width], rows first (Qwen2-VL's spatial-merge order when merge > 1).");
}

}  // namespace vkrope::python
