"""vkrope.rope and RopeConfig against the float64 numpy reference (reference.py)."""

import numpy as np
import pytest

import vkrope

import reference
from reference import assert_close

# Tolerances (L2 relative error against float64):
#  f32 storage: the angles are exact (computed on the host in double), the rotation is a few
#    f32 operations: ~1e-7; 1e-6 leaves room for the drivers' sin/cos-free table lookups.
#  f16 storage: the output is rounded to binary16 (relative 2^-11 = 4.9e-4 per element; the
#    L2 error of many such roundings is about a third of that); the reference takes the same
#    f16 inputs, so input rounding does not count: 1e-3.
TOLERANCE = {np.float32: 1e-6, np.float16: 1e-3}

LLAMA3 = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
          "original_max_position_embeddings": 64}


@pytest.mark.parametrize("dtype", [np.float32, np.float16], ids=["f32", "f16"])
@pytest.mark.parametrize(
    "layout,scaling,rotary_dim",
    [
        ("neox", None, None),
        ("interleaved", None, None),
        ("neox", ("linear", 4.0), None),
        ("neox", ("llama3", 8.0, 1.0, 4.0, 64), None),
        ("interleaved", None, 32),  # partial rotary: dims 32..63 pass through
    ],
    ids=["neox", "interleaved", "linear", "llama3", "partial"],
)
def test_rope_matches_reference(ctx, rng, dtype, layout, scaling, rotary_dim):
    seq, heads, kv_heads, head_dim = 13, 4, 2, 64  # seq not a multiple of any workgroup
    q = rng.uniform(-1, 1, (seq, heads, head_dim)).astype(dtype)
    k = rng.uniform(-1, 1, (seq, kv_heads, head_dim)).astype(dtype)
    positions = rng.integers(0, 5000, seq)  # int64, out of order
    fields = {"layout": layout, "theta": 10000.0}
    if rotary_dim:
        fields["rotary_dim"] = rotary_dim
    if scaling and scaling[0] == "linear":
        fields["scaling"] = {"rope_type": "linear", "factor": scaling[1]}
    elif scaling:
        fields["scaling"] = LLAMA3
    q_out, k_out = vkrope.rope(q, positions, k, context=ctx, **fields)
    assert q_out.dtype == dtype and q_out.shape == q.shape and k_out.shape == k.shape
    freq = reference.inv_freq(rotary_dim or head_dim, 10000.0, scaling)
    what = f"{layout} {scaling} rotary_dim={rotary_dim} {np.dtype(dtype).name}"
    assert_close(q_out, reference.rope(q, positions, freq, layout, rotary_dim), TOLERANCE[dtype], "q " + what)
    assert_close(k_out, reference.rope(k, positions, freq, layout, rotary_dim), TOLERANCE[dtype], "k " + what)


def test_defaults_offset_and_batch(ctx, rng):
    # [batch, seq, heads, head_dim], no positions: offset + token index; int32 positions too.
    x = rng.uniform(-1, 1, (2, 5, 3, 16)).astype(np.float32)
    y = vkrope.rope(x, offset=7, context=ctx)
    want = reference.rope(x, np.arange(7, 12), reference.inv_freq(16))
    assert_close(y, want, 1e-6, "offset")
    per_row = np.array([[0, 1, 2, 3, 4], [9, 8, 7, 6, 5]], dtype=np.int32)  # [batch * seq]
    y = vkrope.rope(x, positions=per_row, context=ctx)
    for b in range(2):
        assert_close(y[b], reference.rope(x[b], per_row[b], reference.inv_freq(16)), 1e-6, f"row {b}")


def test_inverse_undoes_rotation(ctx, rng):
    x = rng.uniform(-1, 1, (9, 2, 32)).astype(np.float32)
    p = np.arange(100, 109)
    y = vkrope.rope(x, p, context=ctx, theta=500000.0)
    assert_close(vkrope.rope(y, p, context=ctx, theta=500000.0, inverse=True), x, 2e-6, "inverse")


def test_tensors_in_place_and_into_outputs(ctx, rng):
    q = rng.uniform(-1, 1, (6, 2, 32)).astype(np.float32)
    k = rng.uniform(-1, 1, (6, 1, 32)).astype(np.float32)
    p = np.arange(6)
    want_q = reference.rope(q, p, reference.inv_freq(32))
    want_k = reference.rope(k, p, reference.inv_freq(32))
    qt, kt = vkrope.Tensor.from_numpy(ctx, q), vkrope.Tensor.from_numpy(ctx, k)
    result = vkrope.rope(qt, p, kt)  # in place
    assert result[0] is not None and result[0].shape == qt.shape
    assert_close(qt.numpy(), want_q, 1e-6, "q in place")
    assert_close(kt.numpy(), want_k, 1e-6, "k in place")
    q_in = vkrope.Tensor.from_numpy(ctx, q)
    q_out = vkrope.Tensor.empty(ctx, q.shape)
    out = vkrope.rope(q_in, p, q_out=q_out)
    assert out is not None and out.shape == q.shape
    np.testing.assert_array_equal(q_in.numpy(), q)  # input untouched
    assert_close(q_out.numpy(), want_q, 1e-6, "q into an output")


