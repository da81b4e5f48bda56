"""float64 numpy references for the tests: RoPE (transformers' frequency definitions) and
attention (every mask and logit option), written from the definitions in vkrope's headers,
independent of vkrope's own CPU reference."""

import math

import numpy as np


def inv_freq(rotary_dim, theta=10000.0, scaling=None):
    """Pair i's angular frequency: theta^(-2i / rotary_dim), then the scaling type's change
    (None / 'default', ('linear', factor), ('llama3', factor, low, high, original))."""
    freq = 1.0 / theta ** (np.arange(0, rotary_dim, 2, dtype=np.float64) / rotary_dim)
    if scaling is None or scaling[0] == "default":
        return freq
    if scaling[0] == "linear":
        return freq / scaling[1]
    if scaling[0] == "llama3":  # transformers' _compute_llama3_parameters
        _, factor, low, high, original = scaling
        low_wavelen, high_wavelen = original / low, original / high
        wavelen = 2 * math.pi / freq
        scaled = np.where(wavelen > low_wavelen, freq / factor, freq)
        smooth = (original / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = ~(wavelen < high_wavelen) & ~(wavelen > low_wavelen)
        return np.where(medium, smoothed, scaled)
    raise ValueError(scaling)


def rope(x, positions, freq, layout="neox", rotary_dim=None):
    """x [..., seq, heads, head_dim] rotated at positions [seq]: pairs (i, i + r/2) for neox,
    (2i, 2i + 1) for interleaved; dimensions past rotary_dim unchanged."""
    x = np.asarray(x, dtype=np.float64)
    r = rotary_dim or x.shape[-1]
    angle = np.asarray(positions, dtype=np.float64)[:, None] * freq[None, :]  # [seq, r/2]
    cos, sin = np.cos(angle)[:, None, :], np.sin(angle)[:, None, :]  # over heads
    out = x.copy()
    if layout == "neox":
        a, b = x[..., : r // 2], x[..., r // 2 : r]
        out[..., : r // 2] = a * cos - b * sin
        out[..., r // 2 : r] = a * sin + b * cos
    else:
        a, b = x[..., 0:r:2], x[..., 1:r:2]
        out[..., 0:r:2] = a * cos - b * sin
        out[..., 1:r:2] = a * sin + b * cos
    return out


def alibi_slopes(heads):
    """Press et al.'s slopes: 2^(-8i/n), for a non-power-of-two n those of the lower power
    of two, then every other slope of the next."""

    def power_of_two(n):
        return [2.0 ** (-8.0 * (i + 1) / n) for i in range(n)]

    m = 1 << (heads.bit_length() - 1)
    if m == heads:
        return np.array(power_of_two(heads))
    return np.array(power_of_two(m) + power_of_two(2 * m)[0::2][: heads - m])


def attention(q, k, v, causal=False, scale=None, window=None, alibi=False, softcap=0.0, sinks=None,
              query_positions=None, key_positions=None):
    """q [Sq, H, D], k and v [Skv, Hkv, D] (GQA: query head h reads kv head h // (H / Hkv)).
    Positions default to bottom-right alignment. A query that sees no key (and has no sink)
    gives zeros."""
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    sq, h, d = q.shape
    skv, hkv, _ = k.shape
    k = np.repeat(k, h // hkv, axis=1)
    v = np.repeat(v, h // hkv, axis=1)
    qp = np.arange(skv - sq, skv) if query_positions is None else np.asarray(query_positions)
    kp = np.arange(skv) if key_positions is None else np.asarray(key_positions)
    s = np.einsum("qhd,khd->hqk", q, k) * (1.0 / math.sqrt(d) if scale is None else scale)
    if softcap:
        s = softcap * np.tanh(s / softcap)
    distance = np.abs(qp[:, None] - kp[None, :]).astype(np.float64)  # [Sq, Skv]
    if alibi:
        s -= alibi_slopes(h)[:, None, None] * distance[None]
    visible = np.ones((sq, skv), dtype=bool)
    if causal:
        visible &= kp[None, :] <= qp[:, None]
    if window is not None:
        visible &= distance < window
    s = np.where(visible[None], s, -np.inf)
    sink = np.full(h, -np.inf) if sinks is None else np.asarray(sinks, dtype=np.float64)
    m = np.maximum(s.max(axis=2), sink[:, None])  # [H, Sq]
    m = np.where(np.isfinite(m), m, 0.0)
    p = np.exp(s - m[:, :, None])
    denominator = p.sum(axis=2) + np.exp(sink[:, None] - m)
    p = np.divide(p, denominator[:, :, None], out=np.zeros_like(p), where=denominator[:, :, None] > 0)
    return np.einsum("hqk,khd->qhd", p, v)


def assert_close(got, want, rel, what):
    """L2 relative error of got against the float64 reference `want` within `rel`; on failure
    the message names the worst element."""
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, f"{what}: shape {got.shape}, expected {want.shape}"
    assert np.all(np.isfinite(got)), f"{what}: non-finite output"
    diff = np.abs(got - want)
    norm = np.linalg.norm(want)
    err = np.linalg.norm(got - want) / (norm if norm > 0 else 1.0)
    worst = np.unravel_index(np.argmax(diff), diff.shape) if diff.size else ()
    assert err <= rel, (
        f"{what}: relative error {err:.3g} > {rel:.3g}; worst element {worst}: "
        f"{got[worst]!r} vs {want[worst]!r}"
    )
