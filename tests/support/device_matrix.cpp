#include "support/device_matrix.hpp"

#include <cctype>
#include <cstdlib>

#include "conformance/rope_case.hpp"

namespace vkrope::test {

namespace {

const std::vector<DeviceInfo>& devices() {
  static const std::vector<DeviceInfo> list = [] {
    try {
      return enumerate_devices();
    } catch (const Error& e) {
      std::fprintf(stderr, "device matrix: %s\n", e.what());
      return std::vector<DeviceInfo>{};
    }
  }();
  return list;
}

}  // namespace

std::vector<DeviceCase> native_device_cases() {
  std::vector<DeviceCase> cases;
  for (const DeviceInfo& d : devices()) cases.push_back({d.index, d.name, Emulation::None});
  return cases;
}

std::vector<DeviceCase> device_cases() {
  std::vector<DeviceCase> cases = native_device_cases();
  for (const DeviceInfo& d : devices()) cases.push_back({d.index, d.name, kPortable});
  return cases;
}

std::string case_name(const testing::TestParamInfo<DeviceCase>& info) {
  // The first word of the name ("llvmpipe", "SwiftShader", "NVIDIA") plus the index keeps
  // names short, unique and readable.
  std::string word;
  for (char c : info.param.name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) break;
    word += c;
  }
  std::string name = word + std::to_string(info.param.index);
  if (has(info.param.emulation, Emulation::Baseline)) name += "_baseline";
  if (has(info.param.emulation, Emulation::Discrete)) name += "_discrete";
  return name;
}

void PrintTo(const DeviceCase& device, std::ostream* out) {
  *out << device.name;
  if (device.emulation != Emulation::None) *out << " [" << to_string(device.emulation) << "]";
}

ContextOptions validated_options(const DeviceCase& device) {
  ContextOptions options;
  options.validation = true;
  options.device = std::to_string(device.index);
  options.emulation = device.emulation;
  return options;
}

std::uint32_t fresh_seed() {
  if (const char* s = std::getenv("VKROPE_TEST_SEED")) return static_cast<std::uint32_t>(std::strtoul(s, nullptr, 10));
  return std::random_device{}();
}

void DeviceTest::SetUp() {
  seed_ = fresh_seed();
  rng_.seed(seed_);
  RecordProperty("seed", std::to_string(seed_));
  RecordProperty("device", GetParam().name);
  context_ = std::make_unique<Context>(capped_context({}));
}

Context DeviceTest::capped_context(const LimitCaps& caps) const {
  ContextOptions options = validated_options(GetParam());
  options.limits = caps;
  // Collected outside the Context, so messages raised while it is destroyed count too.
  options.on_validation_message = [log = messages_](std::string_view m) {
    std::lock_guard lock(log->mutex);
    log->lines.emplace_back(m);
  };
  return Context::create(options);
}

void DeviceTest::TearDown() {
  context_.reset();
  for (const auto& m : messages_->lines) ADD_FAILURE() << "validation layer: " << m;
  if (HasFailure()) std::fprintf(stderr, "replay with VKROPE_TEST_SEED=%u\n", seed_);
}

std::vector<float> DeviceTest::random_floats(std::size_t n, float lo, float hi) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng_);
  return v;
}

void expect_rope_works(const Context& ctx, std::uint32_t seed) {
  conformance::RopeCase c;
  c.config = conformance::rope_config(RopeScalingType::Default, RopeLayout::Neox, false);
  std::mt19937 rng(seed);
  const conformance::RopeResult r = conformance::run_rope_case(ctx, c, rng);
  EXPECT_LE(r.max_abs_err, r.tolerance) << r.detail;
  EXPECT_TRUE(r.guard_intact) << "bytes written outside the output";
}

void expect_invalid_argument(const std::function<void()>& call, const std::string& words) {
  try {
    call();
    ADD_FAILURE() << "no error; expected one mentioning '" << words << "'";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << e.what();
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
  }
}

}  // namespace vkrope::test
