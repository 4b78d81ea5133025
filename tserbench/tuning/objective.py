"""The tuning objective: an inner cross-validation on training stars only.

Design (see ``docs/tuning.md``): one *outer* fold of the leaderboard protocol
is held out (``holdout_fold``) and never touched; the trial's score is the
mean metric over an inner stratified K-fold (:class:`RepeatedStratifiedRegressionKFold`,
K=3 by default) on the remaining stars.  The inner splits are fixed by
``random_state``, so every trial is scored on the same splits and the pruner compares
like with like: after each inner fold the running mean is reported
(``trial.report``) and a trial that the pruner judges hopeless stops there.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from tserbench._renamed import renamed_keyword
from tserbench.evaluation.metrics import GREATER_IS_BETTER, METRICS
from tserbench.exceptions import ConfigError
from tserbench.tuning.spaces import suggest_params

__all__ = ["MAXIMIZE_METRICS", "CVObjective", "TuningData", "check_tuning_metric", "load_tuning_data"]

#: Metrics where larger is better; every other metric is minimised (from the one metric table).
MAXIMIZE_METRICS = GREATER_IS_BETTER


def check_tuning_metric(metric: str) -> None:
    """Refuse a metric the inner-CV objective cannot compute, before any trial runs.

    Raises
    ------
    ConfigError
        For a name outside :data:`~tserbench.evaluation.metrics.METRICS`, or
        a weighted metric (``wrmse``, ``wmae``): the inner folds of tuning
        carry no sample weights, so every trial would fail.
    """
    if metric not in METRICS:
        raise ConfigError(f"unknown metric {metric!r}; known: {', '.join(sorted(METRICS))}")
    if METRICS[metric].weighted:
        unweighted = ", ".join(name for name, m in METRICS.items() if not m.weighted)
        raise ConfigError(f"metric {metric!r} needs sample weights, which the inner folds of tuning do not "
                          f"have; tune on one of {unweighted}")


def _take(X, idx: np.ndarray):
    """Rows ``idx`` of a numpy3D panel or of a df-list panel."""
    if isinstance(X, np.ndarray):
        return X[idx]
    return [X[i] for i in idx]


class TuningData:
    """The training part of one outer fold, and the inner splits over it.

    Parameters
    ----------
    X : numpy3D array or list of DataFrame
        Training series only (outer holdout fold removed).
    y : np.ndarray
        Their targets.
    inner_splits : list of (train_idx, val_idx)
        Indices into ``X``/``y``.
    description : str
        One line saying what was held out, for logs and study attributes.
    index : np.ndarray
        Position of each tuning instance in the full dataset (holdout excluded).
    folds : str
        The outer protocol that was applied (``"predefined"`` or ``"KxR"``).
    """

    def __init__(
        self,
        X,
        y: np.ndarray,
        inner_splits: list[tuple[np.ndarray, np.ndarray]],
        description: str,
        index: np.ndarray,
        folds: str = "predefined",
    ):
        self.folds = folds
        self.X = X
        self.y = y
        self.index = index
        self.inner_splits = inner_splits
        self.description = description


@renamed_keyword("seed", "random_state")
def load_tuning_data(
    dataset,
    *,
    variant: str | None = "full",
    dataset_params: Mapping[str, Any] | None = None,
    folds: str | None = None,
    holdout_fold: int = 0,
    inner_splits: int = 3,
    random_state: int = 0,
) -> TuningData:
    """Load a dataset exactly as ``tserbench run`` does, drop the outer holdout fold, fix the inner K-fold.

    Parameters
    ----------
    dataset : str or dataset object
        Registry name or sktime dataset object (see
        :func:`tserbench.evaluation.runner.load_benchmark_data`).
    variant : {"full", "spline", "raw"} or None, default="full"
        Preprocessing variant.
    dataset_params : dict, optional
        Further keyword arguments of the dataset (``n_stars``, ...).
    folds : str, optional
        Outer protocol, as ``tserbench run --folds``: ``"predefined"`` or
        ``"KxR"``.  Default: ``"predefined"`` if the dataset has folds, else ``"5x1"``.
    holdout_fold : int, default=0
        Outer fold (of the first repeat) whose stars are removed before tuning.
    inner_splits : int, default=3
        K of the inner stratified K-fold.
    random_state : int, default=0
        Seed of the ``KxR`` outer split (must equal ``tserbench run --seed``)
        and of the inner split.  ``seed=`` is its deprecated old name.

    Returns
    -------
    TuningData
    """
    from tserbench.evaluation import RepeatedStratifiedRegressionKFold, make_splitter
    from tserbench.evaluation.runner import load_benchmark_data

    if isinstance(inner_splits, bool) or not isinstance(inner_splits, (int, np.integer)) or inner_splits < 2:
        raise ConfigError(f"inner_splits must be an integer >= 2 (an inner K-fold), got {inner_splits!r}")
    data = load_benchmark_data(dataset, variant=variant, dataset_params=dataset_params)
    X, y = data.X, np.asarray(data.y, dtype=float)
    folds = folds or ("predefined" if data.folds is not None else "5x1")
    outer = make_splitter(folds, folds=data.folds, random_state=int(random_state), dataset=repr(data.name))
    train_idx = None
    labels = []
    for repeat, fold, tr, _te in outer.split_with_repeat(X, y):
        if repeat != 0:
            break
        labels.append(fold)
        if fold == int(holdout_fold):
            train_idx = np.asarray(tr)
    if train_idx is None:
        raise ConfigError(
            f"holdout fold {holdout_fold} out of range: {data.name} with folds={folds!r} has folds {labels}"
        )
    X_tr, y_tr = _take(X, train_idx), y[train_idx]
    inner = RepeatedStratifiedRegressionKFold(n_splits=int(inner_splits), n_repeats=1, random_state=int(random_state))
    splits = [(np.asarray(a), np.asarray(b)) for a, b in inner.split(X_tr, y_tr)]
    desc = (
        f"{data.name}: outer folds={folds!r}, fold {holdout_fold} held out "
        f"({len(y) - len(train_idx)} stars); tuning on {len(train_idx)} stars, inner {inner_splits}-fold"
    )
    return TuningData(X_tr, y_tr, splits, desc, train_idx, folds)


class CVObjective:
    """Optuna objective: mean inner-CV metric of one model's suggested parameters.

    Parameters
    ----------
    model : str
        Short model name (has a search space).
    data : TuningData
        Training stars and inner splits (see :func:`load_tuning_data`).
    metric : str, default="rmse"
        A key of ``tserbench.evaluation.METRICS``.
    fixed_params : dict, optional
        Constructor parameters set for every trial and not searched
        (e.g. ``n_epochs``, ``patience``).
    random_state : int or None
        Passed to the model if it takes ``random_state``.

    Notes
    -----
    Each trial stores ``user_attrs["params"]`` (the searched constructor
    parameters, JSON-ready) and ``user_attrs["fold_values"]``.  A trial whose
    predictions are not finite returns NaN, which Optuna records as FAIL.
    """

    def __init__(
        self,
        model: str,
        data: TuningData,
        *,
        metric: str = "rmse",
        fixed_params: Mapping[str, Any] | None = None,
        random_state: int | None = None,
    ):
        from tserbench.regressors import resolve_model_class

        check_tuning_metric(metric)
        self.model = model
        self.data = data
        self.metric = metric
        self.fixed_params = dict(fixed_params or {})
        self.random_state = random_state
        self._metric_fn = METRICS[metric]
        accepted = set(resolve_model_class(model).get_param_names())
        self._extra = dict(self.fixed_params)
        if random_state is not None and "random_state" in accepted and "random_state" not in self._extra:
            self._extra["random_state"] = random_state

    @property
    def direction(self) -> str:
        """``"maximize"`` for r2, else ``"minimize"``."""
        return "maximize" if METRICS[self.metric].greater_is_better else "minimize"

    def __call__(self, trial) -> float:
        import optuna

        from tserbench.regressors import get_regressor

        params = suggest_params(trial, self.model)
        trial.set_user_attr("params", {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()})
        values: list[float] = []
        started = time.perf_counter()
        for step, (tr, va) in enumerate(self.data.inner_splits):
            estimator = get_regressor(self.model, **params, **self._extra)
            y_pred = _fit_predict(estimator, _take(self.data.X, tr), self.data.y[tr], _take(self.data.X, va))
            y_pred = np.asarray(y_pred, dtype=float)
            if not np.all(np.isfinite(y_pred)):
                trial.set_user_attr("failure", f"non-finite predictions in inner fold {step}")
                return math.nan
            values.append(float(self._metric_fn(self.data.y[va], y_pred)))
            trial.set_user_attr("fold_values", values)
            trial.report(float(np.mean(values)), step)
            if trial.should_prune():
                trial.set_user_attr("fit_seconds", time.perf_counter() - started)
                raise optuna.TrialPruned(f"pruned after inner fold {step}")
        trial.set_user_attr("fit_seconds", time.perf_counter() - started)
        return float(np.mean(values))


def _fit_predict(estimator, X_train, y_train, X_val) -> np.ndarray:
    """Fit on the inner training part and predict the inner validation part.

    A module-level function so that the crash tests can slow it down in a
    subprocess (they patch it) without test hooks in this code.
    """
    estimator.fit(X_train, y_train)
    return estimator.predict(X_val)
