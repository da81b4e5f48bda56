// rope_frequencies: each rope_type's inv_freq and attention_factor, as Hugging Face
// transformers defines them in modeling_rope_utils.py (its newest form, where rope_scaling
// became rope_parameters), computed in double where transformers uses float32. Where
// transformers versions disagree, the choice is noted at the function concerned.
#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "rope/position_streams.hpp"
#include "vkrope/error.hpp"
#include "vkrope/rope.hpp"

namespace vkrope {

namespace {

using Table = std::vector<double>;

// theta^(-2i / dim) for the dim / 2 pairs: the frequencies every type starts from.
Table default_inv_freq(double theta, std::int64_t dim) {
  Table inv_freq(static_cast<std::size_t>(dim / 2));
  for (std::size_t i = 0; i < inv_freq.size(); ++i) {
    inv_freq[i] = 1.0 / std::pow(theta, static_cast<double>(2 * i) / static_cast<double>(dim));
  }
  return inv_freq;
}

// The pretraining context length of yarn, llama3 and longrope. transformers fills a missing
// original_max_position_embeddings with max_position_embeddings (standardize_rope_params).
double original_length(const RopeConfig& config) {
  return static_cast<double>(config.scaling.original_max_position_embeddings.value_or(config.max_position_embeddings));
}

// Dynamic NTK: past the trained length the base grows with the sequence, so the lowest
// frequency still completes less than one turn. transformers uses seq_len = max(position) + 1
// and leaves the base alone up to max_position_embeddings. Its forward hook also keeps the
// largest table seen so far until the sequence drops back under max_position_embeddings;
// that history is per module, and a stateless call cannot have it: each call here uses its
// own longest sequence, which is what a fresh transformers module computes for that call.
Table dynamic_inv_freq(const RopeConfig& config, std::int64_t max_position) {
  const std::int64_t dim = config.effective_rotary_dim();
  const double seq_len = static_cast<double>(max_position) + 1.0;
  const double trained = static_cast<double>(config.max_position_embeddings);
  double base = config.theta;
  if (seq_len > trained) {
    const double factor = config.scaling.factor;
    const double d = static_cast<double>(dim);
    base *= std::pow(factor * seq_len / trained - (factor - 1.0), d / (d - 2.0));
  }
  return default_inv_freq(base, dim);
}

// YaRN's attention temperature: 0.1 * m * ln(scale) + 1, and 1 when not extending.
double yarn_mscale(double scale, double m) { return scale <= 1.0 ? 1.0 : 0.1 * m * std::log(scale) + 1.0; }

// The (fractional) pair index whose wavelength fits `rotations` turns into the pretraining
// context: pairs below it rotate faster and are left alone, pairs above are interpolated.
double yarn_correction_dim(double rotations, double dim, double theta, double original) {
  return dim * std::log(original / (rotations * 2.0 * std::numbers::pi)) / (2.0 * std::log(theta));
}

// YaRN ("NTK-by-parts"): a linear ramp over the pair index blends the interpolated
// frequencies (inv_freq / factor) in the low-frequency pairs with the unchanged ones in the
// high-frequency pairs. Versions differ on two points, and the newest is followed on both:
// - factor: an intermediate line of versions (late 4.x into the first rope_parameters ones)
//   replaced `factor` with max_position_embeddings / original_max_position_embeddings
//   whenever the scaling object had the latter (written for DeepSeek-V3, where the two
//   agree; it breaks Qwen's factor 4 with equal lengths). The newest use the explicit factor
//   and derive it only when it is null; RopeConfig::from_hf_config does that derivation, so
//   here `factor` is always used.
// - truncate (a recent option): false keeps the correction range fractional; the default
//   true floors the low end and ceils the high end, as versions without the option did.
RopeFrequencies yarn(const RopeConfig& config) {
  const RopeScaling& s = config.scaling;
  const std::int64_t dim = config.effective_rotary_dim();
  const double factor = s.factor;

  RopeFrequencies out;
  if (s.attention_factor) {
    out.attention_factor = *s.attention_factor;
  } else if (s.mscale && s.mscale_all_dim && *s.mscale != 0.0 && *s.mscale_all_dim != 0.0) {
    // DeepSeek's form; transformers tests both for truthiness, so a zero falls through too.
    out.attention_factor = yarn_mscale(factor, *s.mscale) / yarn_mscale(factor, *s.mscale_all_dim);
  } else {
    out.attention_factor = yarn_mscale(factor, 1.0);
  }

  const double d = static_cast<double>(dim);
  const double original = original_length(config);
  double low = yarn_correction_dim(s.beta_fast, d, config.theta, original);
  double high = yarn_correction_dim(s.beta_slow, d, config.theta, original);
  if (s.truncate) {
    low = std::floor(low);
    high = std::ceil(high);
  }
  low = std::max(low, 0.0);
  high = std::min(high, d - 1.0);
  if (low == high) high += 0.001;  // transformers' guard against a zero-width ramp

  const Table extrapolation = default_inv_freq(config.theta, dim);
  out.inv_freq.resize(extrapolation.size());
  for (std::size_t i = 0; i < extrapolation.size(); ++i) {
    const double ramp = std::clamp((static_cast<double>(i) - low) / (high - low), 0.0, 1.0);
    const double keep = 1.0 - ramp;  // weight of the unchanged frequency
    out.inv_freq[i] = extrapolation[i] / factor * (1.0 - keep) + extrapolation[i] * keep;
  }
  return out;
}

// Llama 3.1: wavelengths longer than original / low_freq_factor are divided by factor,
// shorter than original / high_freq_factor kept, and the band between blended smoothly
// (both boundaries belong to the blended band, as in transformers).
Table llama3_inv_freq(const RopeConfig& config) {
  const RopeScaling& s = config.scaling;
  const double original = original_length(config);
  const double low_freq_wavelen = original / s.low_freq_factor;
  const double high_freq_wavelen = original / s.high_freq_factor;
  Table inv_freq = default_inv_freq(config.theta, config.effective_rotary_dim());
  for (double& f : inv_freq) {
    const double wavelen = 2.0 * std::numbers::pi / f;
    if (wavelen > low_freq_wavelen) {
      f /= s.factor;
    } else if (wavelen >= high_freq_wavelen) {
      const double smooth = (original / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
      f = (1.0 - smooth) * f / s.factor + smooth * f;
    }
  }
  return inv_freq;
}

// LongRoPE (Phi-3): one rescale factor per pair, from the long table once the sequence
// (max position + 1) exceeds the pretraining length, else from the short table.
// attention_factor defaults to sqrt(1 + ln(factor) / ln(original)). Older transformers (the
// rope_kwargs era) always took factor = max_position_embeddings / original when the config
// had a top-level original_max_position_embeddings; the newest use an explicit `factor` and
// derive it only when absent. RopeConfig::from_hf_config does that derivation, so `factor`
// is used here.
RopeFrequencies longrope(const RopeConfig& config, std::int64_t max_position) {
  const RopeScaling& s = config.scaling;
  const double original = original_length(config);
  RopeFrequencies out;
  if (s.attention_factor) {
    out.attention_factor = *s.attention_factor;
  } else if (s.factor > 1.0) {
    out.attention_factor = std::sqrt(1.0 + std::log(s.factor) / std::log(original));
  }
  const double seq_len = static_cast<double>(max_position) + 1.0;
  const Table& ext = seq_len > original ? s.long_factor : s.short_factor;
  out.inv_freq = default_inv_freq(config.theta, config.effective_rotary_dim());
  for (std::size_t i = 0; i < out.inv_freq.size(); ++i) out.inv_freq[i] /= ext[i];
  return out;
}

}  // namespace

std::string_view to_string(RopeLayout layout) noexcept {
  switch (layout) {
    case RopeLayout::Neox: return "neox";
    case RopeLayout::Interleaved: return "interleaved";
  }
  return "neox";
}

std::string_view to_string(RopeScalingType type) noexcept {
  switch (type) {
    case RopeScalingType::Default: return "default";
    case RopeScalingType::Linear: return "linear";
    case RopeScalingType::Dynamic: return "dynamic";
    case RopeScalingType::Yarn: return "yarn";
    case RopeScalingType::Llama3: return "llama3";
    case RopeScalingType::LongRope: return "longrope";
  }
  return "default";
}

namespace {

// The model's own frequencies, before a vision form picks the row's and column's.
RopeFrequencies scaled_frequencies(const RopeConfig& config, std::int64_t max_position) {
  const std::int64_t dim = config.effective_rotary_dim();
  switch (config.scaling.type) {
    case RopeScalingType::Default: return {default_inv_freq(config.theta, dim), 1.0};
    case RopeScalingType::Linear: {
      // Dividing the frequencies is dividing the positions, which is what linear
      // interpolation originally did.
      Table inv_freq = default_inv_freq(config.theta, dim);
      for (double& f : inv_freq) f /= config.scaling.factor;
      return {std::move(inv_freq), 1.0};
    }
    case RopeScalingType::Dynamic: return {dynamic_inv_freq(config, max_position), 1.0};
    case RopeScalingType::Yarn: return yarn(config);
    case RopeScalingType::Llama3: return {llama3_inv_freq(config), 1.0};
    case RopeScalingType::LongRope: return longrope(config, max_position);
  }
  throw Error(ErrorKind::InvalidArgument, "rope_scaling.type: unknown value " +
                                              std::to_string(static_cast<int>(config.scaling.type)));
}

}  // namespace

RopeFrequencies rope_frequencies(const RopeConfig& config, std::int64_t max_position) {
  // Validating here costs nothing next to a dispatch and keeps a hand-built config from
  // producing NaN tables (dynamic with rotary_dim 2, longrope tables of the wrong length).
  config.validate();
  if (max_position < 0) {
    throw Error(ErrorKind::InvalidArgument,
                "max_position = " + std::to_string(max_position) + ": expected a position >= 0");
  }
  RopeFrequencies out = scaled_frequencies(config, max_position);
  for (std::size_t i = 0; i < config.freq_factors.size(); ++i) out.inv_freq[i] /= config.freq_factors[i];
  out.inv_freq = detail::vision_frequencies(config, std::move(out.inv_freq));
  return out;
}

}  // namespace vkrope
