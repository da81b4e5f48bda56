#include "ops/linear_attention_check.hpp"

#include "ops/linear_attention_plan.hpp"
#include "ops/tensor_layout.hpp"
#include "vkrope/check.hpp"
#include "vkrope/reference.hpp"

namespace vkrope::detail {

LinearAttentionSnapshot snapshot_linear_attention_inputs(const Tensor& q, const Tensor& k, const Tensor& v) {
  const Layout4 lq = layout4(q, "linear_attention", "q"), lk = layout4(k, "linear_attention", "k");
  const Layout4 lv = layout4(v, "linear_attention", "v");
  return {q.download(), k.download(), v.download(), lq.batch, lq.seq, lk.seq, lq.heads, lk.heads, lq.dim, lv.dim};
}

void check_linear_attention(const LinearAttentionConfig& config, const Tensor& out,
                            const LinearAttentionSnapshot& s) {
  const std::vector<double> q(s.q.begin(), s.q.end()), k(s.k.begin(), s.k.end()), v(s.v.begin(), s.v.end());
  const std::vector<double> expected = reference::linear_attention(q, k, v, s.batch, s.sq, s.skv, s.heads, s.kv_heads,
                                                                   s.head_dim, s.value_dim, config);
  const CompareReport r = compare(out.download(), expected);
  const double tolerance = linear_attention_tolerance(out.dtype());
  if (!(r.rel_err <= tolerance))
    throw Error(ErrorKind::Mismatch, "linear_attention: checked mode: the output differs from the CPU reference: " +
                                         r.to_string() + "; tolerance " + std::to_string(tolerance) + " relative");
}

}  // namespace vkrope::detail
