"""The conformance suite (`vkrope conformance`) from Python.

``vkrope.conformance.run(context=ctx, quick=True)`` checks RoPE and attention on the context's
device against vkrope's double-precision CPU reference and returns the JSON report as a dict;
``vkrope.conformance.cases()`` lists the case ids.
"""

from ._vkrope import conformance as _compiled

run = _compiled.run
cases = _compiled.cases

__all__ = ["cases", "run"]
