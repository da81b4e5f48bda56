"""vkrope.conformance: the case matrix from Python, the report as a dict."""

import pytest

import vkrope


def test_cases_listed():
    every, quick = vkrope.conformance.cases(), vkrope.conformance.cases(quick=True)
    assert len(every) > len(quick) > 0 and set(quick) <= set(every)


def test_run_returns_the_report(ctx):
    seen = []
    family = "rope/default/neox/f32/full"
    report = vkrope.conformance.run(context=ctx, cases=[family], seed=1234,
                                    progress=lambda i, n, case: seen.append((i, n, case)))
    assert report["seed"] == 1234 and report["vkrope_version"] == vkrope.__version__
    (device,) = report["devices"]
    assert device["name"] == ctx.device.name
    cases = device["cases"]
    assert cases and all(c["id"].startswith(family) for c in cases)
    assert seen[-1] == (len(cases), len(cases), "")  # the end
    assert [case for _, _, case in seen[:-1]] == [c["id"] for c in cases]
    failed = [c for c in cases if not c["passed"]]
    assert not failed, failed
    assert device["summary"]["failed"] == 0


def test_unknown_case_is_invalid_argument():
    with pytest.raises(vkrope.InvalidArgumentError):
        vkrope.conformance.run(cases=["no/such/case"])
