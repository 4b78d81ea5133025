"""sktime's full estimator suite (``check_estimator``) on every deep regressor.

Each class runs sktime's checks with its own tiny ``get_test_params`` (one
parameter set: one epoch of a network with a handful of units, eager, with the
internal validation split, early stopping and density weights on, the branches
most code runs through; the other training branches -- no validation split, no
early stopping, unweighted, stacked layers -- are covered by
``tests/test_regressors_deep.py``): fitting,
predicting, unequal-length input where supported, idempotence under a fixed
``random_state``, deepcopy, pickling and ``save``/``load`` of a fitted model,
docstring examples.  The test fails on any failed check and prints them.
"""

from __future__ import annotations

import pytest

from tserbench.regressors import list_models, resolve_model_class

pytest.importorskip("tensorflow")

#: every deep regressor of the registry: a network added there is checked here too
DEEP = [info.name for info in list_models(include_plugins=False) if info.kind == "deep"]


@pytest.mark.slow
@pytest.mark.parametrize("name", DEEP)
def test_sktime_check_estimator(name):
    from sktime.utils.estimator_checks import check_estimator

    cls = resolve_model_class(name)
    results = check_estimator(cls, raise_exceptions=False, verbose=False)
    failures = {test: str(outcome) for test, outcome in results.items() if outcome != "PASSED"}
    for test, outcome in failures.items():
        print(f"{test}: {outcome[:2000]}")
    assert len(results) > 50, f"suspiciously few checks ran for {name}: {len(results)}"
    assert failures == {}, f"{len(failures)} of {len(results)} sktime checks failed for {name}"
