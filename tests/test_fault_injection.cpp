// Every failure point survived: for each operation, the fallible calls it makes are traced,
// then each is failed in turn with each result the Vulkan specification allows it, and the
// outcome checked: the right Error kind naming the call, no leak, inputs (and outputs not
// yet written) unchanged, the same Context still working after any error but DeviceLost,
// and after DeviceLost every later call failing fast while a new Context works. Cold (a
// fresh Context: pipelines, pools and buffers made during the run) and warm (the same
// operation again on a Context that has run it). Under the validation layer: a message on
// any error path fails the test.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "fault_scale_add_spirv.h"
#include "support/device_matrix.hpp"
#include "vkrope/attention.hpp"
#include "vkrope/batch.hpp"
#include "vkrope/check.hpp"
#include "vkrope/fault_injection.hpp"
#include "vkrope/kernel.hpp"
#include "vkrope/kv_cache.hpp"
#include "vkrope/live_objects.hpp"
#include "vkrope/reference.hpp"
#include "vkrope/roofline.hpp"
#include "vkrope/vulkan_interop.hpp"  // VkResult values

namespace vkrope::test {
namespace {

using fault::Point;

// --- What each injected result must become ------------------------------------------------

// The Error kind a failure result maps to (vkrope's contract, written out independently of
// the library's own mapping so the test checks it).
ErrorKind expected_kind(std::int32_t result) {
  switch (result) {
    case VK_ERROR_OUT_OF_HOST_MEMORY:
    case VK_ERROR_OUT_OF_DEVICE_MEMORY:
    case VK_ERROR_TOO_MANY_OBJECTS:
    case VK_ERROR_FRAGMENTATION:
    case VK_ERROR_FRAGMENTED_POOL:
    case VK_ERROR_OUT_OF_POOL_MEMORY:
      return ErrorKind::OutOfMemory;
    case VK_ERROR_DEVICE_LOST:
      return ErrorKind::DeviceLost;
    case VK_ERROR_LAYER_NOT_PRESENT:
    case VK_ERROR_EXTENSION_NOT_PRESENT:
    case VK_ERROR_FEATURE_NOT_PRESENT:
    case VK_ERROR_INCOMPATIBLE_DRIVER:
      return ErrorKind::Unsupported;
    default:
      return ErrorKind::Internal;  // VK_TIMEOUT from an infinite wait, initialization, map failures
  }
}

// Failures vkrope recovers from by design, so the operation succeeds: a descriptor pool out
// of room (a fresh pool is taken), a command pool that cannot be reset (new resources are
// taken), the pipeline cache's data and file (a warning), and vkCreatePipelineCache given a
// saved file's bytes (retried without them, with a warning: the only case these tests reach,
// since the operations' Contexts persist no cache).
bool recovered(Point point, std::int32_t result) {
  switch (point) {
    case Point::AllocateDescriptorSets:
      return result == VK_ERROR_FRAGMENTED_POOL || result == VK_ERROR_OUT_OF_POOL_MEMORY;
    case Point::CreatePipelineCache:
    case Point::ResetCommandPool:
    case Point::GetPipelineCacheData:
    case Point::PipelineCacheFileRead:
    case Point::PipelineCacheFileWrite:
      return true;
    default:
      return false;
  }
}

// The results of `point` that vkrope can tell apart: one per (Error kind, recovered or not).
// vkrope never branches on which out-of-memory result it got (host or device), so failing
// with one of them covers the other. VK_TIMEOUT maps to Internal like the other results and
// is kept (it comes first in a wait's list).
std::vector<std::int32_t> distinct_results(Point point) {
  std::vector<std::int32_t> kept;
  std::set<std::pair<ErrorKind, bool>> classes;
  for (const std::int32_t r : fault::failure_results(point))
    if (classes.insert({expected_kind(r), recovered(point, r)}).second) kept.push_back(r);
  return kept;
}

// --- The operations under test ------------------------------------------------------------

// One operation on a Context: inputs made beforehand (not traced), outputs poisoned before
// each run, a run (the traced part) and a check of its result against the CPU reference.
struct OpCase {
  std::vector<Tensor> inputs;
  std::vector<Tensor> outputs;  // poisoned (0xff bytes, NaN) before each run
  std::function<void()> run;
  std::function<void()> check;       // EXPECTs the outputs right
  std::function<void()> after_fail;  // EXPECTs state a failed run must leave (optional)
};

std::vector<float> random_floats(std::mt19937& rng, std::int64_t n) {
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (float& x : v) x = d(rng);
  return v;
}

std::vector<double> to_doubles(const std::vector<float>& v) { return {v.begin(), v.end()}; }

// Within `tolerance` relative error of the reference.
void expect_close(const std::vector<float>& got, const std::vector<double>& expected, double tolerance,
                  const std::string& what) {
  const CompareReport r = compare(got, expected);
  EXPECT_LE(r.rel_err, tolerance) << what << ": " << r.to_string();
}

// f32 outputs of f32 arithmetic: rounding of a few dozen terms, well under 1e-5 relative.
constexpr double kF32Tolerance = 1e-5;
// f16 storage (11-bit significand, unit roundoff 4.9e-4) of keys and values.
constexpr double kF16Tolerance = 2e-3;

constexpr std::int64_t kDim = 16;

RopeConfig small_rope() {
  RopeConfig config;
  config.head_dim = kDim;
  return config;
}

// RoPE of q [1, 5, 2, 16] and k [1, 5, 1, 16] into separate outputs.
OpCase rope_case(const Context& ctx, std::mt19937& rng) {
  const std::int64_t seq = 5;
  const auto q = random_floats(rng, seq * 2 * kDim), k = random_floats(rng, seq * kDim);
  OpCase c;
  c.inputs = {Tensor::from_floats(ctx, DType::f32, {1, seq, 2, kDim}, q),
              Tensor::from_floats(ctx, DType::f32, {1, seq, 1, kDim}, k)};
  c.outputs = {Tensor::empty(ctx, DType::f32, {1, seq, 2, kDim}), Tensor::empty(ctx, DType::f32, {1, seq, 1, kDim})};
  const RopePositions positions{{}, 3};
  c.run = [c2 = c, positions] { rope(small_rope(), {c2.inputs[0], c2.outputs[0], c2.inputs[1], c2.outputs[1]}, positions); };
  c.check = [c2 = c, q, k, seq] {
    const std::vector<std::int64_t> pos{3, 4, 5, 6, 7};
    const RopeFrequencies f = rope_frequencies(small_rope(), 7);
    expect_close(c2.outputs[0].download(), reference::rope(to_doubles(q), 1, seq, 2, small_rope(), f, pos),
                 kF32Tolerance, "q");
    expect_close(c2.outputs[1].download(), reference::rope(to_doubles(k), 1, seq, 1, small_rope(), f, pos),
                 kF32Tolerance, "k");
  };
  return c;
}

// Attention of q [1, sq, 2, 16] over k, v [1, skv, 1, 16] (GQA), with `splits` key ranges.
OpCase attention_case(const Context& ctx, std::mt19937& rng, std::int64_t sq, std::int64_t skv, std::int64_t splits) {
  const auto q = random_floats(rng, sq * 2 * kDim), k = random_floats(rng, skv * kDim),
             v = random_floats(rng, skv * kDim);
  OpCase c;
  c.inputs = {Tensor::from_floats(ctx, DType::f32, {1, sq, 2, kDim}, q),
              Tensor::from_floats(ctx, DType::f32, {1, skv, 1, kDim}, k),
              Tensor::from_floats(ctx, DType::f32, {1, skv, 1, kDim}, v)};
  c.outputs = {Tensor::empty(ctx, DType::f32, {1, sq, 2, kDim})};
  AttentionConfig config;
  config.causal = true;
  config.key_splits = splits;
  config.rope = small_rope();  // fused RoPE: the angle tables are part of the run
  c.run = [c2 = c, config] { attention(config, c2.inputs[0], c2.inputs[1], c2.inputs[2], c2.outputs[0]); };
  c.check = [c2 = c, q, k, v, sq, skv, config] {
    expect_close(c2.outputs[0].download(),
                 reference::attention(to_doubles(q), to_doubles(k), to_doubles(v), 1, sq, skv, 2, 1, kDim, config),
                 kF32Tolerance, "out");
  };
  return c;
}

// A KV cache of `dtype` with fused RoPE: append of 3 tokens (after clear()), or attention of
// one query over 5 appended tokens.
OpCase kv_case(const Context& ctx, std::mt19937& rng, DType dtype, bool attend) {
  const std::int64_t tokens = attend ? 5 : 3;
  const auto k = random_floats(rng, tokens * kDim), v = random_floats(rng, tokens * kDim),
             q = random_floats(rng, 2 * kDim);
  auto cache = std::make_shared<KvCache>(ctx, KvCacheShape{.capacity = 8, .kv_heads = 1, .head_dim = kDim, .dtype = dtype},
                                         small_rope());
  OpCase c;
  c.inputs = {Tensor::from_floats(ctx, DType::f32, {1, tokens, 1, kDim}, k),
              Tensor::from_floats(ctx, DType::f32, {1, tokens, 1, kDim}, v),
              Tensor::from_floats(ctx, DType::f32, {1, 1, 2, kDim}, q)};
  const double tolerance = dtype == DType::f16 ? kF16Tolerance : kF32Tolerance;
  std::vector<std::int64_t> positions(static_cast<std::size_t>(tokens));
  for (std::int64_t i = 0; i < tokens; ++i) positions[static_cast<std::size_t>(i)] = i;
  if (attend) {
    cache->append(0, c.inputs[0], c.inputs[1]);
    c.outputs = {Tensor::empty(ctx, DType::f32, {1, 1, 2, kDim})};
    c.run = [cache, c2 = c] { cache->attend(0, {}, c2.inputs[2], c2.outputs[0]); };
    c.check = [c2 = c, q, k, v, tokens, positions, tolerance] {
      AttentionConfig config;
      config.rope = small_rope();
      config.query_positions = {tokens - 1};
      config.key_positions = positions;
      expect_close(c2.outputs[0].download(),
                   reference::attention(to_doubles(q), to_doubles(k), to_doubles(v), 1, 1, tokens, 2, 1, kDim, config),
                   tolerance, "out");
    };
  } else {
    c.run = [cache, c2 = c] {
      cache->clear();
      cache->append(0, c2.inputs[0], c2.inputs[1]);
    };
    c.check = [cache, k, v, tokens, positions, tolerance] {
      ASSERT_EQ(cache->length(0), tokens);
      const RopeFrequencies f = rope_frequencies(small_rope(), tokens - 1);
      expect_close(cache->keys(0).download(), reference::rope(to_doubles(k), 1, tokens, 1, small_rope(), f, positions),
                   tolerance, "keys");
      expect_close(cache->values(0).download(), to_doubles(v), tolerance, "values");
    };
    // A failed append leaves the cache as it was: empty (its length not advanced).
    c.after_fail = [cache] { EXPECT_EQ(cache->length(0), 0); };
  }
  return c;
}

OpCase copy_case(const Context& ctx, std::mt19937& rng) {
  const auto a = random_floats(rng, 300);
  OpCase c;
  c.inputs = {Tensor::from_floats(ctx, DType::f32, {300}, a)};
  c.outputs = {Tensor::empty(ctx, DType::f32, {300})};
  c.run = [c2 = c] { copy(c2.inputs[0], c2.outputs[0]); };
  c.check = [c2 = c, a] { EXPECT_EQ(c2.outputs[0].download(), a); };
  return c;
}

// vkrope::Kernel with the caller's SPIR-V (tests/shaders/scale_add.comp), in a Batch.
OpCase kernel_case(const Context& ctx, std::mt19937& rng) {
  const std::uint32_t n = 200;
  const auto a = random_floats(rng, n), b = random_floats(rng, n);
  OpCase c;
  c.inputs = {Tensor::from_floats(ctx, DType::f32, {n}, a), Tensor::from_floats(ctx, DType::f32, {n}, b)};
  c.outputs = {Tensor::empty(ctx, DType::f32, {n})};
  const Tensor counter = Tensor::empty(ctx, DType::f32, {1});  // the shader counts its writes here
  auto kernel = std::make_shared<Kernel>(ctx, "scale_add", std::vector<std::uint32_t>(std::begin(fault_scale_add_spirv),
                                                                                       std::end(fault_scale_add_spirv)),
                                         4, 8, std::vector<std::uint32_t>{64});
  counter.fill_bytes(0);
  c.run = [kernel, c2 = c, n, ctx, counter] {
    struct {
      float scale;
      std::uint32_t count;
    } push{2.5f, n};
    Batch batch(ctx);
    const Kernel::Arg args[] = {{c2.inputs[0]}, {c2.inputs[1]}, {c2.outputs[0], true}, {counter, true}};
    kernel->dispatch(batch, args, std::as_bytes(std::span(&push, 1)), {(n + 63) / 64, 1, 1});
    batch.submit();
  };
  c.check = [c2 = c, a, b, n] {
    const std::vector<float> got = c2.outputs[0].download();
    for (std::uint32_t i = 0; i < n; ++i) ASSERT_EQ(got[i], a[i] * 2.5f + b[i]) << i;
  };
  return c;
}

// Upload into an existing tensor (staging copies under discrete emulation).
OpCase upload_case(const Context& ctx, std::mt19937& rng) {
  const auto a = random_floats(rng, 1000);
  OpCase c;
  c.outputs = {Tensor::empty(ctx, DType::f32, {1000})};
  c.run = [c2 = c, a] { c2.outputs[0].upload(a); };
  c.check = [c2 = c, a] { EXPECT_EQ(c2.outputs[0].download(), a); };
  return c;
}

// Download into the host (its result checked by the run itself).
OpCase download_case(const Context& ctx, std::mt19937& rng) {
  const auto a = random_floats(rng, 1000);
  OpCase c;
  c.inputs = {Tensor::from_floats(ctx, DType::f32, {1000}, a)};
  auto got = std::make_shared<std::vector<float>>();
  c.run = [c2 = c, got] { *got = c2.inputs[0].download(); };
  c.check = [got, a] { EXPECT_EQ(*got, a); };
  return c;
}

// A tensor made from host data: allocation and upload.
OpCase create_tensor_case(const Context& ctx, std::mt19937& rng) {
  const auto a = random_floats(rng, 1000);
  auto made = std::make_shared<std::optional<Tensor>>();
  OpCase c;
  c.run = [ctx, a, made] { made->emplace(Tensor::from_floats(ctx, DType::f32, {1000}, a)); };
  c.check = [made, a] {
    ASSERT_TRUE(made->has_value());
    EXPECT_EQ((*made)->download(), a);
    made->reset();
  };
  c.after_fail = [made] { made->reset(); };
  return c;
}

// A profiled RoPE submitted asynchronously, then Context::wait_idle, a poll of the Submission
// (after the idle wait, so it makes its one status query and finds the work done: the same
// calls every run, whatever the timing) and the timestamps read back. Reaches the query pool,
// vkDeviceWaitIdle and the timeline or fence status query.
OpCase profiled_async_case(const Context& ctx, std::mt19937& rng) {
  OpCase c = rope_case(ctx, rng);
  c.run = [c2 = c, ctx] {
    Batch batch(ctx, BatchOptions{.profile = true});
    rope(batch, small_rope(), {c2.inputs[0], c2.outputs[0], c2.inputs[1], c2.outputs[1]}, RopePositions{{}, 3});
    const Submission submission = batch.submit_async();
    ctx.wait_idle();
    EXPECT_TRUE(submission.ready());
    batch.wait();
    EXPECT_EQ(batch.profile().size(), ctx.device().timestamps ? 1u : 0u);
  };
  return c;
}

struct Operation {
  const char* name;
  OpCase (*make)(const Context&, std::mt19937&);
  bool discrete_too;  // also under the emulated discrete GPU (staging, recorded uploads, fences)
};

const Operation kOperations[] = {
    {"rope", rope_case, true},
    {"attention_prefill", [](const Context& c, std::mt19937& r) { return attention_case(c, r, 6, 6, 1); }, true},
    {"attention_split_decode", [](const Context& c, std::mt19937& r) { return attention_case(c, r, 1, 40, 4); }, true},
    {"kv_append_f16", [](const Context& c, std::mt19937& r) { return kv_case(c, r, DType::f16, false); }, false},
    {"kv_append_f32", [](const Context& c, std::mt19937& r) { return kv_case(c, r, DType::f32, false); }, false},
    {"kv_attend_f16", [](const Context& c, std::mt19937& r) { return kv_case(c, r, DType::f16, true); }, false},
    {"kv_attend_f32", [](const Context& c, std::mt19937& r) { return kv_case(c, r, DType::f32, true); }, false},
    {"copy", copy_case, false},
    {"kernel", kernel_case, false},
    {"upload", upload_case, true},
    {"download", download_case, true},
    {"create_tensor", create_tensor_case, true},
    {"profiled_async", profiled_async_case, true},
};

// --- The harness --------------------------------------------------------------------------

struct Param {
  DeviceCase device;
  const Operation* op;
};

void PrintTo(const Param& p, std::ostream* out) {
  PrintTo(p.device, out);
  *out << " " << p.op->name;
}

std::vector<Param> params() {
  std::vector<Param> all;
  for (const DeviceCase& d : native_device_cases())
    for (const Operation& op : kOperations) {
      all.push_back({d, &op});
      if (op.discrete_too) {
        DeviceCase portable = d;
        portable.emulation = kPortable;
        all.push_back({portable, &op});
      }
    }
  return all;
}

std::string param_name(const testing::TestParamInfo<Param>& info) {
  return case_name({info.param.device, info.index}) + "_" + info.param.op->name;
}

std::vector<std::byte> bytes_of(const Tensor& t) { return t.download_raw(); }

// The DeviceLost contract on a lost Context: every call fails at once with DeviceLost.
void expect_everything_fails_fast(const Context& ctx, OpCase& c) {
  const auto start = std::chrono::steady_clock::now();
  const auto expect_lost = [](const std::function<void()>& call, const char* what) {
    try {
      call();
      ADD_FAILURE() << what << " worked on a lost device";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::DeviceLost) << what << ": " << e.what();
    }
  };
  expect_lost([&] { c.run(); }, "the operation again");
  expect_lost([&] { (void)Tensor::empty(ctx, DType::f32, {4}); }, "Tensor::empty");
  expect_lost([&] { (void)Batch(ctx); }, "Batch");
  expect_lost([&] { ctx.wait_idle(); }, "Context::wait_idle");
  if (!c.outputs.empty()) expect_lost([&] { (void)c.outputs[0].download(); }, "Tensor::download");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 5.0) << "failing fast took " << seconds << " s";
}

