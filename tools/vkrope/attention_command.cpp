// vkrope attention: attention over .npy files.
//   vkrope attention --q Q.npy --k K.npy --v V.npy --output O.npy [--causal] [--scale S]
//     [--window W] [--alibi] [--softcap C] [--sinks S.npy] [--rope [rope flags]] [--gguf MODEL] [--device SEL]
//     [--kv-format F | --k-format F --v-format F]
// Q [B, Sq, H, D] or [Sq, H, D]; K, V [B, Skv, Hkv, D] or [Skv, Hkv, D]; float32 or float16
// (Q may be float32 over float16 K and V); sinks float32 [H]. O has Q's shape and dtype.
// With --rope, keys sit at positions 0..Skv-1 and queries at the last Sq of them: the op's
// default bottom-right alignment, so the CLI passes no positions. --gguf takes the RoPE from
// a GGUF model (implying --rope) and checks q's and k's head counts against the model's.
// --kv-format (or --k-format / --v-format) stores K and V in f32, f16, bf16, q8_0 or q4_0 on
// the device before attention, converted by vkrope::quantize (the kernel KvCache::append
// uses), so the output is what a cache of that format would give.
// The files are read and checked here; how the shapes must relate (H a multiple of Hkv, one
// head_dim, causal needing Sq <= Skv, ...) is checked by the op before it records anything,
// so it is said once, in one place. O is written (atomically) only after the op succeeded,
// so a bad input never creates it.
#include <fmt/format.h>

#include <memory>
#include <optional>

#include "commands.hpp"
#include "io/npy.hpp"
#include "npy_operands.hpp"
#include "rope_flags.hpp"
#include "vkrope/attention.hpp"
#include "vkrope/gguf.hpp"
#include "vkrope/quantize.hpp"

