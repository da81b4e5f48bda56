"""vkrope.KvCache: a prefill then a decode loop, against the numpy reference."""

import numpy as np
import pytest

import vkrope

import reference
from reference import assert_close

# The cache stores f16 keys and values (rounded from the f32 inputs: relative 2^-11 each), the
# keys rotated before rounding: the reference uses the f32 inputs, so the tolerance covers
# the storage rounding, 2e-3 as f16 attention. f32 storage: 1e-5.


@pytest.mark.parametrize("dtype,tolerance", [("f16", 2e-3), ("f32", 1e-5)])
def test_decode_loop(ctx, rng, dtype, tolerance):
    heads, kv_heads, head_dim, prompt, steps = 4, 2, 32, 5, 6
    rope = vkrope.RopeConfig(theta=10000.0)
    cache = vkrope.KvCache(ctx, capacity=prompt + steps, kv_heads=kv_heads, head_dim=head_dim, layers=2,
                           dtype=dtype, rope=rope)
    assert cache.rope.head_dim == head_dim and cache.dtype == dtype and cache.length() == 0
    total = prompt + steps
    q = rng.uniform(-1, 1, (total, heads, head_dim)).astype(np.float32)
    k = rng.uniform(-1, 1, (total, kv_heads, head_dim)).astype(np.float32)
    v = rng.uniform(-1, 1, (total, kv_heads, head_dim)).astype(np.float32)
    freq = reference.inv_freq(head_dim)
    k_rot = reference.rope(k, np.arange(total), freq)
    q_rot = reference.rope(q, np.arange(total), freq)

    cache.append(k[:prompt], v[:prompt], layer=1)
    out = cache.attend(q[:prompt], layer=1, causal=True)
    want = reference.attention(q_rot[:prompt], k_rot[:prompt], v[:prompt], causal=True)
    assert_close(out, want, tolerance, "prefill")
    for t in range(prompt, total):
        cache.append(k[t : t + 1], v[t : t + 1], layer=1)
        out = cache.attend(q[t : t + 1], layer=1, causal=True)
        want = reference.attention(q_rot[t : t + 1], k_rot[: t + 1], v[: t + 1], causal=True)
        assert_close(out, want, tolerance, f"decode step {t}")
    assert cache.length(1) == total and cache.length(0) == 0
    stored = cache.keys(1).numpy()  # the rotated keys, [1, length, Hkv, D]
    assert_close(stored[0], k_rot, tolerance, "stored keys")

    with pytest.raises(vkrope.InvalidArgumentError):
        cache.append(k[:1], v[:1], layer=1)  # past capacity: nothing written
    assert cache.length(1) == total
    cache.clear()
    assert cache.length(1) == 0


def test_kv_cache_errors(ctx):
    with pytest.raises(vkrope.InvalidArgumentError):
        vkrope.KvCache(ctx, capacity=0, kv_heads=1, head_dim=32)
    cache = vkrope.KvCache(ctx, capacity=4, kv_heads=2, head_dim=32)
    with pytest.raises(vkrope.InvalidArgumentError):
        cache.append(np.zeros((1, 3, 32), np.float32), np.zeros((1, 3, 32), np.float32))  # 3 kv heads
    with pytest.raises(TypeError, match="float64"):
        cache.append(np.zeros((1, 2, 32)), np.zeros((1, 2, 32)))
    with pytest.raises(vkrope.InvalidArgumentError):
        cache.append(np.zeros((1, 2, 32), np.float32), np.zeros((1, 2, 32), np.float32), layer=3)
