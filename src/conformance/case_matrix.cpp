#include "conformance/case_matrix.hpp"

#include <array>
#include <set>
#include <stdexcept>

#include "conformance/attention_case.hpp"
#include "conformance/kv_decode_case.hpp"
#include "conformance/kv_layout_case.hpp"
#include "conformance/linear_attention_case.hpp"
#include "conformance/position_embedding_case.hpp"
#include "conformance/rope_case.hpp"

namespace vkrope::conformance {

namespace {

using nlohmann::json;

std::string dtype_name(DType q, DType kv) {
  if (q == kv) return std::string(to_string(q));
  return "q" + std::string(to_string(q)) + "-kv" + std::string(to_string(kv));
}

// A case judged by its relative (L2) error, and failed outright by a write outside its output.
CaseOutcome relative_outcome(const CompareReport& report, double tolerance, bool guard_intact) {
  CaseOutcome o;
  o.rel_err = report.rel_err;
  o.max_abs_err = report.max_abs_err;
  o.metric = "rel_err";
  o.tolerance = tolerance;
  o.passed = report.rel_err <= tolerance && guard_intact;
  o.detail = (guard_intact ? "" : "wrote outside its output; ") + report.to_string();
  return o;
}

// --- RoPE ------------------------------------------------------------------------------------

json rope_params(const RopeCase& c) {
  static const char* modes[] = {"shared", "per-batch", "offset"};
  return {{"scaling", to_string(c.config.scaling.type)}, {"layout", to_string(c.config.layout)},
          {"dtype", to_string(c.dtype)},                  {"head_dim", c.config.head_dim},
          {"rotary_dim", c.config.effective_rotary_dim()}, {"positions", modes[static_cast<int>(c.positions)]},
          {"max_position", c.max_position},               {"strided", c.strided},
          {"in_place", c.in_place},                       {"inverse", c.inverse},
          {"batch", c.batch},                             {"seq", c.seq},
          {"q_heads", c.q_heads},                         {"k_heads", c.k_heads},
          {"mrope_section", c.config.mrope_section},      {"mrope_interleaved", c.config.mrope_interleaved},
          {"vision", to_string(c.config.vision)}};
}

// The checks of one RoPE case, as a conformance outcome.
CaseOutcome rope_outcome(const RopeResult& r, double scale) {
  CaseOutcome o;
  o.rel_err = r.rel_err;
  o.max_abs_err = r.max_abs_err;
  o.metric = "max_abs_err";
  o.tolerance = r.tolerance * scale;  // rope_check.hpp: 2e-6 / 1e-3 of max|x| (x attention factor)
  o.passed = r.max_abs_err <= o.tolerance && r.guard_intact;
  o.detail = r.guard_intact ? r.detail : "wrote outside its output or changed an input; " + r.detail;
  if (!r.kernel.empty()) o.kernels = {r.kernel};
  return o;
}

// Layouts x scaling types x f32/f16 x partial rotary x positions near 0 / up to 2^20 x
// forward/inverse: 192 cases. The position form, strided views and in-place run cycle
// through the cases so each appears with every scaling type.
void add_rope_cases(std::vector<Case>& cases) {
  const std::array types = {RopeScalingType::Default, RopeScalingType::Linear, RopeScalingType::Dynamic,
                            RopeScalingType::Yarn,    RopeScalingType::Llama3, RopeScalingType::LongRope};
  int index = 0;
  for (RopeScalingType type : types)
    for (RopeLayout layout : {RopeLayout::Neox, RopeLayout::Interleaved})
      for (DType dtype : {DType::f32, DType::f16})
        for (bool partial : {false, true})
          for (bool far : {false, true})
            for (bool inverse : {false, true}) {
              RopeCase c;
              c.config = rope_config(type, layout, partial);
              c.dtype = dtype;
              c.inverse = inverse;
              c.max_position = far ? std::int64_t{1} << 20 : 64;
              c.positions = static_cast<PositionMode>(index % 3);
              c.strided = index % 4 == 1;
              c.in_place = index % 4 == 2;
              ++index;
              Case k;
              k.id = "rope/" + std::string(to_string(type)) + "/" + std::string(to_string(layout)) + "/" +
                     std::string(to_string(dtype)) + "/" + (partial ? "partial" : "full") + "/" +
                     (far ? "far" : "near") + "/" + (inverse ? "inverse" : "forward");
              k.op = "rope";
              k.storage = std::string(to_string(dtype));
              k.params = rope_params(c);
              // Quick: each scaling type in both dtypes, far positions, forward.
              k.quick = far && !inverse && partial == (dtype == DType::f16) &&
                        (layout == RopeLayout::Neox) == (dtype == DType::f32);
              k.run = [c](const Context& ctx, std::mt19937& rng, double scale) {
                return rope_outcome(run_rope_case(ctx, c, rng), scale);
              };
              cases.push_back(std::move(k));
            }
}

// M-RoPE (contiguous and interleaved) and 2D vision RoPE (Qwen2-VL, Pixtral) x the scaling
// types (vision towers: default and linear) x layouts x f32/f16 x partial rotary x near/far
// positions; the position form, strided views and in-place cycle. Quick: each form in
// f32 and f16, far, default scaling.
void add_rope_stream_cases(std::vector<Case>& cases) {
  int index = 0;
  for (StreamForm form : kStreamForms) {
    const bool vision = form == StreamForm::VisionQwen2VL || form == StreamForm::VisionPixtral;
    std::vector<RopeScalingType> types = {RopeScalingType::Default, RopeScalingType::Linear};
    if (!vision) types = {RopeScalingType::Default, RopeScalingType::Linear, RopeScalingType::Dynamic,
                          RopeScalingType::Yarn,    RopeScalingType::Llama3, RopeScalingType::LongRope};
    for (RopeScalingType type : types)
      for (RopeLayout layout : {RopeLayout::Neox, RopeLayout::Interleaved})
        for (DType dtype : {DType::f32, DType::f16})
          for (bool partial : {false, true})
            for (bool far : {false, true}) {
              RopeCase c;
              c.config = with_stream_form(rope_config(type, layout, partial), form);
              c.dtype = dtype;
              c.max_position = far ? std::int64_t{1} << 20 : 64;
              c.positions = static_cast<PositionMode>(index % 3);
              c.strided = index % 4 == 1;
              c.in_place = index % 4 == 2;
              c.inverse = index % 5 == 3;
              ++index;
              Case k;
              k.id = "rope/" + std::string(to_string(form)) + "/" + std::string(to_string(type)) + "/" +
                     std::string(to_string(layout)) + "/" + std::string(to_string(dtype)) + "/" +
                     (partial ? "partial" : "full") + "/" + (far ? "far" : "near");
              k.op = "rope";
              k.storage = std::string(to_string(dtype));
              k.params = rope_params(c);
              k.quick = far && type == RopeScalingType::Default && layout == RopeLayout::Neox &&
                        partial == (dtype == DType::f16);
              k.run = [c](const Context& ctx, std::mt19937& rng, double scale) {
                return rope_outcome(run_rope_case(ctx, c, rng), scale);
              };
              cases.push_back(std::move(k));
            }
  }
}

// --- Absolute position embeddings ------------------------------------------------------------

// Sinusoidal: x f32 / f16 x [B, S, d] / [S, d] x positions near 0 / up to 2^24; learned: x
// f32 / f16 x table f32 / f16 x [B, S, d] / [S, d] x within the table / clamped: 24 cases.
// The position form, strided views, in place and the sqrt(d) scale cycle through them.
// Quick: one case per storage pairing (f32, f16, f32 x over an f16 table and the reverse).
void add_position_embedding_cases(std::vector<Case>& cases) {
  int index = 0;
  for (PositionEmbeddingKind kind : {PositionEmbeddingKind::Sinusoidal, PositionEmbeddingKind::Learned})
    for (DType x_dtype : {DType::f32, DType::f16})
      for (DType table_dtype : {DType::f32, DType::f16})
        for (bool three_dim : {true, false})
          for (bool far_or_clamp : {false, true}) {
            const bool learned = kind == PositionEmbeddingKind::Learned;
            if (!learned && table_dtype == DType::f16) continue;
            PositionEmbeddingCase c;
            c.kind = kind;
            c.x_dtype = x_dtype;
            c.table_dtype = table_dtype;
            c.three_dim = three_dim;
            c.clamp = learned && far_or_clamp;
            c.max_position = far_or_clamp ? std::int64_t{1} << 24 : 64;
            c.positions = static_cast<PositionMode>(index % 3);
            c.strided = index % 4 == 1;
            c.in_place = index % 4 == 2;
            c.scale = index % 2 == 1;
            ++index;
            const std::string storage = std::string(to_string(x_dtype)) +
                                        (learned && table_dtype != x_dtype ? "/" + std::string(to_string(table_dtype)) : "");
            Case k;
            k.id = "position_embedding/" + std::string(to_string(kind)) + "/" + std::string(to_string(x_dtype)) +
                   (learned ? "-table-" + std::string(to_string(table_dtype)) : "") + "/" + (three_dim ? "bsd" : "sd") +
                   "/" + (learned ? (far_or_clamp ? "clamp" : "in-table") : (far_or_clamp ? "far" : "near"));
            k.op = "position_embedding";
            k.storage = storage;
            static const char* modes[] = {"shared", "per-batch", "offset"};
            k.params = {{"kind", to_string(kind)},       {"x_dtype", to_string(x_dtype)},
                        {"batch", three_dim ? c.batch : 1}, {"seq", c.seq},
                        {"d", c.dim},                      {"three_dim", three_dim},
                        {"positions", modes[static_cast<int>(c.positions)]},
                        {"strided", c.strided},            {"in_place", c.in_place},
                        {"x_scale", c.config().x_scale}};
            if (learned) {
              k.params["table_dtype"] = to_string(table_dtype);
              k.params["table_rows"] = c.table_rows;
              k.params["clamp"] = c.clamp;
            } else {
              k.params["base"] = c.base;
              k.params["max_position"] = c.max_position;
            }
            // One per storage pairing, far or clamped, [B, S, d] for f16 x and [S, d] for f32 x.
            k.quick = far_or_clamp && three_dim == (x_dtype == DType::f16) && (!learned || table_dtype != x_dtype);
            k.run = [c](const Context& ctx, std::mt19937& rng, double scale) {
              const PositionEmbeddingResult r = run_position_embedding_case(ctx, c, rng);
              CaseOutcome o;
              o.rel_err = r.rel_err;
              o.max_abs_err = r.max_abs_err;
              o.metric = "max_abs_err";  // position_embedding_check.hpp; rel_err is bounded too
              o.tolerance = r.max_abs_tolerance * scale;
              o.passed = r.max_abs_err <= o.tolerance && r.rel_err <= r.rel_tolerance * scale && r.untouched;
              o.detail = r.detail;
              return o;
            };
            cases.push_back(std::move(k));
          }
}

// --- Attention -------------------------------------------------------------------------------

json attention_params(const AttentionCase& c) {
  json p = {{"batch", c.batch},       {"sq", c.sq},
            {"skv", c.skv},           {"heads", c.heads},
            {"kv_heads", c.kv_heads}, {"head_dim", c.head_dim},
            {"q_dtype", to_string(c.q_dtype)}, {"kv_dtype", to_string(c.kv_dtype)},
            {"causal", c.config.causal}};
  if (c.three_dim) p["three_dim"] = true;
  if (c.fused_qkv) p["fused_qkv"] = true;
  if (c.config.window) p["window"] = *c.config.window;
  if (c.config.alibi) p["alibi"] = true;
  if (c.config.softcap > 0) p["softcap"] = c.config.softcap;
  if (c.config.scale) p["scale"] = *c.config.scale;
  if (!c.config.sinks.empty()) p["sinks"] = c.config.sinks;
  if (c.config.rope)
    p["rope"] = {{"layout", to_string(c.config.rope->layout)}, {"rotary_dim", c.config.rope->effective_rotary_dim()}};
  if (!c.config.query_positions.empty()) p["explicit_positions"] = true;
  if (c.config.key_splits) p["key_splits"] = c.config.key_splits;
  if (c.input_scale != 1.0f) p["input_scale"] = c.input_scale;
  return p;
}

// Explicit positions are drawn per run: queries in [-5, Skv + 5] (a negative one sees no key
// under causal masking; fused RoPE takes positions >= 0 only), keys 0..Skv-1 shuffled.
void draw_positions(AttentionConfig& config, std::int64_t sq, std::int64_t skv, std::mt19937& rng) {
  std::uniform_int_distribution<std::int64_t> pos(config.rope ? 0 : -5, skv + 5);
  config.query_positions.resize(static_cast<std::size_t>(sq));
  for (auto& p : config.query_positions) p = pos(rng);
  config.key_positions.resize(static_cast<std::size_t>(skv));
  for (std::int64_t j = 0; j < skv; ++j) config.key_positions[static_cast<std::size_t>(j)] = j;
  std::shuffle(config.key_positions.begin(), config.key_positions.end(), rng);
}

Case attention_case(std::string id, std::string op, const AttentionCase& c, bool quick) {
  Case k;
  k.id = std::move(id);
  k.op = std::move(op);
  k.storage = c.q_dtype == c.kv_dtype ? std::string(to_string(c.q_dtype))
                                      : std::string(to_string(c.q_dtype)) + "/" + std::string(to_string(c.kv_dtype));
  k.params = attention_params(c);
  k.quick = quick;
  k.run = [c](const Context& ctx, std::mt19937& rng, double scale) {
    AttentionCase run = c;
    if (!run.config.query_positions.empty()) draw_positions(run.config, run.sq, run.skv, rng);
    const AttentionResult r = run_attention_case(ctx, run, rng);
    CaseOutcome o = relative_outcome(r.report, attention_case_tolerance(run) * scale, r.guard_intact);
    o.kernels = r.kernels;
    return o;
  };
  return k;
}

std::string shape_id(const AttentionCase& c) {
  return "sq" + std::to_string(c.sq) + "-skv" + std::to_string(c.skv) + "/h" + std::to_string(c.heads) + "-" +
         std::to_string(c.kv_heads) + "/d" + std::to_string(c.head_dim) + "/" + dtype_name(c.q_dtype, c.kv_dtype);
}

// Prefill shapes not a multiple of any tile, MHA/GQA/MQA, head dims 64, 128 and 72, causal
// or not: 36 cases, and 4 at Sq 257 x Skv 1024.
void add_prefill_cases(std::vector<Case>& cases) {
  struct Size { std::int64_t sq, skv; };
  for (Size size : {Size{7, 63}, Size{64, 300}, Size{257, 1024}})
    for (auto [h, hkv] : {std::pair<std::int64_t, std::int64_t>{8, 8}, {8, 2}, {8, 1}})
      for (std::int64_t d : {64, 128, 72})
        for (bool causal : {false, true}) {
          if (size.sq == 257 && (hkv != 2 || d == 72)) continue;
          AttentionCase c;
          c.sq = size.sq;
          c.skv = size.skv;
          c.heads = h;
          c.kv_heads = hkv;
          c.head_dim = d;
          c.config.causal = causal;
          const bool quick = size.sq == 64 && hkv == 2 && d != 72;
          cases.push_back(attention_case("attention/prefill/" + shape_id(c) + (causal ? "/causal" : "/full"),
                                         "attention", c, quick));
        }
}

// One query (or four) over many keys: the split-KV path and its combine pass, f32 and f32
// queries over an f16 cache.
void add_decode_cases(std::vector<Case>& cases) {
  for (std::int64_t skv : {63, 1000, 4097})
    for (auto [h, hkv] : {std::pair<std::int64_t, std::int64_t>{8, 8}, {8, 2}, {8, 1}})
      for (std::int64_t d : {64, 128})
        for (std::int64_t sq : {1, 4}) {
          if (sq == 4 && skv != 1000) continue;
          AttentionCase c;
          c.sq = sq;
          c.skv = skv;
          c.heads = h;
          c.kv_heads = hkv;
          c.head_dim = d;
          c.kv_dtype = d == 128 ? DType::f16 : DType::f32;
          c.config.causal = sq > 1;
          const bool quick = skv == 1000 && hkv == 2 && sq == 1;
          cases.push_back(attention_case("attention/decode/" + shape_id(c), "attention_decode", c, quick));
        }
}

// Each option alone and all together, in f32, f16, and f32 queries over f16 keys and
// values, at a prefill shape (B 2, Sq 37, Skv 70, H 6/2, D 64) and a decode shape.
void add_option_cases(std::vector<Case>& cases) {
  struct Option {
    const char* name;
    std::function<void(AttentionConfig&)> apply;
  };
  RopeConfig neox;
  neox.head_dim = 64;
  RopeConfig interleaved = neox;
  interleaved.layout = RopeLayout::Interleaved;
  interleaved.rotary_dim = 32;
  const std::vector<Option> options = {
      {"window", [](AttentionConfig& c) { c.causal = true; c.window = 16; }},
      {"alibi", [](AttentionConfig& c) { c.causal = true; c.alibi = true; }},
      {"softcap", [](AttentionConfig& c) { c.softcap = 5.0; c.scale = 1.0; }},  // logits of a few units: the cap bends them
      {"sinks", [](AttentionConfig& c) { c.causal = true; c.sinks = {0.5f, -1.0f, 0.0f, 2.0f, 0.25f, 1.0f}; }},
      {"rope-neox", [neox](AttentionConfig& c) { c.causal = true; c.rope = neox; }},
      {"rope-interleaved-partial", [interleaved](AttentionConfig& c) { c.causal = true; c.rope = interleaved; }},
      {"explicit-positions", [](AttentionConfig& c) { c.causal = true; c.query_positions = {0}; c.key_positions = {0}; }},
      {"all", [interleaved](AttentionConfig& c) {
         c.causal = true; c.window = 24; c.alibi = true; c.softcap = 30.0;
         c.sinks = {0.25f, 0.5f, 0.0f, -0.5f, 1.0f, 0.75f}; c.rope = interleaved;
         c.query_positions = {0}; c.key_positions = {0};
       }},
  };
  for (const Option& option : options)
    for (auto [q, kv] : {std::pair{DType::f32, DType::f32}, {DType::f16, DType::f16}, {DType::f32, DType::f16}})
      for (std::int64_t sq : {37, 1}) {
        if (sq == 1 && q != kv) continue;
        AttentionCase c;
        c.batch = 2;
        c.sq = sq;
        c.skv = sq == 1 ? 300 : 70;
        c.heads = 6;  // ALiBi: not a power of two, the interleaved slope sequence
        c.kv_heads = 2;
        c.q_dtype = q;
        c.kv_dtype = kv;
        option.apply(c.config);
        const bool quick = std::string(option.name) == "all" && q == kv;
        cases.push_back(attention_case(std::string("attention/option/") + option.name + "/" +
                                           (sq == 1 ? "decode/" : "prefill/") + dtype_name(q, kv),
                                       sq == 1 ? "attention_decode" : "attention", c, quick));
      }

  // Layout and numerics edge cases.
  AttentionCase strided;
  strided.batch = 2;
  strided.sq = strided.skv = 45;
  strided.heads = 6;
  strided.kv_heads = 2;
  strided.fused_qkv = true;
  strided.config.causal = true;
  cases.push_back(attention_case("attention/edge/fused-qkv-views", "attention", strided, false));
  AttentionCase three = strided;
  three.fused_qkv = false;
  three.three_dim = true;
  three.skv = 90;
  cases.push_back(attention_case("attention/edge/three-dim", "attention", three, false));
  AttentionCase masked = strided;
  masked.fused_qkv = false;
  masked.sq = 9;
  masked.skv = 40;
  masked.config.query_positions = {0};  // drawn from [-5, 45]: some rows see no key
  masked.config.key_positions = {0};
  cases.push_back(attention_case("attention/edge/masked-rows", "attention", masked, false));
  for (std::int64_t splits : {1, 5}) {
    AttentionCase large = masked;
    large.sq = 4;
    large.skv = 200;
    large.config = {};
    large.config.scale = 1.0;
    large.config.key_splits = splits;
    large.input_scale = 30.0f;  // |q . k| ~ 1e4
    cases.push_back(attention_case("attention/edge/large-logits/splits" + std::to_string(splits), "attention", large,
                                   false));
  }
}

// K and V stored in the other formats (the reference sees the stored values, so the
// tolerance is float32's): a causal GQA prefill with a window and ALiBi, and a split decode
// with softcap and sinks, per format; K and V in different formats once.
void add_kv_format_cases(std::vector<Case>& cases) {
  for (DType format : {DType::bf16, DType::q8_0, DType::q4_0})
    for (bool prefill : {true, false}) {
      AttentionCase c;
      c.heads = 8;
      c.kv_heads = 2;
      c.kv_dtype = format;
      if (prefill) {
        c.sq = c.skv = 48;
        c.config.causal = true;
        c.config.window = 20;
        c.config.alibi = true;
      } else {
        c.skv = 300;
        c.config.key_splits = 4;
        c.config.softcap = 30.0;
        c.config.sinks = {0.5f, -1.0f, 2.0f, 0.0f, 1.0f, -0.5f, 0.25f, 3.0f};
      }
      cases.push_back(attention_case("attention/kv-format/" + std::string(to_string(format)) +
                                         (prefill ? "/prefill" : "/decode"),
                                     "attention", c, prefill && format == DType::q4_0));
    }
}

// --- Linear attention --------------------------------------------------------------------------

// Non-causal (Sq != Skv) and causal (GQA, Dv != D, several chunks) x f32 / f16 x no RoPE /
// neox / interleaved with YaRN, the feature map alternating: 12 cases; and decode through a
// LinearAttentionState after a prefill, f32 and f16: 2. Quick: a causal f32 case with RoPE
// and a non-causal f16 one.
void add_linear_attention_cases(std::vector<Case>& cases) {
  int index = 0;
  const auto add = [&](const LinearAttentionCase& c, const std::string& id, bool quick) {
    Case k;
    k.id = id;
    k.op = "linear_attention";
    k.storage = std::string(to_string(c.dtype));
    k.params = {{"batch", c.batch},
                {"sq", c.sq},
                {"skv", c.skv},
                {"heads", c.heads},
                {"kv_heads", c.kv_heads},
                {"head_dim", c.dim},
                {"value_dim", c.value_dim},
                {"causal", c.config.causal},
                {"feature", to_string(c.config.feature)},
                {"rope", c.config.rope ? json{{"layout", to_string(c.config.rope->layout)},
                                              {"scaling", to_string(c.config.rope->scaling.type)}}
                                       : json(nullptr)},
                {"decode_after", c.decode ? json(c.prefill) : json(nullptr)}};
    k.quick = quick;
    k.run = [c](const Context& ctx, std::mt19937& rng, double scale) {
      const LinearAttentionResult r = run_linear_attention_case(ctx, c, rng);
      return relative_outcome(r.report, linear_attention_case_tolerance(c) * scale, r.guard_intact);
    };
    cases.push_back(std::move(k));
  };
  for (bool causal : {false, true})
    for (DType dtype : {DType::f32, DType::f16})
      for (const char* rope : {"none", "neox", "interleaved-yarn"}) {
        LinearAttentionCase c;
        c.dtype = dtype;
        c.config.causal = causal;
        c.config.feature = index++ % 2 ? LinearFeature::Relu : LinearFeature::Elu1;
        if (causal) {
          c.batch = 2, c.sq = c.skv = 70, c.heads = 8, c.kv_heads = 2, c.dim = 64, c.value_dim = 48;
        } else {
          c.sq = 33, c.skv = 90, c.heads = 4, c.kv_heads = 4, c.dim = 32, c.value_dim = 32;
        }
        if (std::string(rope) != "none") {
          RopeConfig r;
          r.head_dim = c.dim;
          if (std::string(rope) == "interleaved-yarn") {
            r.layout = RopeLayout::Interleaved;
            r.scaling.type = RopeScalingType::Yarn;
            r.scaling.factor = 4.0;
            r.max_position_embeddings = 256;
            r.scaling.original_max_position_embeddings = 64;
          }
          c.config.rope = r;
        }
        const std::string id = "linear_attention/" + std::string(causal ? "causal" : "full") + "/" +
                               std::string(to_string(dtype)) + "/" + rope + "/" +
                               std::string(to_string(c.config.feature));
        add(c, id, (causal && dtype == DType::f32 && std::string(rope) == "neox") ||
                       (!causal && dtype == DType::f16 && std::string(rope) == "none"));
      }
  for (DType dtype : {DType::f32, DType::f16}) {
    LinearAttentionCase c;
    c.dtype = dtype;
    c.sq = c.skv = 40;
    c.decode = true;
    c.prefill = 24;
    c.config.causal = true;
    c.config.rope = RopeConfig{};
    c.config.rope->head_dim = c.dim;
    add(c, "linear_attention/decode-state/" + std::string(to_string(dtype)), false);
  }
}

// --- KvCache ---------------------------------------------------------------------------------

void add_kv_cache_cases(std::vector<Case>& cases) {
  for (std::int64_t steps : {20, 100})
    for (RopeLayout layout : {RopeLayout::Neox, RopeLayout::Interleaved})
      for (DType dtype : {DType::f32, DType::f16}) {
        if (steps == 20 && layout == RopeLayout::Interleaved) continue;
        if (steps == 20 && dtype == DType::f32) continue;  // f32's format run below
        KvDecodeCase c;
        c.steps = steps;
        c.layout = layout;
        c.cache_dtype = dtype;
        Case k;
        k.id = "kv_cache/decode" + std::to_string(steps) + "/" + std::string(to_string(layout)) + "/" +
               std::string(to_string(dtype));
        k.op = "kv_cache";
        k.storage = dtype == DType::f32 ? "f32" : "f32/f16";  // f32 activations into an f16 cache
        k.params = {{"steps", c.steps},         {"heads", c.heads},
                    {"kv_heads", c.kv_heads},   {"head_dim", c.head_dim},
                    {"cache_dtype", to_string(c.cache_dtype)}, {"rope_layout", to_string(c.layout)}};
        k.quick = steps == 20 && dtype == DType::f16;
        k.run = [c](const Context& ctx, std::mt19937& rng, double scale) {
          const KvDecodeResult r = run_kv_decode_case(ctx, c, rng);
          return relative_outcome(r.report, kv_decode_tolerance(c) * scale, r.guard_intact);
        };
        cases.push_back(std::move(k));
      }
  // A cache per storage format, K and V in different ones too (quantized on append).
  for (auto [k_format, v_format] : {std::pair{DType::f32, DType::f32}, {DType::bf16, DType::bf16},
                                    {DType::q8_0, DType::q8_0}, {DType::q4_0, DType::q4_0}, {DType::q8_0, DType::q4_0}}) {
    KvDecodeCase c;
    c.steps = 20;
    c.cache_dtype = k_format;
    c.value_dtype = v_format;
    Case k;
    k.id = "kv_cache/decode20/neox/" + std::string(to_string(k_format)) +
           (k_format == v_format ? "" : "-" + std::string(to_string(v_format)));
    k.op = "kv_cache";
    k.storage = "f32/" + std::string(to_string(k_format)) + (k_format == v_format ? "" : "+" + std::string(to_string(v_format)));
    k.params = {{"steps", c.steps}, {"heads", c.heads}, {"kv_heads", c.kv_heads}, {"head_dim", c.head_dim},
                {"cache_dtype", to_string(c.cache_dtype)}, {"value_dtype", to_string(v_format)},
                {"rope_layout", to_string(c.layout)}};
    k.quick = k_format == DType::q8_0 && v_format == DType::q4_0;
    k.run = [c](const Context& ctx, std::mt19937& rng, double scale) {
      const KvDecodeResult r = run_kv_decode_case(ctx, c, rng);
      return relative_outcome(r.report, kv_decode_tolerance(c) * scale, r.guard_intact);
    };
    cases.push_back(std::move(k));
  }
}

// The cache's layouts, one format each (and q4_0 once more paged): a decode step of a
// ragged batch, of forks sharing pages, and of a ring with sinks after three windows.
void add_kv_layout_cases(std::vector<Case>& cases) {
  for (auto [layout, format] : {std::pair{KvLayout::Ragged, DType::f16}, {KvLayout::PagedForks, DType::q8_0},
                                {KvLayout::PagedForks, DType::q4_0}, {KvLayout::RingWithSinks, DType::bf16}}) {
    KvLayoutCase c;
    c.layout = layout;
    c.format = format;
    Case k;
    k.id = "kv_cache/" + std::string(to_string(layout)) + "/" + std::string(vkrope::to_string(format));
    k.op = "kv_cache";
    k.storage = "f32/" + std::string(vkrope::to_string(format));
    k.params = {{"layout", to_string(layout)}, {"heads", c.heads}, {"kv_heads", c.kv_heads},
                {"head_dim", c.head_dim}, {"cache_dtype", vkrope::to_string(format)}};
    k.quick = layout == KvLayout::PagedForks && format == DType::q8_0;
    k.run = [c](const Context& ctx, std::mt19937& rng, double scale) {
      const KvLayoutResult r = run_kv_layout_case(ctx, c, rng);
      return relative_outcome(r.report, 1e-5 * scale, r.guard_intact);  // float32 over the stored values
    };
    cases.push_back(std::move(k));
  }
}

std::vector<Case> build_cases() {
  std::vector<Case> cases;
  add_rope_cases(cases);
  add_rope_stream_cases(cases);
  add_position_embedding_cases(cases);
  add_prefill_cases(cases);
  add_decode_cases(cases);
  add_option_cases(cases);
  add_kv_format_cases(cases);
  add_kv_cache_cases(cases);
  add_kv_layout_cases(cases);
  add_linear_attention_cases(cases);
  std::set<std::string> ids;
  for (const Case& c : cases)
    if (!ids.insert(c.id).second) throw std::logic_error("conformance: duplicate case id " + c.id);
  return cases;
}

}  // namespace

const std::vector<Case>& all_cases() {
  static const std::vector<Case> cases = build_cases();
  return cases;
}

std::uint32_t case_seed(std::uint32_t run_seed, std::string_view id) {
  // FNV-1a of the id, mixed with the run seed by splitmix64's finalizer.
  std::uint64_t h = 1469598103934665603ull;
  for (char ch : id) h = (h ^ static_cast<unsigned char>(ch)) * 1099511628211ull;
  std::uint64_t z = h ^ (std::uint64_t{run_seed} * 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return static_cast<std::uint32_t>(z ^ (z >> 31));
}

}  // namespace vkrope::conformance
