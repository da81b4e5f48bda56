#include "scene.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "vkrope/reference.hpp"

namespace live_compass {

using namespace vkrope;

namespace {

constexpr std::int64_t kPattern = 4;  // token at position n: tokens_[n % 4]
static_assert(kRing % kPattern == 0, "a slot always holds the same token");
static_assert(kRing == kHeadDim, "values are the identity: output j = the weight of slot j");

struct Scaling {
  const char* name;
  RopeScalingType type;
  double factor;
};
constexpr Scaling kScalings[] = {
    {"default", RopeScalingType::Default, 1.0},
    {"linear x4", RopeScalingType::Linear, 4.0},
    {"yarn x4", RopeScalingType::Yarn, 4.0},
    {"llama3 x8", RopeScalingType::Llama3, 8.0},
};

Context adopt_device(const Gpu& gpu) {
  interop::AdoptedDevice adopted;
  adopted.instance = gpu.instance;
  adopted.physical_device = gpu.physical;
  adopted.device = gpu.device;
  adopted.queue = gpu.queue;
  adopted.queue_family_index = gpu.family;
  return interop::adopt(adopted, ContextOptions::from_environment());
}

// Random directions with |e|^2 = 6 sqrt(D): a query meets its own token with logit ~6.
std::vector<std::vector<float>> make_tokens() {
  std::mt19937 rng(2026);
  std::normal_distribution<float> normal;
  std::vector<std::vector<float>> tokens(kPattern, std::vector<float>(kHeadDim));
  for (auto& e : tokens) {
    double norm = 0;
    for (float& x : e) x = normal(rng), norm += double(x) * x;
    for (float& x : e) x = static_cast<float>(x * std::sqrt(6.0 * std::sqrt(double(kHeadDim)) / norm));
  }
  return tokens;
}

// Head h looks for the token h places ahead in the pattern: heads attend to different keys.
std::vector<float> query_content(const std::vector<std::vector<float>>& tokens, std::int64_t position) {
  std::vector<float> q;
  for (std::int64_t h = 0; h < kHeads; ++h) {
    const auto& t = tokens[std::size_t((position + h) % kPattern)];
    q.insert(q.end(), t.begin(), t.end());
  }
  return q;
}

// Queries of every pattern phase (a frame takes the view of its own).
std::vector<float> all_queries(const std::vector<std::vector<float>>& tokens) {
  std::vector<float> q;
  for (std::int64_t phase = 0; phase < kPattern; ++phase) {
    const std::vector<float> content = query_content(tokens, phase);
    q.insert(q.end(), content.begin(), content.end());
  }
  return q;
}

// Unrotated keys per slot ([R][D]); with `identity`, the values: row s = one-hot(s).
std::vector<float> per_slot(const std::vector<std::vector<float>>& tokens, bool identity) {
  std::vector<float> out;
  for (std::int64_t s = 0; s < kRing; ++s)
    for (std::int64_t j = 0; j < kHeadDim; ++j)
      out.push_back(identity ? (j == s ? 1.0f : 0.0f) : tokens[std::size_t(s % kPattern)][std::size_t(j)]);
  return out;
}

}  // namespace

const char* scaling_name(int scaling) { return kScalings[scaling].name; }
int scaling_count() { return static_cast<int>(std::size(kScalings)); }

// Every input is constant and uploaded here, before any frame runs: a frame only records.
Scene::Scene(const Gpu& gpu)
    : context_(adopt_device(gpu)),
      tokens_(make_tokens()),
      q_(Tensor::from_floats(context_, DType::f32, {kPattern, 1, kHeads, kHeadDim}, all_queries(tokens_))),
      q_rot_(Tensor::empty(context_, DType::f32, {1, 1, kHeads, kHeadDim})),
      keys_(Tensor::from_floats(context_, DType::f32, {1, kRing, 1, kHeadDim}, per_slot(tokens_, false))),
      ring_(Tensor::empty(context_, DType::f32, {1, kRing, 1, kHeadDim})),
      values_(Tensor::from_floats(context_, DType::f32, {1, kRing, 1, kHeadDim}, per_slot(tokens_, true))),
      weights_(Tensor::empty(context_, DType::f32, {kHistory, 1, kHeads, kRing})) {
  weights_.fill_bytes(0);  // rows of frames not drawn yet show as zero weight
}

// The position each ring slot holds at this frame: the newest kRing positions.
std::vector<std::int64_t> Scene::slot_positions(std::int64_t position) const {
  std::vector<std::int64_t> p(kRing);
  for (std::int64_t s = 0; s < kRing; ++s) p[std::size_t(s)] = position - (position - s) % kRing;
  return p;
}

RopeConfig Scene::rope_config(const Settings& settings) const {
  RopeConfig c;
  c.head_dim = kHeadDim;
  c.layout = RopeLayout::Interleaved;  // pair i = elements (2i, 2i + 1): a needle reads two floats
  c.theta = settings.theta;
  c.scaling.type = kScalings[settings.scaling].type;
  c.scaling.factor = kScalings[settings.scaling].factor;
  c.max_position_embeddings = 4096;
  if (c.scaling.type == RopeScalingType::Yarn || c.scaling.type == RopeScalingType::Llama3)
    c.scaling.original_max_position_embeddings = 512;
  return c;
}

void Scene::record(VkCommandBuffer cmd, std::int64_t position, const Settings& settings, std::optional<Batch>& keep) {
  keep.emplace(interop::record_into(context_, cmd));
  Batch& batch = *keep;
  const RopeConfig config = rope_config(settings);
  const Tensor q = q_.view({1, 1, kHeads, kHeadDim}, contiguous_strides({1, 1, kHeads, kHeadDim}),
                           (position % kPattern) * kHeads * kHeadDim);
  // The ring: one new key per frame, rotated once, at its slot. Rotated keys are only
  // valid for the RoPE settings they were rotated with, so a change of theta or scaling
  // (or a jump in position) rotates the whole ring again, each key at its own position.
  const bool same_rope = ring_settings_ && ring_settings_->theta == settings.theta &&
                         ring_settings_->scaling == settings.scaling;
  if (same_rope && (position == ring_position_ || position == ring_position_ + 1)) {
    const std::int64_t slot = position % kRing;
    const Shape one{1, 1, 1, kHeadDim};
    const Tensor key = keys_.view(one, contiguous_strides(one), slot * kHeadDim);
    const Tensor dst = ring_.view(one, contiguous_strides(one), slot * kHeadDim);
    rope(batch, config, {q, q_rot_, key, dst}, {{position}, 0});  // query and newest key: one dispatch
  } else {
    rope(batch, config, {keys_, ring_, std::nullopt, std::nullopt}, {slot_positions(position), 0});
    rope(batch, config, {q, q_rot_, std::nullopt, std::nullopt}, {{position}, 0});
  }
  ring_settings_ = settings;
  ring_position_ = position;

  // Attention of the rotated queries over the ring (keys at their own positions: causal
  // masking and ALiBi distances are exact), values = identity, so each output row is the
  // head's softmax weights, one per slot, written into this frame's history row.
  AttentionConfig attend;
  attend.causal = true;
  attend.alibi = settings.alibi;
  attend.query_positions = {position};
  attend.key_positions = slot_positions(position);
  const Shape row{1, 1, kHeads, kRing};
  const Tensor out = weights_.view(row, contiguous_strides(row), (position % kHistory) * kHeads * kRing);
  attention(batch, attend, q_rot_, ring_, values_, out);
}

Scene::Binding Scene::bind(const Tensor& t) const {
  return {interop::buffer(t), interop::buffer_offset(t), VkDeviceSize(t.numel()) * sizeof(float)};
}

double Scene::check(std::int64_t position, const Settings& settings) const {
  const RopeConfig config = rope_config(settings);
  const std::vector<float> qf = query_content(tokens_, position), kf = per_slot(tokens_, false),
                           vf = per_slot(tokens_, true);
  const std::vector<double> q(qf.begin(), qf.end()), keys(kf.begin(), kf.end()), values(vf.begin(), vf.end());
  const std::vector<std::int64_t> slots = slot_positions(position);
  const std::vector<std::int64_t> here{position};
  const std::vector<double> q_rot = reference::rope(q, 1, 1, kHeads, config, here);
  const std::vector<double> k_rot = reference::rope(keys, 1, kRing, 1, config, slots);
  AttentionConfig attend;
  attend.causal = true;
  attend.alibi = settings.alibi;
  attend.query_positions = here;
  attend.key_positions = slots;
  const std::vector<double> want =
      reference::attention(q_rot, k_rot, values, 1, 1, kRing, kHeads, 1, kHeadDim, attend);
  const Shape row{1, 1, kHeads, kRing};
  const std::vector<float> got =
      weights_.view(row, contiguous_strides(row), (position % kHistory) * kHeads * kRing).download();
  double worst = 0;
  for (std::size_t i = 0; i < want.size(); ++i) worst = std::max(worst, std::abs(double(got[i]) - want[i]));
  return worst;
}

}  // namespace live_compass
