"""Model selection during training: which epoch's weights a deep regressor keeps.

Two criteria, two protocols:

``inner`` (the honest default)
    The loss on an inner split of the training series (``validation_split``;
    without one, the training loss).  Nothing of the test data is seen.
``held-out`` (the papers' protocol)
    The loss on the CV test fold itself, as DG22 (``rrlfeh_nn_utils.cross_validate``)
    and M24 (``experiments_tools.fitting_cv``) early-stop every fold: optimistic,
    only for reproducing published numbers.

One training run can serve both.  When a regressor is fitted with the test
fold attached (:meth:`~tserbench.regressors._base.BaseTserbenchDeepRegressor.fit_with_held_out`),
:class:`SelectionTracker` scores the fold after every epoch, and keeps, for
each criterion, its best weights and its own early-stopping state; a
criterion that has run out of patience is frozen, and training stops when
every criterion has.  Each criterion's pick is then exactly what a run
monitoring only that criterion would have kept from the same trajectory
(scoring the fold consumes no random numbers), so the two rows differ by
the selection alone.

The early-stopping rule is Keras' ``EarlyStopping(restore_best_weights=True)``
(Keras 3.15, ``callbacks/early_stopping.py``), replicated here because Keras'
callback follows one monitored value, not several: an epoch improves on the
best when ``loss + min_delta < best``; the first epoch always does; training
stops after an epoch that leaves ``patience`` epochs without improvement.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["SELECTIONS", "Criterion", "make_tracker"]

#: the two selection protocols, honest first
SELECTIONS = ("inner", "held-out")

#: history key of the held-out loss (the inner one is Keras' ``val_loss`` or ``loss``)
HELD_OUT_LOSS = "held_out_loss"


@dataclass
class Criterion:
    """Early-stopping state of one selection criterion."""

    name: str
    key: str  # history/log key of the monitored loss
    best: float | None = None
    best_epoch: int = 0  # 0-based
    weights: list | None = field(default=None, repr=False)
    wait: int = 0
    stopped_epoch: int | None = None  # 0-based epoch after which it ran out of patience

    def update(self, epoch: int, value: float, patience: int, min_delta: float, get_weights,
               counting: bool = True) -> None:
        """One epoch of Keras' EarlyStopping rule (see the module docstring).

        While ``counting`` is False (the learning rate has not reached its
        floor yet) the best is tracked but the patience does not run.
        """
        if self.stopped_epoch is not None:
            return
        if self.weights is None:
            self.weights, self.best_epoch = get_weights(), epoch
        self.wait = self.wait + 1 if counting else 0
        if self.best is None or value + min_delta < self.best:
            self.best, self.best_epoch, self.weights, self.wait = value, epoch, get_weights(), 0
            return
        if self.wait >= patience and epoch > 0:
            self.stopped_epoch = epoch

    def summary(self, n_epochs: int) -> dict:
        """JSON-ready record: 1-based best epoch, whether it converged (ran out of patience), its best loss."""
        return {
            "monitor": self.key,
            "best_epoch": self.best_epoch + 1,
            "best_loss": None if self.best is None else float(self.best),
            "converged": self.stopped_epoch is not None,
            "epochs_monitored": n_epochs if self.stopped_epoch is None else self.stopped_epoch + 1,
        }


def held_out_loss(forward, X: np.ndarray, y: np.ndarray, w: np.ndarray, model, batch_size: int = 4096) -> float:
    """The loss Keras would report for ``(X, y, w)``: weighted MSE over the series plus the regularisation.

    Keras 3 reduces a weighted MSE as ``sum(w * (y - p)**2) / n`` and adds
    the layers' regularisation losses (its ``val_loss`` does the same).
    """
    pred = np.concatenate([np.asarray(forward(X[i : i + batch_size])) for i in range(0, len(X), batch_size)])
    err = (y - pred.reshape(-1).astype(np.float64)) ** 2
    reg = float(sum(float(np.asarray(loss)) for loss in model.losses))
    return float(np.sum(w * err) / len(y)) + reg


def make_tracker(keras, criteria: list[Criterion], *, patience: int | None, min_delta: float, held_out=None,
                 counting=None):
    """A Keras callback that updates each criterion after every epoch and stops when all have stopped.

    Parameters
    ----------
    keras : module
    criteria : list of Criterion
        The inner criterion first; a ``held-out`` one if ``held_out`` is given.
    patience : int or None
        None: no early stopping (every epoch runs; the criteria still record
        their best epoch, but the last weights are kept).
    min_delta : float
    held_out : tuple (X, y, w), optional
        The test fold (float32 input, float64 targets and weights), scored
        after every epoch into the logs as ``held_out_loss``.
    counting : callable, optional
        ``counting(learning_rate)``: whether the patience runs for an epoch
        trained at that rate (the convergence rule: only at the rate's
        floor); default: always.
    """

    class SelectionTracker(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.criteria = criteria
            self._forward = None
            self._rate = None

        def on_epoch_begin(self, epoch, logs=None):
            if counting is not None:  # the rate this epoch trains at
                self._rate = float(np.asarray(self.model.optimizer.learning_rate))

        def on_epoch_end(self, epoch, logs=None):
            logs = logs if logs is not None else {}
            if held_out is not None:
                if self._forward is None:
                    import tensorflow as tf

                    model = self.model
                    spec = tf.TensorSpec((None, *model.input_shape[1:]), tf.float32)
                    self._forward = tf.function(lambda x: model(x, training=False), input_signature=[spec])
                X, y, w = held_out
                # recorded by Keras' History callback, which runs after this one
                logs[HELD_OUT_LOSS] = held_out_loss(self._forward, X, y, w, self.model)
            if patience is None:
                return
            runs = True if counting is None else bool(counting(self._rate))
            for crit in self.criteria:
                value = logs.get(crit.key)
                if value is not None:
                    crit.update(epoch, float(value), int(patience), float(min_delta), self.model.get_weights, runs)
            if all(c.stopped_epoch is not None for c in self.criteria):
                self.model.stop_training = True

    return SelectionTracker()
