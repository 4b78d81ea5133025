"""Any scikit-learn splitter object as a runner splitter (``run_benchmark(cv=...)``).

The runner names each job ``(repeat, fold)`` and records its protocol in the
result store, so that a resumed run is refused when it would split
otherwise.  :class:`SplitterOfObject` gives a splitter object (anything
with ``split(X, y)``: ``KFold``, ``RepeatedKFold``, ``ShuffleSplit``, one of
:mod:`tserbench.evaluation.splitters`) the runner's
``split_with_repeat`` and ``protocol``.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import numpy as np

from tserbench.exceptions import ConfigError

__all__ = ["SplitterOfObject", "check_cv"]


def _params(cv: Any) -> dict[str, Any]:
    """The constructor parameters of ``cv`` (scikit-learn splitters have no ``get_params``)."""
    get_params = getattr(cv, "get_params", None)
    if callable(get_params):
        return dict(get_params(deep=False))
    try:
        names = [p for p in inspect.signature(type(cv).__init__).parameters if p != "self"]
    except (TypeError, ValueError):
        return {}
    nested = getattr(cv, "cvargs", None) or {}  # sklearn's repeated splitters keep n_splits here
    return {n: getattr(cv, n, nested.get(n)) for n in names}


def check_cv(cv: Any) -> None:
    """Refuse what cannot be a reproducible splitter of a resumable run.

    Raises
    ------
    ConfigError
        If ``cv`` has no ``split`` method, or it shuffles without an integer
        ``random_state`` (a resumed run would see other splits than the jobs
        already written).
    """
    if isinstance(cv, str) or not callable(getattr(cv, "split", None)):
        raise ConfigError(f"cv must be a splitter object with split(X, y) (e.g. KFold(5)), got {cv!r}")
    params = _params(cv)
    if "random_state" in params and params.get("shuffle", True):
        state = params["random_state"]
        if isinstance(state, bool) or not isinstance(state, (int, np.integer)):
            raise ConfigError(
                f"cv {cv!r}: give the splitter an integer random_state; with {state!r} a resumed run "
                "would split otherwise than the jobs already written"
            )


class SplitterOfObject:
    """Wrap a splitter object: jobs ``(repeat, fold)`` and a recorded protocol.

    Parameters
    ----------
    cv : object
        A splitter with ``split(X, y)``.  One that has ``split_with_repeat``
        (the splitters of :mod:`tserbench.evaluation.splitters`) names its
        own jobs; a repeated scikit-learn splitter (``n_repeats`` in its
        parameters, e.g. ``RepeatedKFold``) gives split ``i`` repeat
        ``i // k`` and fold ``i % k``; any other gives repeat 0, fold ``i``.

    Notes
    -----
    :attr:`protocol` is ``repr(cv)`` (scikit-learn's repr lists the
    parameters, so ``KFold(n_splits=5, random_state=0, shuffle=True)`` and
    ``KFold(n_splits=5, random_state=1, shuffle=True)`` are different runs).
    """

    def __init__(self, cv: Any):
        check_cv(cv)
        self.cv = cv

    @property
    def protocol(self) -> str:
        """``repr`` of the wrapped splitter, as the result store records it."""
        return " ".join(repr(self.cv).split())  # one line, whatever the repr wraps

    @property
    def seeds_estimator_by_repeat(self) -> bool:
        """As the wrapped splitter says (tsml-eval's resamples do); False otherwise."""
        return bool(getattr(self.cv, "seeds_estimator_by_repeat", False))

    def split_with_repeat(self, X, y) -> Iterator[tuple[int, int, np.ndarray, np.ndarray]]:
        """Generate ``(repeat, fold, train_index, test_index)``.

        ``X`` is passed to the splitter as it is when it is an array; a panel
        of another kind (a list of unequal-length series, a pd-multiindex
        frame) as a placeholder of one row per instance, since a splitter
        only counts rows.
        """
        cv = self.cv
        if hasattr(cv, "split_with_repeat"):
            yield from cv.split_with_repeat(X, y)
            return
        y = np.asarray(y)
        X_split = X if isinstance(X, np.ndarray) else np.zeros((len(y), 1))
        params = _params(cv)
        try:
            splits = list(cv.split(X_split, y))
        except (TypeError, ValueError) as exc:  # e.g. GroupKFold without groups, more folds than instances
            raise ConfigError(f"cv {cv!r}: cannot split {len(y)} instances ({exc})") from None
        n_repeats = params.get("n_repeats")
        per_repeat = len(splits) // n_repeats if isinstance(n_repeats, int) and n_repeats > 0 else 0
        if not per_repeat or per_repeat * n_repeats != len(splits):
            per_repeat = len(splits)
        for i, (train, test) in enumerate(splits):
            yield i // per_repeat, i % per_repeat, np.asarray(train), np.asarray(test)