class FaultInjectionTest : public testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    seed_ = fresh_seed();
    rng_.seed(seed_);
    RecordProperty("seed", std::to_string(seed_));
  }
  void TearDown() override {
    fault::disarm();
    (void)fault::stop_trace();
    if (HasFailure()) std::fprintf(stderr, "replay with VKROPE_TEST_SEED=%u\n", seed_);
  }

  // A validated Context whose messages fail the test.
  Context make_context() {
    ContextOptions options = validated_options(GetParam().device);
    options.on_validation_message = [this](std::string_view m) { ADD_FAILURE() << "validation layer: " << m; };
    return Context::create(options);
  }

  OpCase make_case(const Context& ctx) {
    OpCase c = GetParam().op->make(ctx, rng_);
    for (const Tensor& t : c.outputs) t.fill_bytes(0xff);
    return c;
  }

  // Runs `c` once with `fault` armed and checks the outcome; returns whether the device was
  // lost. `first_submit` is the trace index of the run's first vkQueueSubmit (outputs are
  // untouched by any fault before it).
  bool inject(const Context& ctx, OpCase& c, const fault::Fault& f, std::size_t index, std::size_t first_submit) {
    const std::string what = fault::to_string(f);
    SCOPED_TRACE(what);
    std::vector<std::vector<std::byte>> inputs, outputs;
    for (const Tensor& t : c.inputs) inputs.push_back(bytes_of(t));
    for (const Tensor& t : c.outputs) outputs.push_back(bytes_of(t));
    fault::arm(f);
    std::optional<Error> error;
    try {
      c.run();
    } catch (const Error& e) {
      error = e;
    }
    fault::disarm();
    EXPECT_TRUE(fault::fired()) << what << " was not reached: the run's calls differ from its trace";
    ++injected_;
    if (recovered(f.point, f.result)) {
      EXPECT_FALSE(error) << what << " should be recovered from, but: " << error->what();
      if (!error) c.check();
      ++recovered_;
      return false;
    }
    if (!error) {
      ADD_FAILURE() << what << " was swallowed: the run succeeded";
      return false;
    }
    EXPECT_EQ(error->kind(), expected_kind(f.result)) << error->what();
    EXPECT_NE(std::string(error->what()).find(std::string(fault::name(f.point))), std::string::npos)
        << "the message does not name the call: " << error->what();
    if (c.after_fail) c.after_fail();
    if (error->kind() == ErrorKind::DeviceLost) {
      expect_everything_fails_fast(ctx, c);
      return true;
    }
    for (std::size_t i = 0; i < c.inputs.size(); ++i)
      EXPECT_TRUE(bytes_of(c.inputs[i]) == inputs[i]) << "input " << i << " changed";
    if (index < first_submit) {
      for (std::size_t i = 0; i < c.outputs.size(); ++i)
        EXPECT_TRUE(bytes_of(c.outputs[i]) == outputs[i]) << "output " << i << " written before any submit";
    }
    // The same Context runs the operation correctly.
    for (const Tensor& t : c.outputs) t.fill_bytes(0xff);
    c.run();
    c.check();
    return false;
  }

  // Every failure point of `trace`, with every result the specification allows it.
  template <typename Each>
  void for_each_fault(const std::vector<Point>& trace, Each&& each) {
    std::map<Point, std::int64_t> seen;
    const auto submit = std::find(trace.begin(), trace.end(), Point::QueueSubmit);
    const std::size_t first_submit = static_cast<std::size_t>(submit - trace.begin());
    for (std::size_t i = 0; i < trace.size(); ++i) {
      const std::int64_t nth = ++seen[trace[i]];
      for (const std::int32_t result : distinct_results(trace[i])) each(fault::Fault{trace[i], nth, result}, i, first_submit);
    }
  }

  void report(const char* phase, const std::vector<Point>& trace) {
    std::map<std::string, int> counts;
    for (Point p : trace) ++counts[std::string(fault::name(p))];
    std::string list;
    for (const auto& [name, n] : counts) list += (list.empty() ? "" : ", ") + name + " x" + std::to_string(n);
    RecordProperty(phase, std::to_string(trace.size()) + " failure points: " + list);
    std::printf("%s %s: %zu failure points (%s), %d faults injected, %d recovered\n", GetParam().op->name, phase,
                trace.size(), list.c_str(), injected_, recovered_);
  }

  std::uint32_t seed_ = 0;
  std::mt19937 rng_;
  int injected_ = 0, recovered_ = 0;
};

