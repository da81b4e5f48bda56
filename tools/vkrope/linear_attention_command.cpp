// vkrope linear-attention: linear attention with RoPE (RoFormer eq. 19) over .npy files.
//   vkrope linear-attention --q Q.npy --k K.npy --v V.npy --output O.npy [--causal]
//     [--feature elu1|relu] [--chunk N] [--rope [rope flags, as `vkrope attention --rope`]]
// Q [B, Sq, H, D] or [Sq, H, D]; K [B, Skv, Hkv, D]; V [B, Skv, Hkv, Dv]; float32 or
// float16, one dtype. O [B, Sq, H, Dv] in that dtype. With --rope, query i and key j sit at
// positions i and j (self-attention; --causal needs Sq == Skv). The op checks how the shapes
// relate before it records anything; O is written (atomically) only after it succeeded.
#include <fmt/format.h>

#include <memory>

#include "commands.hpp"
#include "io/npy.hpp"
#include "npy_operands.hpp"
#include "rope_flags.hpp"
#include "vkrope/linear_attention.hpp"

namespace vkrope::cli {

namespace {

struct LinearAttentionArgs {
  std::string q, k, v, output, feature = "elu1";
  bool causal = false, rope = false;
  std::int64_t chunk = 0;
  RopeFlags rope_flags;
};

int run_linear_attention(const GlobalOptions& global, const LinearAttentionArgs& a) {
  const io::NpyArray q = read_operand("--q", a.q);
  const io::NpyArray k = read_operand("--k", a.k);
  const io::NpyArray v = read_operand("--v", a.v);
  LinearAttentionConfig config;
  config.causal = a.causal;
  config.feature = a.feature == "relu" ? LinearFeature::Relu : LinearFeature::Elu1;
  config.chunk = a.chunk;
  if (a.rope || !a.rope_flags.gguf.empty()) config.rope = make_rope_config(a.rope_flags, q.shape.back());

  const Context context = Context::create(context_options(global));
  std::vector<std::int64_t> out_shape = q.shape;
  out_shape.back() = v.shape.back();
  const Tensor out = Tensor::empty(context, dtype_of(q.type), out_shape);
  linear_attention(config, upload(context, q), upload(context, k), upload(context, v), out);
  io::write_npy(a.output, q.type, out_shape, out.download_raw());
  fmt::print("linear-attention: q {} {}, k {}, v {} -> {} {} on {}\n", io::to_string(q.type),
             shape_to_string(q.shape), shape_to_string(k.shape), shape_to_string(v.shape), a.output,
             shape_to_string(out_shape), context.device().name);
  return 0;
}

}  // namespace

Run add_linear_attention_command(CLI::App& app, const GlobalOptions& global) {
  auto* sub = app.add_subcommand("linear-attention",
                                 "linear attention with RoPE (RoFormer eq. 19): phi(q) phi(k)^T v / normalizer");
  auto a = std::make_shared<LinearAttentionArgs>();
  sub->add_option("--q", a->q, "float32/float16 .npy, [batch, Sq, H, D] or [Sq, H, D]")->required();
  sub->add_option("--k", a->k, ".npy [batch, Skv, Hkv, D]; H a multiple of Hkv")->required();
  sub->add_option("--v", a->v, ".npy [batch, Skv, Hkv, Dv] (Dv may differ from D)")->required();
  sub->add_option("--output", a->output, ".npy to write: [batch, Sq, H, Dv] in Q's dtype")->required();
  sub->add_flag("--causal", a->causal, "query i sees keys 0..i (needs Sq == Skv)");
  sub->add_option("--feature", a->feature, "feature map phi: elu1 (elu(x) + 1, default) or relu")
      ->check(CLI::IsMember({"elu1", "relu"}));
  sub->add_option("--chunk", a->chunk, "tokens per chunk of the causal form, 1..32 (default 32)");
  auto* rope = sub->add_flag("--rope", a->rope, "rotate phi(q) and phi(k) (query i at position i, key j at j)");
  for (CLI::Option* option : add_rope_flags(*sub, a->rope_flags))
    if (option->get_name() != "--gguf") option->needs(rope);
  return [&global, a] { return run_linear_attention(global, *a); };
}

}  // namespace vkrope::cli
