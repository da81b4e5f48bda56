# The Python example in README.md, run by tests/python/test_readme_example.py.
import numpy as np
import vkrope

print([d.name for d in vkrope.devices()])
ctx = vkrope.Context(device=0)                      # or "swiftshader", validation=True, ...

rng = np.random.default_rng(0)
q = rng.standard_normal((16, 8, 64), dtype=np.float32)   # [seq, heads, head_dim]
k = rng.standard_normal((16, 2, 64), dtype=np.float32)   # 2 kv heads (GQA)
v = rng.standard_normal((16, 2, 64), dtype=np.float32)

# RoPE: RopeConfig's defaults, head_dim from q; any field as a keyword.
q_rot, k_rot = vkrope.rope(q, np.arange(16), k, theta=500000.0, context=ctx)
out = vkrope.attention(q_rot, k_rot, v, causal=True, context=ctx)   # numpy in, numpy out

# Or from a model's config.json, and a KV cache for decoding.
config = vkrope.RopeConfig.from_hf_config({"rope_theta": 500000.0, "head_dim": 64})
cache = vkrope.KvCache(ctx, capacity=32, kv_heads=2, head_dim=64, rope=config)
cache.append(k, v)                                    # keys rotated as they are stored
step = cache.attend(q[-1:], causal=True)             # the last token's query
assert np.allclose(step, out[-1:], atol=2e-3)        # the cache stores f16

try:
    vkrope.attention(q, k[:, :1, :32], v, context=ctx)
except vkrope.InvalidArgumentError as e:            # a ValueError; e.kind == "InvalidArgument"
    print(e.kind, e)

report = vkrope.conformance.run(context=ctx, cases=["rope/default/neox/f32/full/near"])
print(report["devices"][0]["summary"])
