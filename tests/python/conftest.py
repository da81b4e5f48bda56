"""Fixtures of the Python module's tests: every Vulkan device, validation on.

`ctx` is a Context on each device the loader reports (lavapipe and SwiftShader here; SwiftShader
through VK_ADD_DRIVER_FILES, which CTest sets), created once per device with the Khronos
validation layer on; every test that uses it fails if the layer reported anything during the
test. `rng` is a numpy Generator with a fresh seed, printed (shown on failure) and replayed
with VKROPE_TEST_SEED=<seed>.
"""

import os
import random
import re

import numpy as np
import pytest

import vkrope

DEVICES = [d for d in vkrope.devices() if d.has_compute_queue]


def _device_id(device):
    """A short, stable test id: 'llvmpipe1', 'SwiftShader0'."""
    return re.sub(r"[^A-Za-z0-9]", "", device.name.split(" ")[0]) + str(device.index)


def pytest_report_header(config):
    names = ", ".join(f"[{d.index}] {d.name}" for d in DEVICES) or "none"
    return f"vkrope {vkrope.__version__}: Vulkan devices {names}"


@pytest.fixture(scope="session")
def expected_devices():
    """How many devices the build's set-up installed (VKROPE_EXPECTED_DEVICES, from CMake)."""
    return int(os.environ.get("VKROPE_EXPECTED_DEVICES", "0"))


@pytest.fixture(scope="session", params=DEVICES, ids=[_device_id(d) for d in DEVICES])
def device_context(request):
    """One validated Context per device for the whole run (pipelines are built once)."""
    context = vkrope.Context(device=request.param.index, validation=True)
    yield context
    context.wait_idle()


@pytest.fixture
def ctx(device_context):
    """The device's Context; the test fails on any validation message it caused."""
    device_context.clear_validation_messages()
    yield device_context
    device_context.wait_idle()
    messages = device_context.validation_messages()
    assert not messages, "validation layer: " + "\n".join(messages)


@pytest.fixture
def rng():
    """numpy Generator with a fresh seed (VKROPE_TEST_SEED replays one)."""
    seed = int(os.environ.get("VKROPE_TEST_SEED", random.SystemRandom().randrange(2**32)))
    print(f"seed {seed} (replay with VKROPE_TEST_SEED={seed})")
    return np.random.default_rng(seed)
