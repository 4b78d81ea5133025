"""The ways a deep regressor is fitted besides ``fit(X, y)``.

From published weights (no training, :meth:`FitModesMixin.from_weights`),
with the test fold attached so that the papers' held-out selection can pick
an epoch of the same run (:meth:`FitModesMixin.fit_with_held_out`,
:meth:`FitModesMixin.selected_by`), and checkpointed so that a killed fit
resumes (:meth:`FitModesMixin.checkpoint_to`).  Each sets an instance
attribute for the duration of one ``fit``, which
:class:`~tserbench.regressors._base.BaseTserbenchDeepRegressor` reads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["CHECKPOINT", "HELD_OUT", "PRETRAINED", "FitModesMixin"]

#: Instance attribute that :meth:`FitModesMixin.from_weights` sets for the
#: duration of one ``fit``; its name holds "__" so that the ``reset()`` with
#: which sktime's ``fit`` starts keeps it.
PRETRAINED = "_tserbench__pretrained_weights"
#: Likewise, the test data attached by :meth:`FitModesMixin.fit_with_held_out`.
HELD_OUT = "_tserbench__held_out"
#: Likewise, the checkpoint file and interval set by :meth:`FitModesMixin.checkpoint_to`.
CHECKPOINT = "_tserbench__checkpoint"


class FitModesMixin:
    """Fitting from weights, with the test fold attached, or checkpointed (mixed into the deep base class)."""

    def checkpoint_to(self, path, every: int = 10):
        """Checkpoint the next fit to ``path`` every ``every`` epochs, and resume it from there.

        A fit killed midway and started again with the same parameters and
        data (the runner re-runs an unfinished job) trains on from the last
        checkpoint instead of from the start; see
        :mod:`tserbench.regressors._checkpoint` for what is saved and why a
        resumed fit is the same protocol but not bit-identical.  The file is
        removed when the fit completes.

        Parameters
        ----------
        path : str or path-like
            The checkpoint file (``.npz``), created with its folder.
        every : int, default=10
            Epochs between checkpoints.

        Returns
        -------
        self
        """
        if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
            raise ValueError(f"checkpoint interval must be a positive number of epochs, got {every!r}")
        self.__dict__[CHECKPOINT] = (Path(path), int(every))
        return self

    def fit_with_held_out(self, X, y, X_held_out, y_held_out):
        """Fit on ``(X, y)`` and score the test data ``(X_held_out, y_held_out)`` after every epoch.

        With ``selection="held-out"`` the epoch is picked on the test data
        (the papers' protocol); with ``selection="inner"`` the inner pick is
        kept, the test data only scored, and the held-out pick of the same
        run is available through :meth:`selected_by`.  Nothing learned from
        the test data enters the training itself (weights, stopping of the
        inner criterion, learning-rate schedule).

        Parameters
        ----------
        X, y
            Training data, as for :meth:`fit`.
        X_held_out, y_held_out
            The test data (e.g. the CV fold's test stars), same format.

        Returns
        -------
        self
        """
        from sktime.datatypes import convert_to

        X_held_out = convert_to(X_held_out, to_type=self.get_tag("X_inner_mtype"))
        self.__dict__[HELD_OUT] = (X_held_out, np.asarray(y_held_out, dtype=np.float64))
        try:
            return self.fit(X, y)
        finally:
            self.__dict__.pop(HELD_OUT, None)

    def selected_by(self, criterion: str):
        """This fitted model with the weights that ``criterion`` picked from the same run.

        Parameters
        ----------
        criterion : {"inner", "held-out"}

        Returns
        -------
        BaseTserbenchDeepRegressor
            ``self`` if that is its own selection, else a copy holding the
            other criterion's best weights, with ``selection`` and
            ``best_epoch_`` saying so.  Needs a fit with the test data
            attached (:meth:`fit_with_held_out`) and early stopping on.
        """
        import copy

        if criterion == self.selection:
            return self
        picks = getattr(self, "selected_weights_", None)
        if not picks or criterion not in picks:
            raise ValueError(
                f"no {criterion!r} pick to select: fit with fit_with_held_out(...) and patience set"
            )
        other = copy.deepcopy(self)
        other.__dict__.pop("_forward", None)
        other.model_.set_weights(picks[criterion])
        other.selection = criterion  # the copy is the model that criterion selected
        other.best_epoch_ = self.selection_[criterion]["best_epoch"]
        return other

    @classmethod
    def from_weights(cls, weights, X, y, **params):
        """A fitted estimator that holds given network weights instead of training (a published model).

        The estimator is fitted the ordinary sktime way on ``X``, ``y`` except
        that no epoch runs: the network is built for ``X`` (its length, its
        channels, masking if ``X`` is padded) and given ``weights``.  ``X``
        and ``y`` need only be a few series in the layout of the data the
        model will predict (they set what sktime records about a fit).

        Parameters
        ----------
        weights : list of numpy.ndarray
            In the order of ``model_.get_weights()`` (network, then the
            ``Dense(1)`` head).
        X, y
            A few series and targets in the prediction input's format.
        **params
            Constructor parameters (e.g. the published training recipe, recorded by ``get_params``).

        Returns
        -------
        BaseTserbenchDeepRegressor
            Fitted; ``n_epochs_trained_`` is 0 and ``history_`` empty.
        """
        est = cls(**{"standardize": False, **params})  # published weights take the input as it is
        est.__dict__[PRETRAINED] = [np.asarray(w) for w in weights]
        try:
            return est.fit(X, y)
        finally:
            est.__dict__.pop(PRETRAINED, None)