namespace vkrope::cli {

namespace {

struct AttentionArgs {
  std::string q, k, v, output, sinks, kv_format, k_format, v_format;
  bool causal = false, alibi = false, rope = false;
  std::optional<double> scale;
  double softcap = 0.0;
  std::optional<std::int64_t> window;
  RopeFlags rope_flags;
};

// One float32 logit per query head.
std::vector<float> read_sinks(const std::string& path, std::int64_t heads) {
  const io::NpyArray s = io::read_npy(path);
  if (s.type != io::NpyType::f32 || s.shape != std::vector<std::int64_t>{heads})
    throw Error(ErrorKind::InvalidArgument, "--sinks " + path + ": " + std::string(io::to_string(s.type)) + " " +
                                                shape_to_string(s.shape) + "; expected float32 [" +
                                                std::to_string(heads) + "] (one logit per query head)");
  return io::to_floats(s);
}

// --gguf: q and k must have the model's head counts (the RoPE comes from the same file).
void check_gguf_heads(const std::string& path, std::int64_t heads, std::int64_t kv_heads) {
  const GgufModel model = read_gguf_model(path);
  if (model.heads != heads || model.kv_heads != kv_heads)
    throw Error(ErrorKind::InvalidArgument, "--gguf " + path + ": the model has " + std::to_string(model.heads) +
                                                " query heads over " + std::to_string(model.kv_heads) +
                                                " kv heads; q and k have " + std::to_string(heads) + " and " +
                                                std::to_string(kv_heads));
}

// K or V as the flags ask it stored: the file's own dtype, or converted on the device.
Tensor upload_as(const Context& context, const io::NpyArray& a, const std::string& format) {
  const Tensor t = upload(context, a);
  DType dtype = t.dtype();
  if (format.empty() || !parse_dtype(format, dtype) || dtype == t.dtype()) return t;
  const Tensor stored = Tensor::empty(context, dtype, a.shape);
  quantize(t, stored);
  return stored;
}

int run_attention(const GlobalOptions& global, const AttentionArgs& a) {
  const io::NpyArray q = read_operand("--q", a.q);
  const io::NpyArray k = read_operand("--k", a.k);
  const io::NpyArray v = read_operand("--v", a.v);
  AttentionConfig config;
  config.scale = a.scale;
  config.causal = a.causal;
  config.window = a.window;
  config.alibi = a.alibi;
  config.softcap = a.softcap;
  const std::int64_t heads = q.shape[q.shape.size() - 2];
  if (!a.sinks.empty()) config.sinks = read_sinks(a.sinks, heads);
  if (a.rope || !a.rope_flags.gguf.empty()) config.rope = make_rope_config(a.rope_flags, q.shape.back());
  if (!a.rope_flags.gguf.empty()) check_gguf_heads(a.rope_flags.gguf, heads, k.shape[k.shape.size() - 2]);

  const Context context = Context::create(context_options(global));
  const Tensor out = Tensor::empty(context, dtype_of(q.type), q.shape);
  const Tensor k_stored = upload_as(context, k, a.kv_format.empty() ? a.k_format : a.kv_format);
  const Tensor v_stored = upload_as(context, v, a.kv_format.empty() ? a.v_format : a.kv_format);
  attention(config, upload(context, q), k_stored, v_stored, out);
  io::write_npy(a.output, q.type, q.shape, out.download_raw());
  fmt::print("attention: q {} {}, k {} v {} {} -> {} on {}\n", io::to_string(q.type), shape_to_string(q.shape),
             to_string(k_stored.dtype()), to_string(v_stored.dtype()), shape_to_string(k.shape), a.output,
             context.device().name);
  return 0;
}

}  // namespace

Run add_attention_command(CLI::App& app, const GlobalOptions& global) {
  auto* sub = app.add_subcommand("attention", "attention softmax(q k^T * scale) v over .npy files");
  auto a = std::make_shared<AttentionArgs>();
  sub->add_option("--q", a->q, "float32/float16 .npy, [batch, Sq, H, D] or [Sq, H, D]")->required();
  sub->add_option("--k", a->k, "float32/float16 .npy, [batch, Skv, Hkv, D] or [Skv, Hkv, D]; H a multiple of Hkv")
      ->required();
  sub->add_option("--v", a->v, ".npy of K's shape and dtype")->required();
  sub->add_option("--output", a->output, ".npy to write (Q's dtype and shape)")->required();
  sub->add_flag("--causal", a->causal, "a query sees only keys at or before its position (needs Sq <= Skv)");
  sub->add_option("--scale", a->scale, "logit scale (default 1/sqrt(D))");
  sub->add_option("--window", a->window, "sliding window: keys within W - 1 positions (W >= 1)");
  sub->add_flag("--alibi", a->alibi, "ALiBi: the standard slopes for H heads");
  sub->add_option("--softcap", a->softcap, "logit softcap C > 0: s = C tanh(s / C) (default none)");
  sub->add_option("--sinks", a->sinks, "float32 .npy [H]: one sink logit per query head (as gpt-oss)");
  const auto formats = CLI::IsMember({"f32", "f16", "bf16", "q8_0", "q4_0"});
  auto* kv_format = sub->add_option("--kv-format", a->kv_format,
                                    "store K and V as f32, f16, bf16, q8_0 or q4_0 (block formats: D a multiple of 32)")
                        ->check(formats);
  sub->add_option("--k-format", a->k_format, "store K as this format (as --kv-format)")->check(formats)->excludes(kv_format);
  sub->add_option("--v-format", a->v_format, "store V as this format (as --kv-format)")->check(formats)->excludes(kv_format);
  auto* rope = sub->add_flag("--rope", a->rope, "rotate q and k first (keys at 0..Skv-1, queries at the last Sq)");
  // The RoPE flags mean nothing without --rope; say so instead of ignoring them. --gguf
  // implies --rope (and checks the head counts against the model's).
  for (CLI::Option* option : add_rope_flags(*sub, a->rope_flags))
    if (option->get_name() != "--gguf") option->needs(rope);
  return [&global, a] { return run_attention(global, *a); };
}

}  // namespace vkrope::cli
