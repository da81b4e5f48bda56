"""vkrope: rotary position embedding (RoPE) and attention on any Vulkan device.

numpy arrays in, numpy arrays out::

    import numpy as np, vkrope
    x = np.random.default_rng(0).standard_normal((16, 8, 64), dtype=np.float32)
    y = vkrope.rope(x, positions=np.arange(16))          # RopeConfig defaults, head_dim 64
    o = vkrope.attention(y, y, y, causal=True)

or device tensors (vkrope.Tensor) that stay on the device between calls, and a KvCache for
decoding. Device work runs with the GIL released, so Python threads may share a Context.
Every failure raises vkrope.Error (a RuntimeError) or one of its subclasses, with .kind.
"""

from ._vkrope import (  # noqa: F401  (the public API, re-exported)
    AttentionConfig,
    Context,
    DeviceInfo,
    DeviceLostError,
    Error,
    InternalError,
    InvalidArgumentError,
    IoError,
    KvCache,
    MemoryStats,
    MismatchError,
    OutOfMemoryError,
    RopeConfig,
    RopeScaling,
    Tensor,
    UnsupportedError,
    __version__,
    alibi_slopes,
    attention,
    default_context,
    devices,
    git_revision,
    has_cooperative_matrix_kernel,
    rope,
    set_default_context,
    vision_grid_positions,
)
from . import conformance  # noqa: F401

__all__ = [
    "AttentionConfig",
    "Context",
    "DeviceInfo",
    "DeviceLostError",
    "Error",
    "InternalError",
    "InvalidArgumentError",
    "IoError",
    "KvCache",
    "MemoryStats",
    "MismatchError",
    "OutOfMemoryError",
    "RopeConfig",
    "RopeScaling",
    "Tensor",
    "UnsupportedError",
    "__version__",
    "alibi_slopes",
    "attention",
    "conformance",
    "default_context",
    "devices",
    "git_revision",
    "has_cooperative_matrix_kernel",
    "rope",
    "set_default_context",
    "vision_grid_positions",
]
