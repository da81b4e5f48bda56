"""The GIL is released during device work: two Python threads share one Context."""

import sys
import threading
import time

import numpy as np

import vkrope

import reference
from reference import assert_close


def test_two_threads_share_a_context(ctx, rng):
    inputs = [rng.uniform(-1, 1, (3, 24, 4, 32)).astype(np.float32) for _ in range(2)]
    results, errors = [None, None], []

    def work(i):
        try:
            x = inputs[i]
            for _ in range(3):
                y = vkrope.rope(x, np.arange(24), context=ctx)
                o = vkrope.attention(y[0], y[1], y[2], causal=True, context=ctx)
            results[i] = (y, o)
        except Exception as e:  # reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for i, (y, o) in enumerate(results):
        want_y = reference.rope(inputs[i], np.arange(24), reference.inv_freq(32))
        assert_close(y, want_y, 1e-6, f"thread {i} rope")
        assert_close(o, reference.attention(y[0], y[1], y[2], causal=True), 1e-5, f"thread {i} attention")


def test_gil_released_during_device_work(ctx, rng):
    # One call long enough to see (attention of 64 queries over 1024 keys: ~0.1 s on lavapipe,
    # ~0.5 s on SwiftShader) runs in a thread while the main thread keeps running Python: were
    # the GIL held for the call, the main thread would stall for all of it. The longest stall
    # it sees must be well under the call's duration. Best of three, for a loaded machine.
    q = rng.uniform(-1, 1, (64, 8, 64)).astype(np.float32)
    k = rng.uniform(-1, 1, (1024, 8, 64)).astype(np.float32)
    vkrope.attention(q, k, k, context=ctx)  # warm: pipelines built
    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(0.001)
    try:
        ratios = []
        for _ in range(3):
            span = {}

            def call():
                span["start"] = time.perf_counter()
                vkrope.attention(q, k, k, context=ctx)
                span["end"] = time.perf_counter()

            worker = threading.Thread(target=call)
            ticks = []
            worker.start()
            while worker.is_alive():
                ticks.append(time.perf_counter())
            worker.join()
            inside = [t for t in ticks if span["start"] <= t <= span["end"]]
            duration = span["end"] - span["start"]
            edges = [span["start"]] + inside + [span["end"]]
            longest = max(b - a for a, b in zip(edges, edges[1:]))
            ratios.append(longest / duration)
            print(f"call {duration * 1e3:.1f} ms, {len(inside)} main-thread ticks in it, longest stall "
                  f"{longest * 1e3:.1f} ms")
            if longest < 0.5 * duration and len(inside) > 10:
                break
        assert min(ratios) < 0.5, f"main thread stalled for {min(ratios):.0%} of a device call: GIL held?"
    finally:
        sys.setswitchinterval(old_interval)