def test_rope_config_object(ctx, rng):
    hf = {"rope_theta": 1000000.0, "hidden_size": 256, "num_attention_heads": 8,
          "max_position_embeddings": 4096, "rope_scaling": {"rope_type": "linear", "factor": 2.0}}
    config = vkrope.RopeConfig.from_hf_config(hf)
    assert (config.head_dim, config.theta, config.layout) == (32, 1000000.0, "neox")
    assert config.scaling.type == "linear" and config.scaling.factor == 2.0
    inv_freq, factor = config.frequencies()
    np.testing.assert_allclose(inv_freq, reference.inv_freq(32, 1e6, ("linear", 2.0)), rtol=1e-14)
    assert factor == 1.0
    x = rng.uniform(-1, 1, (4, 8, 32)).astype(np.float32)
    p = np.arange(4) * 1000
    want = reference.rope(x, p, inv_freq)
    assert_close(vkrope.rope(x, p, config=config, context=ctx), want, 1e-6, "from_hf_config")
    # keyword fields over a config: the config itself is not changed
    y = vkrope.rope(x, p, config=config, context=ctx, scaling="default")
    assert_close(y, reference.rope(x, p, reference.inv_freq(32, 1e6)), 1e-6, "scaling override")
    assert config.scaling.type == "linear"
    built = vkrope.RopeConfig(head_dim=32, theta=1e6, scaling=vkrope.RopeScaling("linear", factor=2.0))
    assert_close(vkrope.rope(x, p, config=built, context=ctx), want, 1e-6, "RopeConfig(**fields)")
    assert "linear" in repr(built)


def test_rope_errors(ctx):
    x = np.zeros((4, 2, 16), dtype=np.float32)
    with pytest.raises(TypeError, match="float64"):
        vkrope.rope(np.zeros((4, 2, 16)), context=ctx)
    with pytest.raises(TypeError, match="integer"):
        vkrope.rope(x, positions=np.zeros(4), context=ctx)
    with pytest.raises(TypeError, match="unexpected keyword argument 'thetaa'"):
        vkrope.rope(x, context=ctx, thetaa=5.0)
    with pytest.raises(vkrope.InvalidArgumentError) as info:
        vkrope.rope(x, positions=[0, 1, 2], context=ctx)  # 3 positions for 4 tokens
    assert info.value.kind == "InvalidArgument"
    with pytest.raises(vkrope.InvalidArgumentError):
        vkrope.rope(x, context=ctx, head_dim=32)  # config for another head_dim
    with pytest.raises(vkrope.InvalidArgumentError):
        vkrope.rope(x, positions=[-1, 0, 1, 2], context=ctx)
    with pytest.raises(vkrope.InvalidArgumentError, match="layout"):
        vkrope.rope(x, context=ctx, layout="sideways")
    with pytest.raises(vkrope.InvalidArgumentError):
        vkrope.rope(x, np.arange(4), np.zeros((4, 2, 8), dtype=np.float32), context=ctx)  # k head_dim
    with pytest.raises(vkrope.InvalidArgumentError, match="factor"):
        vkrope.RopeConfig.from_hf_config({"rope_theta": 1e4, "head_dim": 16,
                                          "rope_scaling": {"rope_type": "linear"}})
    with pytest.raises(TypeError):
        vkrope.rope(vkrope.Tensor.from_numpy(ctx, x), k=x)  # a tensor and an array


def _gguf(path, metadata):
    """A GGUF v3 file with metadata only: {key: str | int (u32) | float (f32)}."""
    import struct

    def string(s):
        b = s.encode()
        return struct.pack("<Q", len(b)) + b

    out = b"GGUF" + struct.pack("<IQQ", 3, 0, len(metadata))
    for key, value in metadata.items():
        if isinstance(value, str):
            out += string(key) + struct.pack("<I", 8) + string(value)
        elif isinstance(value, int):
            out += string(key) + struct.pack("<II", 4, value)
        else:
            out += string(key) + struct.pack("<If", 6, value)
    out += b"\0" * (-len(out) % 32)  # tensor data starts aligned
    path.write_bytes(out)


def test_from_gguf(tmp_path):
    path = tmp_path / "model.gguf"
    _gguf(path, {"general.architecture": "llama", "llama.embedding_length": 2048,
                 "llama.attention.head_count": 16, "llama.context_length": 4096,
                 "llama.rope.freq_base": 500000.0})
    config = vkrope.RopeConfig.from_gguf(str(path))
    # llama.cpp rotates llama in the interleaved layout (its GGUF weights are permuted for it)
    assert (config.head_dim, config.theta, config.layout) == (128, 500000.0, "interleaved")
    assert vkrope.RopeConfig.from_gguf(path).theta == 500000.0  # a pathlib.Path too
    with pytest.raises(vkrope.IoError):
        vkrope.RopeConfig.from_gguf(str(tmp_path / "missing.gguf"))