// Each point of a run on a fresh Context: pipelines, pools, buffers are all made in it.
TEST_P(FaultInjectionTest, ColdRun) {
  const LiveObjects start = live_objects();
  std::vector<Point> trace;
  {
    const Context ctx = make_context();
    OpCase c = make_case(ctx);
    fault::start_trace();
    c.run();
    trace = fault::stop_trace();
    c.check();
  }
  ASSERT_EQ(live_objects(), start);
  for_each_fault(trace, [&](const fault::Fault& f, std::size_t index, std::size_t first_submit) {
    {
      const Context ctx = make_context();
      OpCase c = make_case(ctx);
      inject(ctx, c, f, index, first_submit);
    }
    EXPECT_EQ(live_objects(), start) << "leak after " << fault::to_string(f);
  });
  // A new Context works after all of that.
  {
    const Context ctx = make_context();
    OpCase c = make_case(ctx);
    c.run();
    c.check();
  }
  EXPECT_EQ(live_objects(), start);
  report("cold", trace);
}

// Each point of the run repeated on a Context that has run it: one Context throughout, a
// new one only after a lost device.
TEST_P(FaultInjectionTest, WarmRun) {
  const LiveObjects start = live_objects();
  std::vector<Point> trace;
  {
    auto ctx = std::make_unique<Context>(make_context());
    auto c = std::make_unique<OpCase>(make_case(*ctx));
    const auto warm_up = [&] {
      c->run();
      for (const Tensor& t : c->outputs) t.fill_bytes(0xff);
    };
    warm_up();
    fault::start_trace();
    c->run();
    trace = fault::stop_trace();
    c->check();
    for (const Tensor& t : c->outputs) t.fill_bytes(0xff);
    for_each_fault(trace, [&](const fault::Fault& f, std::size_t index, std::size_t first_submit) {
      if (inject(*ctx, *c, f, index, first_submit)) {
        c.reset();
        ctx = std::make_unique<Context>(make_context());  // a new Context works
        c = std::make_unique<OpCase>(make_case(*ctx));
        warm_up();
      }
    });
  }
  EXPECT_EQ(live_objects(), start);
  report("warm", trace);
}

