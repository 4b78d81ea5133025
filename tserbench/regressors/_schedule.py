"""Training schedules of the deep regressors: when the learning rate drops and when training stops.

``schedule="converge"`` (the default) trains to convergence, with every
window counted in optimiser steps so that a set of 140 series and one of
4458 get the same number of updates:

1. Adam at ``learning_rate``; ``ReduceLROnPlateau`` multiplies the rate by
   ``factor`` whenever the inner loss (the ``selection`` criterion's; see
   :mod:`tserbench.regressors._selection`) has not improved by ``min_delta``
   for ``reduce_lr_steps`` steps, down to the floor
   ``learning_rate * lr_floor_ratio``;
2. early stopping counts only once the rate is at its floor: training stops
   when the inner loss has not improved for ``patience_steps`` steps *at the
   floor* -- the run has **converged** -- and the best weights are kept;
3. ``max_steps`` caps the run (and ``n_epochs``, if set: by default it is
   None, no epoch cap, so 140 series get the same step budget as 4458): a
   run that hits the cap has **not** converged, and says so
   (``stop_reason_ == "cap"``).

A window of ``s`` steps is ``ceil(s / steps_per_epoch)`` epochs (the loss is
scored once per epoch), at least one.

``schedule=None`` is the papers' rule in epochs: constant learning rate
(unless ``reduce_lr_patience``), early stopping after ``patience`` epochs
without improvement within ``n_epochs`` (300 when it is None) -- M24's and DG22's code with
``patience=1000``, ``n_epochs=50000``.  A dict overrides some of the
``converge`` values (e.g. ``{"max_steps": 5000}``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["CONVERGE", "EPOCH_RULE_DEFAULT_EPOCHS", "Schedule", "check_schedule", "learning_rate_callback",
           "resolve_schedule"]

#: The epoch rule's cap (``schedule=None``) when ``n_epochs`` is None.
EPOCH_RULE_DEFAULT_EPOCHS = 300

#: The convergence rule's windows, in optimiser steps (see the module docstring).
CONVERGE: dict[str, Any] = {
    "reduce_lr_steps": 400,
    "factor": 0.5,
    "lr_floor_ratio": 1 / 16,
    "patience_steps": 800,
    "max_steps": 30000,
}


@dataclass(frozen=True)
class Schedule:
    """A schedule resolved for one fit (windows in epochs of that fit's training set)."""

    name: str  # "converge", "custom" (a dict) or "epochs" (schedule=None)
    steps_per_epoch: int
    max_epochs: int
    patience_epochs: int | None  # None: no early stopping
    reduce_lr_epochs: int | None  # None: constant learning rate
    factor: float
    min_learning_rate: float
    patience_at_floor: bool  # early stopping counts only once the rate is at its floor

    def record(self) -> dict:
        """JSON-ready description, for the job records."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def check_schedule(schedule) -> None:
    """Raise ``ValueError`` unless ``schedule`` is None, ``"converge"`` or a dict of known, positive windows."""
    if schedule is None or schedule == "converge":
        return
    if not isinstance(schedule, dict):
        raise ValueError(f"schedule must be 'converge', None or a dict of {sorted(CONVERGE)}, got {schedule!r}")
    unknown = sorted(set(schedule) - set(CONVERGE))
    if unknown:
        raise ValueError(f"schedule: unknown key(s) {unknown}; known: {sorted(CONVERGE)}")
    for key, value in schedule.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ValueError(f"schedule[{key!r}] must be a positive number, got {value!r}")
    for key in ("factor", "lr_floor_ratio"):
        if key in schedule and not schedule[key] < 1:
            raise ValueError(f"schedule[{key!r}] must be below 1, got {schedule[key]!r}")


def _epochs(steps: float, steps_per_epoch: int) -> int:
    return max(1, math.ceil(float(steps) / steps_per_epoch))


def resolve_schedule(est, n_train: int) -> Schedule:
    """The schedule of ``est`` (a deep regressor) for a training set of ``n_train`` series."""
    batch = max(1, min(int(est.batch_size), n_train))
    steps_per_epoch = math.ceil(n_train / batch)
    if est.schedule is None:
        n_epochs = EPOCH_RULE_DEFAULT_EPOCHS if est.n_epochs is None else int(est.n_epochs)
        return Schedule(
            name="epochs", steps_per_epoch=steps_per_epoch, max_epochs=n_epochs,
            patience_epochs=None if est.patience is None else int(est.patience),
            reduce_lr_epochs=None if est.reduce_lr_patience is None else int(est.reduce_lr_patience),
            factor=0.5, min_learning_rate=1e-4, patience_at_floor=False,
        )
    values = {**CONVERGE, **(est.schedule if isinstance(est.schedule, dict) else {})}
    return Schedule(
        name="converge" if est.schedule == "converge" else "custom",
        steps_per_epoch=steps_per_epoch,
        max_epochs=_epochs(values["max_steps"], steps_per_epoch) if est.n_epochs is None
        else min(int(est.n_epochs), _epochs(values["max_steps"], steps_per_epoch)),
        patience_epochs=_epochs(values["patience_steps"], steps_per_epoch),
        reduce_lr_epochs=_epochs(values["reduce_lr_steps"], steps_per_epoch),
        factor=float(values["factor"]),
        min_learning_rate=float(est.learning_rate) * float(values["lr_floor_ratio"]),
        patience_at_floor=True,
    )


def learning_rate_callback(keras, schedule: Schedule, monitor: str, min_delta: float):
    """The learning-rate side of ``schedule``: Keras' ``ReduceLROnPlateau`` and the floor test of the patience.

    Parameters
    ----------
    keras : module
    schedule : Schedule
        From :func:`resolve_schedule`.
    monitor : str
        The loss the rate follows (the inner criterion's).
    min_delta : float
        The improvement that counts.

    Returns
    -------
    reduce_lr : keras.callbacks.ReduceLROnPlateau or None
        None when the schedule keeps the rate fixed.
    at_floor : callable or None
        ``at_floor(rate)`` is True once the rate reached its floor (the
        patience then counts only those epochs); None when it always counts.
    """
    reduce_lr = at_floor = None
    if schedule.reduce_lr_epochs is not None:
        reduce_lr = keras.callbacks.ReduceLROnPlateau(
            monitor=monitor,
            factor=schedule.factor,
            patience=schedule.reduce_lr_epochs,
            min_lr=schedule.min_learning_rate,
            min_delta=min_delta,
        )
    if schedule.patience_at_floor:
        floor = schedule.min_learning_rate * (1 + 1e-6)

        def at_floor(rate: float) -> bool:
            return rate <= floor

    return reduce_lr, at_floor
