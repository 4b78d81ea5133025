"""One training run of a deep regressor: ``_fit``, from the training data to the kept weights.

Mixed into :class:`~tserbench.regressors._base.BaseTserbenchDeepRegressor`,
whose parameters it reads.  In order: the Keras input and its scaling
(``_training_data``), the model (``build_model``), the published weights if
``from_weights`` set them (no training), the sample weights, the inner
validation split, the schedule (:mod:`tserbench.regressors._schedule`), the
selection criteria (:mod:`tserbench.regressors._selection`, with the test
fold's when ``fit_with_held_out`` attached it), a checkpoint to resume from
(:mod:`tserbench.regressors._checkpoint`), Keras' ``fit``, and the record
of the run (``history_``, ``selection_``, ``stop_reason_``, ...).

Sample weights
--------------
sktime's ``fit(X, y)`` takes no weights, so the weights are computed inside
``_fit`` from the training targets only
(:func:`tserbench.preprocessing.density_weights`, DG22's KDE weights in
[0.01, 1]; ``weight_cutoff=None`` trains unweighted).  They are passed to
Keras as given, as DG22 and M24 do (Keras divides the weighted loss by the
batch size, not by the sum of weights).  The validation loss used for early
stopping is weighted the same way.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tserbench.regressors._fit_modes import CHECKPOINT, HELD_OUT, PRETRAINED

__all__ = ["TrainingRunMixin"]


class TrainingRunMixin:
    """The training run (``_fit``) of the deep base class."""

    def _fit(self, X, y):
        """Fit the network to ``X`` (numpy3D or df-list) and targets ``y``."""
        from tserbench._tf import import_keras

        keras = import_keras()
        X3 = self._as_keras_input(X)
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        if self.random_state is not None:
            keras.utils.set_random_seed(int(self.random_state))

        n_channels = X3.shape[2]
        self.input_shape_ = (None if self._variable_length else X3.shape[1], n_channels)
        # Masking only where the training series are padded (raw variant):
        # on equal-length input it would be a no-op that still costs time every epoch
        self.masked_ = self._has_padding(X3)
        self._fit_scaling(X3, y)
        X3 = self._scale_input(X3)
        self.__dict__.pop("_forward", None)  # traced for the previous model_
        self.model_ = self.build_model(self.input_shape_)
        if self.verbose:
            self.model_.summary()
        pretrained = self.__dict__.get(PRETRAINED)
        if pretrained is not None:  # set by from_weights: a published model, no training
            self.model_.set_weights(pretrained)
            self.history_, self.n_epochs_trained_, self.best_epoch_ = {}, 0, 0
            return self

        from tserbench.regressors._selection import HELD_OUT_LOSS, Criterion, make_tracker

        held_out = self.__dict__.get(HELD_OUT)
        if self.selection == "held-out" and held_out is None:
            raise ValueError(
                f"{type(self).__name__}(selection='held-out') picks its epoch on the test data, which "
                "fit(X, y) does not have: use fit_with_held_out(X, y, X_test, y_test) (tserbench's "
                "runner does, with each CV fold's test stars), or selection='inner'"
            )
        # the density weights come from the targets on their own scale (the cutoff is a density of them)
        weighter = self._weighter(y)
        weights = (np.ones(len(y), dtype=np.float32) if weighter is None
                   else np.asarray(weighter.transform(y), dtype=np.float32))
        y32 = self._scale_target(y).astype(np.float32)
        train, val = self._validation_indices(len(y))
        monitor = "val_loss" if len(val) else "loss"  # the inner criterion

        criteria = [Criterion("inner", monitor)]
        scored = None
        if held_out is not None:
            X_ho, y_ho = held_out
            y_ho = np.asarray(y_ho, dtype=np.float64).reshape(-1)
            # the test fold's loss is weighted like the training loss: with the
            # density weights of the *training* targets' KDE
            w_ho = np.ones(len(y_ho)) if weighter is None else np.asarray(weighter.transform(y_ho), dtype=np.float64)
            scored = (self._scale_input(self._as_keras_input(X_ho)), self._scale_target(y_ho), w_ho)
            criteria.append(Criterion("held-out", HELD_OUT_LOSS))
        from tserbench.regressors._schedule import learning_rate_callback, resolve_schedule

        schedule = resolve_schedule(self, len(train))
        reduce_lr, at_floor = learning_rate_callback(keras, schedule, monitor, float(self.min_delta))
        callbacks = [] if reduce_lr is None else [reduce_lr]

        # the trajectory never depends on the test fold: only which of its
        # epochs the held-out criterion picks does (its patience may make the
        # run longer, but the inner pick is frozen when the inner criterion
        # stops); the learning rate follows the inner loss.  The patience runs
        # for the epochs trained at the rate's floor.
        callbacks.append(make_tracker(keras, criteria, patience=schedule.patience_epochs,
                                      min_delta=float(self.min_delta), held_out=scored, counting=at_floor))
        checkpoint = self.__dict__.get(CHECKPOINT)
        initial_epoch, checkpointer = 0, None
        if checkpoint is not None:
            from tserbench.regressors._checkpoint import (
                fingerprint, ignored_reason, load_checkpoint, make_checkpointer, restore,
            )

            path, every = checkpoint
            params = {k: v for k, v in self.get_params(deep=False).items() if k != "verbose"}
            fp = fingerprint(params, X3, y32, weights, train, val, *(scored or ()))
            state = load_checkpoint(path, fp=fp)
            self.checkpoint_ignored_ = None if state is not None else ignored_reason(path, fp=fp)
            if state is not None:
                initial_epoch = restore(state, model=self.model_, criteria=criteria)
            checkpointer = make_checkpointer(keras, path, every, fp=fp, criteria=criteria, reduce_lr=reduce_lr,
                                             state=state)
            callbacks.append(checkpointer)
        self.resumed_from_epoch_ = initial_epoch or None
        validation_data = (X3[val], y32[val], weights[val]) if len(val) else None
        history = self.model_.fit(
            X3[train],
            y32[train],
            sample_weight=weights[train],
            validation_data=validation_data,
            batch_size=max(1, min(int(self.batch_size), len(train))),
            epochs=schedule.max_epochs,
            initial_epoch=initial_epoch,
            shuffle=True,
            callbacks=callbacks,
            verbose=2 if self.verbose else 0,
        )
        full = checkpointer.history if checkpointer is not None else history.history
        self.history_ = {k: [float(v) for v in vals] for k, vals in full.items()}
        scale = getattr(self, "target_scale_", None)
        for key in ("rmse", "val_rmse"):  # in the target's unit, as every reported metric
            if scale is not None and key in self.history_:
                self.history_[key] = [v * float(scale[1]) for v in self.history_[key]]
        self.n_epochs_trained_ = len(self.history_.get("loss", []))
        self.n_steps_trained_ = self.n_epochs_trained_ * schedule.steps_per_epoch
        self.schedule_ = schedule.record()
        self.selection_ = {c.name: c.summary(self.n_epochs_trained_) for c in criteria}
        chosen = next(c for c in criteria if c.name == self.selection)
        # converged: the selection criterion ran out of patience (at the rate's floor
        # under schedule="converge"); cap: the step or epoch budget ended first
        self.stop_reason_ = "converged" if chosen.stopped_epoch is not None else "cap"
        if schedule.patience_epochs is None:  # no early stopping: the last epoch's weights
            self.best_epoch_ = self.n_epochs_trained_
            self.selected_weights_ = None
        else:
            self.model_.set_weights(chosen.weights)
            self.best_epoch_ = chosen.best_epoch + 1
            # with the test fold attached, each criterion's pick is kept, so that one
            # run yields both rows (see selected_by)
            self.selected_weights_ = {c.name: c.weights for c in criteria} if held_out is not None else None
        if checkpoint is not None:  # the fit is complete: its checkpoint would only mislead a later fit
            Path(checkpoint[0]).unlink(missing_ok=True)
        return self