INSTANTIATE_TEST_SUITE_P(Operations, FaultInjectionTest, testing::ValuesIn(params()), param_name);

// Context creation and destruction with a persisted pipeline cache (loaded at creation,
// saved by save_pipeline_cache() and again at destruction): every point of that, each
// result. Creation fails with the right error and leaves nothing behind; the cache's file
// and data are warnings.
class ContextFaultTest : public testing::TestWithParam<DeviceCase> {};

TEST_P(ContextFaultTest, CreateLoadSaveDestroy) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("vkrope-fault-cache-" + std::to_string(fresh_seed()));
  ContextOptions options = validated_options(GetParam());
  options.pipeline_cache_dir = dir.string();
  options.on_validation_message = [](std::string_view m) { ADD_FAILURE() << "validation layer: " << m; };
  auto warnings = std::make_shared<std::vector<std::string>>();
  options.on_warning = [warnings](std::string_view m) { warnings->emplace_back(m); };
  const auto lifetime = [&] {
    const Context ctx = Context::create(options);
    ctx.save_pipeline_cache();
  };
  lifetime();  // the file exists from here on
  ASSERT_TRUE(warnings->empty()) << warnings->front();
  const LiveObjects start = live_objects();
  fault::start_trace();
  lifetime();
  const std::vector<Point> trace = fault::stop_trace();
  ASSERT_TRUE(std::find(trace.begin(), trace.end(), Point::PipelineCacheFileRead) != trace.end());
  ASSERT_TRUE(std::find(trace.begin(), trace.end(), Point::PipelineCacheFileWrite) != trace.end());
  std::map<Point, std::int64_t> seen;
  int injected = 0;
  for (const Point point : trace) {
    const std::int64_t nth = ++seen[point];
    for (const std::int32_t result : fault::failure_results(point)) {
      const fault::Fault f{point, nth, result};
      SCOPED_TRACE(fault::to_string(f));
      warnings->clear();
      fault::arm(f);
      try {
        lifetime();
        EXPECT_TRUE(recovered(point, result)) << "swallowed: the Context was made";
        EXPECT_EQ(warnings->size(), 1u);
      } catch (const Error& e) {
        EXPECT_FALSE(recovered(point, result)) << e.what();
        EXPECT_EQ(e.kind(), expected_kind(result)) << e.what();
        EXPECT_NE(std::string(e.what()).find(std::string(fault::name(point))), std::string::npos) << e.what();
      }
      fault::disarm();
      EXPECT_TRUE(fault::fired());
      EXPECT_EQ(live_objects(), start);
      ++injected;
    }
  }
  lifetime();  // and then it works
  fs::remove_all(dir);
  std::printf("context lifetime: %zu failure points, %d faults injected\n", trace.size(), injected);
}

