#include "ops/attention_check.hpp"

#include "ops/tensor_layout.hpp"
#include "vkrope/check.hpp"
#include "vkrope/reference.hpp"

namespace vkrope::detail {

AttentionSnapshot snapshot_attention_inputs(const Tensor& q, const Tensor& k, const Tensor& v) {
  const Layout4 lq = layout4(q, "attention", "q"), lk = layout4(k, "attention", "k");
  return {q.download(), k.download(), v.download(), lq.batch, lq.seq, lk.seq, lq.heads, lk.heads, lq.dim};
}

double attention_tolerance(DType out_dtype) { return out_dtype == DType::f32 ? 1e-5 : 2e-3; }

void check_attention(const AttentionConfig& config, const Tensor& out, const AttentionSnapshot& s) {
  const std::vector<double> q(s.q.begin(), s.q.end()), k(s.k.begin(), s.k.end()), v(s.v.begin(), s.v.end());
  const std::vector<double> expected =
      reference::attention(q, k, v, s.batch, s.sq, s.skv, s.heads, s.kv_heads, s.head_dim, config);
  const CompareReport r = compare(out.download(), expected);
  const double tolerance = attention_tolerance(out.dtype());
  if (!(r.rel_err <= tolerance))
    throw Error(ErrorKind::Mismatch, "attention: checked mode: the output differs from the CPU reference: " +
                                         r.to_string() + "; tolerance " + std::to_string(tolerance) + " relative");
}

}  // namespace vkrope::detail
