"""The module itself: devices, contexts, tensors, errors, docstrings."""

import inspect
import os
import subprocess
import sys

import numpy as np
import pytest

import vkrope

import reference
from conftest import DEVICES
from reference import assert_close


def test_every_expected_device_is_present(expected_devices):
    # CTest passes how many drivers the set-up installed; fewer means one failed to load.
    assert len(DEVICES) >= max(expected_devices, 1), [d.name for d in DEVICES]


def test_device_info():
    for d in DEVICES:
        assert d.name and d.type in {"discrete", "integrated", "virtual", "cpu", "other"}, repr(d)
        assert d.api_version.count(".") == 2
        assert d.max_storage_buffer_range > 0
        assert str(d.index) in repr(d)


def test_context_options(ctx):
    assert ctx.validation
    assert ctx.device.name == ctx.hardware.name
    emulated = vkrope.Context(device=ctx.device.index, emulate="baseline")
    assert emulated.device.emulation == "baseline" and not emulated.device.float16
    assert "baseline" in repr(emulated)
    by_name = vkrope.Context(device=ctx.device.name.split(" ")[0])
    assert by_name.device.name.split(" ")[0] == ctx.device.name.split(" ")[0]


def test_bad_selector_is_invalid_argument():
    with pytest.raises(vkrope.InvalidArgumentError) as info:
        vkrope.Context(device="no-such-gpu")
    error = info.value
    assert isinstance(error, vkrope.Error) and isinstance(error, ValueError) and isinstance(error, RuntimeError)
    assert error.kind == "InvalidArgument" and error.vk_result == 0
    assert "no device matches 'no-such-gpu'" in str(error)
    with pytest.raises(vkrope.InvalidArgumentError, match="emulate"):
        vkrope.Context(emulate="fast")
    with pytest.raises(TypeError):
        vkrope.Context(device=1.5)


def test_tensor_round_trip(ctx, rng):
    x = rng.standard_normal((3, 5, 8)).astype(np.float32)
    t = vkrope.Tensor.from_numpy(ctx, x)
    assert (t.dtype, t.shape, t.strides, t.size, t.ndim) == ("f32", (3, 5, 8), (40, 8, 1), 120, 3)
    np.testing.assert_array_equal(t.numpy(), x)  # f32 bits kept exactly
    np.testing.assert_array_equal(np.asarray(t), x)
    h = vkrope.Tensor.from_numpy(ctx, x, dtype="f16")
    assert h.numpy().dtype == np.float16
    np.testing.assert_array_equal(h.numpy(), x.astype(np.float16))  # round to nearest even, as numpy
    x16 = x.astype(np.float16)
    np.testing.assert_array_equal(vkrope.Tensor.from_numpy(ctx, x16).numpy(), x16)  # f16 bits kept
    np.testing.assert_array_equal(vkrope.Tensor.from_numpy(ctx, x16, dtype="f32").numpy(), x16.astype(np.float32))
    strided = x[:, ::2, :]  # not contiguous: copied in C order
    np.testing.assert_array_equal(vkrope.Tensor.from_numpy(ctx, strided).numpy(), strided)
    view = t.view((3, 5, 4), (40, 8, 1), offset=4)  # the second half of each head
    np.testing.assert_array_equal(view.numpy(), x[:, :, 4:])
    view.upload(np.zeros((3, 5, 4), dtype=np.float32))
    np.testing.assert_array_equal(t.numpy()[:, :, 4:], 0)
    np.testing.assert_array_equal(t.numpy()[:, :, :4], x[:, :, :4])
    e = vkrope.Tensor.empty(ctx, [2, 4], "bf16")
    e.upload(np.ones((2, 4), dtype=np.float32))
    assert e.numpy().dtype == np.float32 and np.all(e.numpy() == 1)


def test_tensor_errors(ctx):
    with pytest.raises(TypeError, match="float64"):
        vkrope.Tensor.from_numpy(ctx, np.zeros((2, 2)))
    with pytest.raises(TypeError, match="int64"):
        vkrope.Tensor.from_numpy(ctx, np.zeros((2, 2), dtype=np.int64))
    with pytest.raises(vkrope.InvalidArgumentError):
        vkrope.Tensor.from_numpy(ctx, np.zeros((1, 1, 1, 1, 2), dtype=np.float32))  # rank 5
    with pytest.raises(vkrope.InvalidArgumentError, match="dtype"):
        vkrope.Tensor.empty(ctx, [2], "f64")
    t = vkrope.Tensor.empty(ctx, [2, 3])
    with pytest.raises(vkrope.InvalidArgumentError, match="shape"):
        t.upload(np.zeros((3, 2), dtype=np.float32))
    with pytest.raises(vkrope.InvalidArgumentError):
        t.view((4, 3), (3, 1))  # past the end of the buffer


def _public_objects():
    for name in vkrope.__all__:
        obj = getattr(vkrope, name)
        if isinstance(obj, str):
            continue
        yield name, obj
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                public = not attr.startswith("_") or attr == "__init__"
                if public and (callable(member) or isinstance(member, property)):
                    yield f"{name}.{attr}", member
    for name in vkrope.conformance.__all__:
        yield f"conformance.{name}", getattr(vkrope.conformance, name)


def test_docstrings_everywhere():
    missing = [name for name, obj in _public_objects() if not (getattr(obj, "__doc__", None) or "").strip()]
    assert not missing, f"no docstring: {missing}"
    assert vkrope.__doc__ and vkrope.conformance.__doc__
    assert vkrope.__version__.count(".") == 2


def test_emulated_portable_paths(ctx, rng):
    # Baseline features (portable kernels, no f16 arithmetic) on a discrete GPU's memory
    # (uploads and downloads through staging copies): the numpy paths through both.
    emulated = vkrope.Context(device=ctx.device.index, validation=True, emulate="baseline,discrete")
    assert emulated.device.emulation == "baseline,discrete" and not emulated.device.unified_memory
    x = rng.uniform(-1, 1, (5, 2, 16)).astype(np.float16)
    np.testing.assert_array_equal(vkrope.Tensor.from_numpy(emulated, x).numpy(), x)
    y = vkrope.rope(x, np.arange(5), context=emulated)
    assert_close(y, reference.rope(x, np.arange(5), reference.inv_freq(16)), 1e-3, "rope, emulated")
    q = x.astype(np.float32)
    out = vkrope.attention(q, q, q, causal=True, context=emulated)
    assert_close(out, reference.attention(q, q, q, causal=True), 1e-5, "attention, emulated")
    emulated.wait_idle()
    assert not emulated.validation_messages(), emulated.validation_messages()


def test_default_context(ctx):
    vkrope.set_default_context(ctx)
    try:
        assert vkrope.default_context().device.name == ctx.device.name
        x = np.ones((2, 1, 4), dtype=np.float32)
        np.testing.assert_allclose(vkrope.rope(x), reference.rope(x, np.arange(2), reference.inv_freq(4)), atol=1e-6)
    finally:
        vkrope.set_default_context(None)


def test_default_context_from_environment_at_exit():
    # A default Context made from the environment, alive until the interpreter exits: dropped
    # by the atexit hook before the drivers go, so the process exits cleanly.
    code = ("import numpy as np, vkrope; "
            "print(vkrope.attention(*[np.ones((2, 1, 8), np.float32)] * 3).sum()); "
            "print(vkrope.default_context().device.name)")
    env = dict(os.environ, VKROPE_DEVICE=str(DEVICES[-1].index))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    total, name = done.stdout.split("\n")[:2]
    assert float(total) == 16.0 and name == DEVICES[-1].name