INSTANTIATE_TEST_SUITE_P(Devices, ContextFaultTest, testing::ValuesIn(native_device_cases()), case_name);

// --- The hook itself ----------------------------------------------------------------------

TEST(FaultHook, PointsAreNamedAndHaveFailureResults) {
  for (int i = 0; i < static_cast<int>(Point::Count); ++i) {
    const auto p = static_cast<Point>(i);
    EXPECT_EQ(fault::point_named(fault::name(p)), p) << fault::name(p);
    EXPECT_FALSE(fault::failure_results(p).empty()) << fault::name(p);
    for (std::int32_t r : fault::failure_results(p)) EXPECT_TRUE(r < 0 || r == VK_TIMEOUT) << fault::name(p);
  }
}

TEST(FaultHook, ParsesAndRefusesFaultSpecs) {
  const fault::Fault f = fault::parse_fault("vkQueueSubmit:3:VK_ERROR_DEVICE_LOST");
  EXPECT_EQ(f.point, Point::QueueSubmit);
  EXPECT_EQ(f.nth, 3);
  EXPECT_EQ(f.result, VK_ERROR_DEVICE_LOST);
  EXPECT_EQ(fault::to_string(f), "vkQueueSubmit:3:VK_ERROR_DEVICE_LOST");
  const fault::Fault plain = fault::parse_fault("vkAllocateMemory");
  EXPECT_EQ(plain.nth, 1);
  EXPECT_EQ(plain.result, VK_ERROR_OUT_OF_HOST_MEMORY);
  expect_invalid_argument([] { fault::parse_fault("vkNoSuchCall"); }, "no fallible call named 'vkNoSuchCall'");
  expect_invalid_argument([] { fault::parse_fault("vkQueueSubmit:0"); }, "call number 0");
  expect_invalid_argument([] { fault::parse_fault("vkQueueSubmit:x"); }, "not a positive integer");
  expect_invalid_argument([] { fault::parse_fault("vkCreateBuffer:1:VK_ERROR_DEVICE_LOST"); },
                          "vkCreateBuffer cannot fail with 'VK_ERROR_DEVICE_LOST'");
  expect_invalid_argument([] { fault::arm({Point::CreateBuffer, 1, VK_TIMEOUT}); }, "cannot fail with VK_TIMEOUT");
  expect_invalid_argument([] { fault::arm({Point::CreateBuffer, 0, VK_ERROR_OUT_OF_HOST_MEMORY}); }, "call number 0");
}

// The nth call fails, once; calls before and after it do not.
TEST(FaultHook, FailsTheNthCallOnce) {
  const ContextOptions options = ContextOptions{};
  const Context ctx = Context::create(options);
  fault::arm({Point::CreateBuffer, 2, VK_ERROR_OUT_OF_DEVICE_MEMORY});
  const Tensor first = Tensor::empty(ctx, DType::f32, {4});
  EXPECT_FALSE(fault::fired());
  try {
    (void)Tensor::empty(ctx, DType::f32, {4});
    ADD_FAILURE() << "the second vkCreateBuffer did not fail";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::OutOfMemory);
    EXPECT_EQ(e.vk_result(), VK_ERROR_OUT_OF_DEVICE_MEMORY);
    EXPECT_NE(std::string(e.what()).find("vkCreateBuffer failed with VK_ERROR_OUT_OF_DEVICE_MEMORY"), std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(fault::fired());
  const Tensor third = Tensor::empty(ctx, DType::f32, {4});  // disarmed once delivered
}

}  // namespace
}  // namespace vkrope::test
