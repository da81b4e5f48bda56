#include "conformance/rope_case.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "conformance/guarded.hpp"
#include "vkrope/check.hpp"
#include "vkrope/reference.hpp"

namespace vkrope::conformance {

namespace {

std::vector<float> random_values(std::size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

}  // namespace

RopeConfig rope_config(RopeScalingType type, RopeLayout layout, bool partial) {
  RopeConfig c;
  c.head_dim = 64;
  c.rotary_dim = partial ? 24 : 0;
  c.layout = layout;
  c.theta = 10000.0;
  c.max_position_embeddings = 2048;
  c.scaling.type = type;
  const std::int64_t half = c.effective_rotary_dim() / 2;
  switch (type) {
    case RopeScalingType::Default: break;
    case RopeScalingType::Linear: c.scaling.factor = 4.0; break;
    case RopeScalingType::Dynamic: c.scaling.factor = 2.0; break;
    case RopeScalingType::Yarn:
      c.theta = 1e6;
      c.scaling.factor = 4.0;
      c.scaling.original_max_position_embeddings = 1024;
      break;
    case RopeScalingType::Llama3:
      c.theta = 500000.0;
      c.scaling.factor = 8.0;
      c.scaling.original_max_position_embeddings = 1024;
      break;
    case RopeScalingType::LongRope:
      c.scaling.original_max_position_embeddings = 1024;
      for (std::int64_t i = 0; i < half; ++i) {
        c.scaling.short_factor.push_back(1.0 + 0.01 * static_cast<double>(i));
        c.scaling.long_factor.push_back(1.0 + 0.5 * static_cast<double>(i));
      }
      break;
  }
  return c;
}

std::string_view to_string(StreamForm form) noexcept {
  switch (form) {
    case StreamForm::Text: return "text";
    case StreamForm::MRope: return "mrope";
    case StreamForm::MRopeInterleaved: return "mrope-interleaved";
    case StreamForm::VisionQwen2VL: return "vision-qwen2vl";
    case StreamForm::VisionPixtral: return "vision-pixtral";
  }
  return "text";
}

RopeConfig with_stream_form(RopeConfig config, StreamForm form) {
  const std::int64_t half = config.effective_rotary_dim() / 2;
  switch (form) {
    case StreamForm::Text: break;
    case StreamForm::MRope:
    case StreamForm::MRopeInterleaved: {
      // 16:24:24 and 24:20:20 of the pairs, the remainder to the temporal stream.
      const std::int64_t h = form == StreamForm::MRope ? half * 24 / 64 : half * 20 / 64;
      config.mrope_section = {half - 2 * h, h, h};
      config.mrope_interleaved = form == StreamForm::MRopeInterleaved;
      break;
    }
    case StreamForm::VisionQwen2VL: config.vision = RopeVision::Qwen2VL; break;
    case StreamForm::VisionPixtral: config.vision = RopeVision::Pixtral; break;
  }
  return config;
}

std::string RopeCase::describe() const {
  static const char* modes[] = {"shared", "per-batch", "offset"};
  std::string streams;
  if (!config.mrope_section.empty())
    streams = std::string(config.mrope_interleaved ? " mrope-interleaved [" : " mrope [") +
              std::to_string(config.mrope_section[0]) + ", " + std::to_string(config.mrope_section[1]) + ", " +
              std::to_string(config.mrope_section[2]) + "]";
  if (config.vision != RopeVision::None) streams = " vision " + std::string(to_string(config.vision));
  return std::string(to_string(config.scaling.type)) + streams + " " + std::string(to_string(config.layout)) + " " +
         std::string(to_string(dtype)) + " rotary " + std::to_string(config.effective_rotary_dim()) + "/" +
         std::to_string(config.head_dim) + " positions " + modes[static_cast<int>(positions)] +
         (strided ? " strided" : "") + (in_place ? " in-place" : " out-of-place") + (inverse ? " inverse" : "") +
         " B" + std::to_string(batch) + " S" + std::to_string(seq) + " Hq" + std::to_string(q_heads) + " Hk" +
         std::to_string(k_heads) + " max_pos " + std::to_string(max_position);
}

RopeResult run_rope_case(const Context& ctx, const RopeCase& c, std::mt19937& rng) {
  const std::int64_t D = c.config.head_dim, B = c.batch, S = c.seq, Hq = c.q_heads, Hk = c.k_heads;
  const Shape q_shape{B, S, Hq, D}, k_shape{B, S, Hk, D};

  // Inputs: separate tensors, or slices of one fused QKV buffer (v is the untouched third).
  std::optional<Tensor> fused;
  Tensor q = Tensor::empty(ctx, c.dtype, {1}), k = q;
  std::optional<Tensor> v;
  if (c.strided) {
    const std::int64_t W = (Hq + 2 * Hk) * D;
    fused = Tensor::from_floats(ctx, c.dtype, {B, S, W}, random_values(static_cast<std::size_t>(B * S * W), rng));
    q = fused->view(q_shape, {S * W, W, D, 1}, 0);
    k = fused->view(k_shape, {S * W, W, D, 1}, Hq * D);
    v = fused->view(k_shape, {S * W, W, D, 1}, (Hq + Hk) * D);
  } else {
    q = Tensor::from_floats(ctx, c.dtype, q_shape, random_values(static_cast<std::size_t>(B * S * Hq * D), rng));
    k = Tensor::from_floats(ctx, c.dtype, k_shape, random_values(static_cast<std::size_t>(B * S * Hk * D), rng));
  }
  const std::vector<float> q_in = q.download(), k_in = k.download();  // as stored (f16 rounded)
  const std::vector<float> v_in = v ? v->download() : std::vector<float>{};

  std::optional<Guarded> q_out, k_out;
  if (!c.in_place) {
    q_out = guarded_output(ctx, c.dtype, q_shape);
    k_out = guarded_output(ctx, c.dtype, k_shape);
  }

  // Positions, stream-major with several streams ([streams][B * S] expanded).
  RopePositions positions;
  std::uniform_int_distribution<std::int64_t> pos(0, c.max_position);
  const std::int64_t streams = c.config.position_streams(), tokens = B * S;
  std::vector<std::int64_t> expanded(static_cast<std::size_t>(streams * tokens));
  if (c.positions == PositionMode::Offset) {
    positions.offset = std::uniform_int_distribution<std::int64_t>(0, c.max_position - S + 1)(rng);
    for (std::int64_t t = 0; t < streams * tokens; ++t)
      expanded[static_cast<std::size_t>(t)] = positions.offset + t % S;
  } else {
    const std::int64_t n = c.positions == PositionMode::Shared ? S : tokens;
    for (std::int64_t i = 0; i < streams * n; ++i) positions.values.push_back(pos(rng));
    for (std::int64_t st = 0; st < streams; ++st)
      for (std::int64_t t = 0; t < tokens; ++t)
        expanded[static_cast<std::size_t>(st * tokens + t)] = positions.values[static_cast<std::size_t>(st * n + t % n)];
  }

  RopeTensors tensors{q, q_out ? std::optional(q_out->view) : std::nullopt, k,
                      k_out ? std::optional(k_out->view) : std::nullopt};
  // Profiled, so the result names the kernel that ran (its dispatch label, "rope[heads] ...").
  Batch batch(ctx, {.profile = true});
  rope(batch, c.config, tensors, positions, c.inverse);
  batch.submit();
  std::string kernel;
  if (!batch.profile().empty()) {
    const std::string& label = batch.profile().front().label;
    const std::size_t open = label.find('['), close = label.find(']');
    if (open != std::string::npos && close > open) kernel = label.substr(open + 1, close - open - 1);
  }

  // Reference in double on exactly the stored inputs.
  const std::int64_t max_pos = *std::max_element(expanded.begin(), expanded.end());
  const RopeFrequencies freq = rope_frequencies(c.config, max_pos);
  const std::vector<double> qd(q_in.begin(), q_in.end()), kd(k_in.begin(), k_in.end());
  const auto q_ref = reference::rope(qd, B, S, Hq, c.config, freq, expanded, c.inverse);
  const auto k_ref = reference::rope(kd, B, S, Hk, c.config, freq, expanded, c.inverse);
  const CompareReport rq = compare((q_out ? q_out->view : q).download(), q_ref);
  const CompareReport rk = compare((k_out ? k_out->view : k).download(), k_ref);

  RopeResult result;
  result.kernel = kernel;
  result.rel_err = std::max(rq.rel_err, rk.rel_err);
  result.max_abs_err = std::max(rq.max_abs_err, rk.max_abs_err);
  for (float x : q_in) result.max_abs_input = std::max<double>(result.max_abs_input, std::abs(x));
  for (float x : k_in) result.max_abs_input = std::max<double>(result.max_abs_input, std::abs(x));
  // f32: 1e-6 of max|x| (what the issue asks at every position); f16: 1e-3, twice the
  // half-ulp (2^-11 = 4.9e-4) of one rounding of the output. Scaled by the attention factor.
  const double tolerance = c.dtype == DType::f32 ? 1e-6 : 1e-3;
  result.tolerance = tolerance * result.max_abs_input * std::max(1.0, freq.attention_factor);
  result.detail = "q: " + rq.to_string() + "; k: " + rk.to_string();

  if (q_out) result.guard_intact = guard_intact(*q_out) && guard_intact(*k_out) && q.download() == q_in &&
                                   k.download() == k_in;  // out of place: inputs untouched
  if (v) result.guard_intact = result.guard_intact && v->download() == v_in;  // v never touched
  return result;
}

}  // namespace vkrope::conformance
