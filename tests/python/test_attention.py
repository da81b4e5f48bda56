"""vkrope.attention against the float64 numpy reference (reference.py), every option."""

import numpy as np
import pytest

import vkrope

import reference
from reference import assert_close

# Tolerances (L2 relative error against float64), as vkrope's checked mode states them:
#  f32 output: logits and the online softmax in f32 (exp, rescaling): 1e-5.
#  f16 output or f16 keys/values: the output is rounded to binary16 (2^-11 relative per
#    element) and P.V may be accumulated from f16 values: 2e-3. The reference takes the same
#    f16-rounded inputs.
F32, F16 = 1e-5, 2e-3


def _inputs(rng, sq, skv, heads, kv_heads, head_dim, dtype=np.float32, kv_dtype=None):
    q = rng.uniform(-1, 1, (sq, heads, head_dim)).astype(dtype)
    k = rng.uniform(-1, 1, (skv, kv_heads, head_dim)).astype(kv_dtype or dtype)
    v = rng.uniform(-1, 1, (skv, kv_heads, head_dim)).astype(kv_dtype or dtype)
    return q, k, v


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"causal": True},
        {"causal": True, "window": 5},
        {"window": 4},  # non-causal: 3 keys either side
        {"causal": True, "alibi": True},
        {"softcap": 2.0, "scale": 0.9},
        {"causal": True, "sinks": [0.5, -1.0, 2.0, 0.0]},
    ],
    ids=["plain", "causal", "causal-window", "window", "alibi", "softcap-scale", "sinks"],
)
def test_attention_options(ctx, rng, options):
    # GQA 4:2 heads, Sq < Skv (bottom-right aligned), lengths off any tile size.
    q, k, v = _inputs(rng, 7, 19, 4, 2, 32)
    out = vkrope.attention(q, k, v, context=ctx, **options)
    assert out.dtype == np.float32 and out.shape == q.shape
    assert_close(out, reference.attention(q, k, v, **options), F32, f"attention {options}")


def test_explicit_positions_and_mqa(ctx, rng):
    q, k, v = _inputs(rng, 5, 12, 4, 1, 16)  # MQA: one kv head
    qp = np.array([3, 11, 7, 0, 20], dtype=np.int32)
    kp = np.arange(12) * 2
    out = vkrope.attention(q, k, v, causal=True, query_positions=qp, key_positions=kp, context=ctx)
    want = reference.attention(q, k, v, causal=True, query_positions=qp, key_positions=kp)
    assert_close(out, want, F32, "explicit positions")


def test_fused_rope(ctx, rng):
    q, k, v = _inputs(rng, 6, 6, 2, 2, 32)
    config = vkrope.RopeConfig(theta=10000.0)  # head_dim 0: q's
    out = vkrope.attention(q, k, v, causal=True, rope=config, context=ctx)
    freq = reference.inv_freq(32)
    p = np.arange(6)
    want = reference.attention(reference.rope(q, p, freq), reference.rope(k, p, freq), v, causal=True)
    assert_close(out, want, F32, "fused rope")


def test_f16(ctx, rng):
    q, k, v = _inputs(rng, 4, 10, 2, 2, 64, np.float32, np.float16)  # f32 queries over f16 k/v
    out = vkrope.attention(q, k, v, causal=True, context=ctx)
    assert out.dtype == np.float32
    assert_close(out, reference.attention(q, k, v, causal=True), F16, "f32 over f16")
    q16 = q.astype(np.float16)
    out = vkrope.attention(q16, k, v, causal=True, context=ctx)
    assert out.dtype == np.float16
    assert_close(out, reference.attention(q16, k, v, causal=True), F16, "f16")


def test_batch_and_config_object(ctx, rng):
    q = rng.uniform(-1, 1, (2, 3, 4, 16)).astype(np.float32)
    k = rng.uniform(-1, 1, (2, 8, 2, 16)).astype(np.float32)
    v = rng.uniform(-1, 1, (2, 8, 2, 16)).astype(np.float32)
    config = vkrope.AttentionConfig(causal=True, key_splits=2)
    assert config.causal and config.key_splits == 2 and "causal" in repr(config)
    out = vkrope.attention(q, k, v, config=config, context=ctx)
    for b in range(2):
        assert_close(out[b], reference.attention(q[b], k[b], v[b], causal=True), F32, f"batch {b}")


def test_tensors(ctx, rng):
    q, k, v = _inputs(rng, 3, 9, 2, 2, 32)
    qt, kt, vt = (vkrope.Tensor.from_numpy(ctx, a) for a in (q, k, v))
    out = vkrope.Tensor.empty(ctx, q.shape)
    assert vkrope.attention(qt, kt, vt, out=out, causal=True) is not None
    assert_close(out.numpy(), reference.attention(q, k, v, causal=True), F32, "into out")
    fresh = vkrope.attention(qt, kt, vt)
    assert_close(fresh.numpy(), reference.attention(q, k, v), F32, "new output tensor")


def test_alibi_slopes():
    for heads in (4, 8, 6, 12):
        np.testing.assert_allclose(vkrope.alibi_slopes(heads), reference.alibi_slopes(heads), rtol=1e-12)


def test_attention_errors(ctx):
    q, k, v = (np.zeros(s, dtype=np.float32) for s in [(4, 3, 16), (4, 2, 16), (4, 2, 16)])
    with pytest.raises(vkrope.InvalidArgumentError, match="multiple"):
        vkrope.attention(q, k, v, context=ctx)  # 3 query heads over 2 kv heads
    q = np.zeros((8, 2, 16), dtype=np.float32)
    with pytest.raises(vkrope.InvalidArgumentError):
        vkrope.attention(q, k, v, causal=True, context=ctx)  # causal with Sq > Skv, no positions
    with pytest.raises(vkrope.InvalidArgumentError):
        vkrope.attention(q[:4], k, v, window=0, context=ctx)
    with pytest.raises(vkrope.InvalidArgumentError):
        vkrope.attention(q[:4], k, v, sinks=[1.0], context=ctx)  # one sink for two heads
    with pytest.raises(vkrope.InvalidArgumentError):
        vkrope.attention(q[:4], k, v[:, :, :8], context=ctx)  # head dims differ
    with pytest.raises(TypeError, match="float64"):
        vkrope.attention(q[:4], k.astype(np.float64), v, context=ctx)
    with pytest.raises(TypeError, match="unexpected keyword argument 'casual'"):
        vkrope.attention(q[:4], k, v, casual=True, context=ctx)
