"""Shared training logic of tserbench's deep regressors (sktime ``BaseDeepRegressor``).

One base class owns everything the ten deep regressors have in common: the
M24/DG22 protocol (Adam, learning rate 0.01, mini-batch 256, MSE weighted by
per-sample density weights, ``Dense(1)`` linear head), early stopping on an
internal validation split, seeding, unequal-length input (padding + Keras
``Masking``), fast quiet prediction and serialisation.  A subclass only names
its network class and which of its own parameters go to that network.

Training budget
---------------
M24's code trains up to 50 000 epochs with patience 1000 (``min_delta``
1e-5); on a CPU a 10-fold CV of that would take days.  The defaults here,
``n_epochs=300`` and ``patience=30`` on the validation loss with the best
weights restored, stop a GRU on the DG22 set after roughly 100-200 epochs.
They are parameters: raise them to approach the papers' budget.

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

import pickle
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from sktime.regression.deep_learning.base import BaseDeepRegressor

__all__ = ["BaseTserbenchDeepRegressor"]

#: up to this many series, ``predict`` calls the model directly (no tracing)
_EAGER_PREDICT_MAX = 256

#: Instance attribute that :meth:`BaseTserbenchDeepRegressor.from_weights` sets
#: for the duration of one ``fit``; its name holds "__" so that the
#: ``reset()`` with which sktime's ``fit`` starts keeps it.
_PRETRAINED = "_tserbench__pretrained_weights"
#: Likewise, the test data attached by :meth:`BaseTserbenchDeepRegressor.fit_with_held_out`.
_HELD_OUT = "_tserbench__held_out"
#: Likewise, the checkpoint file and interval set by :meth:`BaseTserbenchDeepRegressor.checkpoint_to`.
_CHECKPOINT = "_tserbench__checkpoint"

#: tags of the regressors that take unequal-length (padded + masked) input
UNEQUAL_LENGTH_TAGS = {
    "capability:unequal_length": True,
    "X_inner_mtype": ["df-list", "numpy3D"],
}


class BaseTserbenchDeepRegressor(BaseDeepRegressor):
    """Base class: network + ``Dense(1)`` head, weighted MSE, early stopping.

    Subclasses set ``_network_class`` and ``_network_params`` (the names of
    their own hyper-parameters that configure the network), and define
    ``__init__`` listing the network parameters followed by the training
    parameters below, which they pass on to this ``__init__``.

    Parameters
    ----------
    n_epochs : int, default=300
        Maximum number of epochs (a cap under every schedule).
    batch_size : int, default=256
        Mini-batch size (M24, DG22); capped at the number of training series.
    learning_rate : float, default=0.01
        Adam learning rate (M24, DG22).
    patience : int, default=30
        With ``schedule=None``: early stopping after this many epochs without
        an improvement of at least ``min_delta`` in the monitored loss; the
        best weights are then restored.  ``None`` disables early stopping (and
        weight restoration): all ``n_epochs`` run.  Unused by the other schedules.
    min_delta : float, default=1e-5
        Smallest change of the monitored loss that counts as improvement (M24).
    validation_split : float, default=0.1
        Fraction of the training series held out (at random, seeded by
        ``random_state``) to monitor ``val_loss`` for early stopping.  With 0,
        or too few series to hold one out, the training loss is monitored.
    selection : {"inner", "held-out"}, default="inner"
        Which loss picks the epoch whose weights are kept
        (:mod:`tserbench.regressors._selection`).  ``"inner"``: the inner
        split's (``validation_split``; nothing of the test data is seen).
        ``"held-out"``: the loss on the test data given to
        :meth:`fit_with_held_out` -- the papers' protocol (DG22 and M24
        early-stop each CV fold on its own test stars), optimistic, only for
        reproducing published numbers; plain ``fit`` refuses it.
    reduce_lr_patience : int or None, default=None
        With ``schedule=None``: if set, ``ReduceLROnPlateau`` halves the
        learning rate (down to 1e-4) after this many epochs without
        improvement (M24's callback uses 50).  Unused by the other schedules.
    schedule : "converge", dict or None, default="converge"
        When the learning rate drops and when training stops
        (:mod:`tserbench.regressors._schedule`).  ``"converge"``: halve the
        rate after 400 steps without improvement down to 1/16 of
        ``learning_rate``, stop after 800 steps without improvement at that
        floor (converged) or at 30000 steps (the cap); every window in
        optimiser steps.  A dict overrides some of these values
        (``reduce_lr_steps``, ``factor``, ``lr_floor_ratio``,
        ``patience_steps``, ``max_steps``).  ``None``: the papers' epoch
        rule (``patience``, ``reduce_lr_patience``, ``n_epochs``).
    weight_cutoff : float or None, default=None
        Density cutoff of DG22's sample weights (0.5 for the G band), computed
        from the training targets inside ``fit``; None trains unweighted.  The
        cutoff is a density of the targets (1 / target unit), so it only
        means something on the targets' own scale: the RRab datasets declare
        DG22's 0.5 (``model_defaults``), which the runner applies.
    standardize : bool, default=True
        Standardise each input channel (over the unpadded steps) and the
        targets with the training set's mean and standard deviation inside
        ``fit``, undone in ``predict``: the network then fits any finite
        targets at the default learning rate.  The RRab datasets declare
        ``False`` (the papers' protocol, which feeds the inputs as they are).
    steps_per_execution : int, default=1
        Training batches run per ``tf.function`` call (a speed setting that
        leaves the results unchanged; values > 1 cost extra tracing time per
        fit and gained nothing measurable for these small networks on CPU).
    jit_compile : bool, default=False
        Compile the training step with XLA (a speed setting; Keras leaves XLA
        off on CPU-only machines).  On a 2-core CPU with the DG22 ``full``
        panel it cut the FCN epoch from 4.9 s to 3.0 s but made the recurrent
        networks 2-4x slower (``tserbench bench`` measures it).  XLA orders
        floating-point operations differently, so the trained weights are
        close to, not bitwise equal to, the default's.
    run_eagerly : bool, default=False
        Run Keras eagerly (no ``tf.function`` graph).  Only worth it for tiny
        data, such as sktime's estimator checks: it skips the 1-5 s of graph
        tracing per fit but makes every epoch slower.
    predict_batch_size : int, default=4096
        Batch size in ``predict`` (a speed setting).  More than 256 series run
        through a traced inference function (traced once per fitted model) in
        batches of this size; fewer use one direct call of the model, which
        skips the tracing.
    predict_jit_compile : bool or None, default=None
        Compile the inference pass of ``predict`` with XLA (a speed setting);
        None follows ``jit_compile``.  XLA slows the recurrent networks'
        training but speeds up their inference: in repeated ``tserbench bench``
        runs on a 2-core CPU (DG22 ``full`` panel) the GRU predicted 24,000 to
        37,000 series/s without it and 39,000 to 43,000 with it.  The
        predictions agree with the default's to float32 rounding.
    random_state : int or None, default=None
        Seed for weights, dropout, shuffling and the validation split, set
        with ``keras.utils.set_random_seed``; with an int, repeated fits on a
        CPU give identical models.
    verbose : bool, default=False
        If True, print the model summary and one line per epoch.

    Attributes
    ----------
    model_ : keras.Model
        The fitted network with its head (best weights if early stopping).
    history_ : dict of str to list of float
        Per-epoch ``loss`` (the weighted MSE plus regularisation that is
        minimised) and the unweighted ``rmse`` in the target's unit; with a
        validation split, ``val_loss`` and ``val_rmse`` on it
        (``learning_rate`` when the rate is scheduled; ``held_out_loss``
        with the test data attached).
    n_epochs_trained_, n_steps_trained_ : int
        Number of epochs and of optimiser steps run.
    stop_reason_ : {"converged", "cap"}
        ``"converged"``: the selection criterion ran out of patience (under
        ``schedule="converge"``: at the rate's floor); ``"cap"``: the budget
        (``n_epochs``, ``max_steps``) ended first.
    schedule_ : dict
        The schedule as resolved for this fit (windows in epochs).
    best_epoch_ : int
        1-based epoch whose weights the model holds.
    selection_ : dict
        Per criterion (``inner``; ``held-out`` when fitted with the test data
        attached): monitored loss, best epoch, best loss, whether it stopped early.
    input_shape_ : tuple
        ``(series_length or None, n_channels)`` the network was built for.
    input_scale_, target_scale_ : tuple or None
        ``(mean, scale)`` per input channel and of the targets (``standardize``), else None.
    masked_ : bool
        Whether the network starts with ``Masking(mask_value)``: True iff the
        training series were padded (unequal lengths, or time steps with every
        channel equal to ``mask_value``), recurrent regressors only.
    """

    _tags = {
        "authors": ["tserbench developers"],
        "maintainers": ["tserbench developers"],
        "python_dependencies": "tensorflow",
        "X_inner_mtype": "numpy3D",
        "capability:multivariate": True,
        "capability:unequal_length": False,
        "capability:random_state": True,
        # identical repeated fits for a fixed random_state (CPU), so sktime's
        # idempotence checks apply
        "property:randomness": "derandomized",
    }

    _network_class: ClassVar[type | None] = None
    _network_params: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        n_epochs: int = 300,
        batch_size: int = 256,
        learning_rate: float = 0.01,
        patience: int | None = 30,
        min_delta: float = 1e-5,
        validation_split: float = 0.1,
        selection: str = "inner",
        reduce_lr_patience: int | None = None,
        schedule: str | dict | None = "converge",
        weight_cutoff: float | None = None,
        standardize: bool = True,
        steps_per_execution: int = 1,
        jit_compile: bool = False,
        run_eagerly: bool = False,
        predict_batch_size: int = 4096,
        predict_jit_compile: bool | None = None,
        random_state: int | None = None,
        verbose: bool = False,
    ):
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.patience = patience
        self.min_delta = min_delta
        self.validation_split = validation_split
        self.selection = selection
        self.reduce_lr_patience = reduce_lr_patience
        self.schedule = schedule
        self.weight_cutoff = weight_cutoff
        self.standardize = standardize
        self.steps_per_execution = steps_per_execution
        self.jit_compile = jit_compile
        self.run_eagerly = run_eagerly
        self.predict_batch_size = predict_batch_size
        self.predict_jit_compile = predict_jit_compile
        self.random_state = random_state
        self.verbose = verbose
        super().__init__()

    # ------------------------------------------------------------------ setup
    def _check_training_params(self) -> None:
        """Refuse training parameters outside their range before any work starts."""

        def integer(name, low, allow_none=False):
            value = getattr(self, name)
            if value is None and allow_none:
                return
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}{' or None' if allow_none else ''}, got {value!r}")

        def number(name, low, *, strict):
            value = getattr(self, name)
            ok = isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool)
            if not ok or not np.isfinite(value) or (value <= low if strict else value < low):
                raise ValueError(f"{name} must be a finite number {'>' if strict else '>='} {low}, got {value!r}")

        integer("n_epochs", 1)
        integer("batch_size", 1)
        integer("patience", 0, allow_none=True)
        integer("reduce_lr_patience", 1, allow_none=True)
        integer("steps_per_execution", 1)
        integer("predict_batch_size", 1)
        if not isinstance(self.standardize, (bool, np.bool_)):
            raise ValueError(f"standardize must be True or False, got {self.standardize!r}")
        number("learning_rate", 0, strict=True)
        number("min_delta", 0, strict=False)
        if self.weight_cutoff is not None:
            number("weight_cutoff", 0, strict=False)

    def __post_init__(self):
        """Check the parameters and build the (unbuilt) network object from them."""
        self._check_training_params()
        if not 0 <= float(self.validation_split) < 1:
            raise ValueError(f"validation_split must be in [0, 1), got {self.validation_split!r}")
        from tserbench.regressors._schedule import check_schedule
        from tserbench.regressors._selection import SELECTIONS

        if self.selection not in SELECTIONS:
            raise ValueError(f"selection must be one of {', '.join(SELECTIONS)}, got {self.selection!r}")
        check_schedule(self.schedule)
        params = {name: getattr(self, name) for name in self._network_params}
        self._network = self._network_class(random_state=self.random_state, **params)
        super().__post_init__()

    @property
    def _variable_length(self) -> bool:
        return bool(self.get_tag("capability:unequal_length"))

    def build_model(self, input_shape, **kwargs):
        """Return the compiled Keras model: network, ``Dense(1)`` head, Adam, MSE.

        Parameters
        ----------
        input_shape : tuple
            ``(series_length, n_channels)``; ``series_length`` None for the
            variable-length recurrent networks.

        Returns
        -------
        keras.Model
        """
        from tserbench._tf import import_keras

        keras = import_keras()
        network = self._network
        if "mask_value" in network.get_params() and not getattr(self, "masked_", True):
            network = network.clone().set_params(mask_value=None)
        input_layer, features = network.build_network(input_shape)
        output_layer = keras.layers.Dense(1, activation="linear", name="head")(features)
        model = keras.Model(inputs=input_layer, outputs=output_layer)
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=float(self.learning_rate)),
            loss="mse",
            # unweighted, so that a learning curve shows the table's metric (the loss is weighted and regularised)
            metrics=[keras.metrics.RootMeanSquaredError(name="rmse")],
            steps_per_execution=max(1, int(self.steps_per_execution)),
            run_eagerly=bool(self.run_eagerly),
            jit_compile=bool(self.jit_compile) and not self.run_eagerly,
        )
        return model

    # ------------------------------------------------------------- data prep
    def _as_keras_input(self, X) -> np.ndarray:
        """Return ``(n, length, channels)`` float32; pad and mask a df-list."""
        if isinstance(X, np.ndarray):
            X3 = X
        else:  # df-list (unequal length allowed for the recurrent networks)
            lengths = {len(x) for x in X}
            mask_value = getattr(self, "mask_value", None)
            if len(lengths) > 1 and mask_value is None:
                raise ValueError(
                    f"{type(self).__name__}: series of unequal length need "
                    "mask_value (padding value masked by the network), got None"
                )
            from tserbench.preprocessing import pad_panel

            X3 = pad_panel(X, value=-1.0 if mask_value is None else float(mask_value))
        return np.ascontiguousarray(np.transpose(X3, (0, 2, 1)), dtype=np.float32)

    def _has_padding(self, X3: np.ndarray) -> bool:
        """True if some time step has every channel equal to ``mask_value``."""
        mask_value = getattr(self, "mask_value", None)
        if mask_value is None or not self._variable_length:
            return False
        return bool(np.any(np.all(X3 == np.float32(mask_value), axis=2)))

    def _weighter(self, y: np.ndarray):
        """DG22's density weighter fitted on the training targets (None if weighting is off or impossible)."""
        if self.weight_cutoff is None or len(y) < 2 or np.ptp(y) == 0:
            return None
        from tserbench.exceptions import ConfigError
        from tserbench.preprocessing import DensityWeighter

        try:
            return DensityWeighter(cutoff=self.weight_cutoff).fit(y)
        except ConfigError as err:
            raise ConfigError(
                f"{type(self).__name__}(weight_cutoff={self.weight_cutoff!r}): {err} "
                "(the cutoff is a density of the targets, in 1/target units; "
                "weight_cutoff=None trains unweighted)"
            ) from err

    def _sample_weights(self, y: np.ndarray) -> np.ndarray:
        """DG22 density weights of the training targets (ones if disabled)."""
        weighter = self._weighter(y)
        if weighter is None:
            return np.ones(len(y), dtype=np.float32)
        return np.asarray(weighter.transform(y), dtype=np.float32)

    # ------------------------------------------------------------- scaling
    def _fit_scaling(self, X3: np.ndarray, y: np.ndarray) -> None:
        """Per-channel input and target mean and scale of the training set (``standardize``).

        Padded steps (every channel at ``mask_value``) are left out of the
        input statistics and stay at ``mask_value`` when scaled, so masking
        works on the scaled input.  A constant channel or target gets scale 1.
        """
        if not self.standardize:
            self.input_scale_ = self.target_scale_ = None
            return
        real = ~self._padding_mask(X3)
        steps = X3[real]  # (n_real_steps, channels)
        mean = steps.mean(axis=0) if len(steps) else np.zeros(X3.shape[2])
        std = steps.std(axis=0) if len(steps) else np.ones(X3.shape[2])
        self.input_scale_ = (mean.astype(np.float32), np.where(std > 0, std, 1.0).astype(np.float32))
        y_std = float(np.std(y))
        self.target_scale_ = (float(np.mean(y)), y_std if y_std > 0 else 1.0)

    def _padding_mask(self, X3: np.ndarray) -> np.ndarray:
        """``(n, length)`` True where a step is padding (every channel at ``mask_value``)."""
        mask_value = getattr(self, "mask_value", None)
        if mask_value is None or not getattr(self, "masked_", False):
            return np.zeros(X3.shape[:2], dtype=bool)
        return np.all(X3 == np.float32(mask_value), axis=2)

    def _scale_input(self, X3: np.ndarray) -> np.ndarray:
        scale = getattr(self, "input_scale_", None)
        if scale is None:
            return X3
        pad = self._padding_mask(X3)
        out = ((X3 - scale[0]) / scale[1]).astype(np.float32)
        if pad.any():
            out[pad] = np.float32(self.mask_value)
        return out

    def _scale_target(self, y: np.ndarray) -> np.ndarray:
        scale = getattr(self, "target_scale_", None)
        return y if scale is None else (y - scale[0]) / scale[1]

    def _validation_indices(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Random train/validation split of ``range(n)`` (validation may be empty)."""
        n_val = int(round(float(self.validation_split) * n))
        if n_val < 1 or n - n_val < 1:
            return np.arange(n), np.arange(0)
        perm = np.random.default_rng(self.random_state).permutation(n)
        return np.sort(perm[n_val:]), np.sort(perm[:n_val])

    # ------------------------------------------------------------- fit/predict
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
        # on equal-length input it would be a no-op costing ~10-25 % per epoch
        self.masked_ = self._has_padding(X3)
        self._fit_scaling(X3, y)
        X3 = self._scale_input(X3)
        self.__dict__.pop("_forward", None)  # traced for the previous model_
        self.model_ = self.build_model(self.input_shape_)
        if self.verbose:
            self.model_.summary()
        pretrained = self.__dict__.get(_PRETRAINED)
        if pretrained is not None:  # set by from_weights: a published model, no training
            self.model_.set_weights(pretrained)
            self.history_, self.n_epochs_trained_, self.best_epoch_ = {}, 0, 0
            return self

        from tserbench.regressors._selection import HELD_OUT_LOSS, Criterion, make_tracker

        held_out = self.__dict__.get(_HELD_OUT)
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
        from tserbench.regressors._schedule import resolve_schedule

        schedule = resolve_schedule(self, len(train))
        callbacks = []
        at_floor = reduce_lr = None
        if schedule.reduce_lr_epochs is not None:
            reduce_lr = keras.callbacks.ReduceLROnPlateau(
                monitor=monitor,
                factor=schedule.factor,
                patience=schedule.reduce_lr_epochs,
                min_lr=schedule.min_learning_rate,
                min_delta=float(self.min_delta),
            )
            callbacks.append(reduce_lr)
        if schedule.patience_at_floor:
            floor = schedule.min_learning_rate * (1 + 1e-6)

            def at_floor(rate: float) -> bool:
                return rate <= floor

        # the trajectory never depends on the test fold: only which of its
        # epochs the held-out criterion picks does (its patience may make the
        # run longer, but the inner pick is frozen when the inner criterion
        # stops); the learning rate follows the inner loss.  The patience runs
        # for the epochs trained at the rate's floor.
        callbacks.append(make_tracker(keras, criteria, patience=schedule.patience_epochs,
                                      min_delta=float(self.min_delta), held_out=scored, counting=at_floor))
        checkpoint = self.__dict__.get(_CHECKPOINT)
        initial_epoch, checkpointer = 0, None
        if checkpoint is not None:
            from tserbench.regressors._checkpoint import fingerprint, load_checkpoint, make_checkpointer, restore

            path, every = checkpoint
            params = {k: v for k, v in self.get_params(deep=False).items() if k != "verbose"}
            fp = fingerprint(params, X3, y32, weights, train, val, *(scored or ()))
            state = load_checkpoint(path, fp=fp)
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
        self.__dict__[_CHECKPOINT] = (Path(path), int(every))
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
        self.__dict__[_HELD_OUT] = (X_held_out, np.asarray(y_held_out, dtype=np.float64))
        try:
            return self.fit(X, y)
        finally:
            self.__dict__.pop(_HELD_OUT, None)

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
        est.__dict__[_PRETRAINED] = [np.asarray(w) for w in weights]
        try:
            return est.fit(X, y)
        finally:
            est.__dict__.pop(_PRETRAINED, None)

    def _predict(self, X, **kwargs) -> np.ndarray:
        """Predict [Fe/H] for ``X``; quiet, in large batches."""
        X3 = self._as_keras_input(X)
        if not getattr(self, "masked_", False) and self._has_padding(X3):
            raise ValueError(
                f"{type(self).__name__}: X has padded (all -1) time steps but the "
                "model was fitted without masking (its training series were all "
                "of equal length); fit it on padded / unequal-length data"
            )
        X3 = self._scale_input(X3)
        if len(X3) <= _EAGER_PREDICT_MAX:
            # a direct call skips tracing the inference function (~0.3 s);
            # for larger inputs the traced function is faster
            y_pred = self.model_(X3, training=False)
        else:
            # the input signature converts each float32 numpy batch to a tensor
            forward = self._forward_function()
            batch_size = max(1, int(self.predict_batch_size))
            y_pred = np.concatenate(
                [forward(X3[i : i + batch_size]).numpy() for i in range(0, len(X3), batch_size)]
            )
        y_pred = np.asarray(y_pred, dtype=np.float64).reshape(-1)
        scale = getattr(self, "target_scale_", None)
        return y_pred if scale is None else y_pred * scale[1] + scale[0]

    def _predict_with_xla(self) -> bool:
        """Whether ``predict`` runs under XLA (``predict_jit_compile``, else ``jit_compile``)."""
        if self.run_eagerly:
            return False
        wanted = self.jit_compile if self.predict_jit_compile is None else self.predict_jit_compile
        return bool(wanted)

    def _forward_function(self):
        """The fitted model's inference pass as a ``tf.function``, traced once and cached.

        Written here instead of calling ``keras.Model.predict``: Keras' predict
        loop (data adapter, callbacks, per-batch conversion) cost about a
        quarter of a bare Keras GRU's inference time on a 2-core CPU (median
        30,000 series/s against 37,000-42,000 for this function).  The input signature
        leaves the batch dimension free, so the last, shorter batch does not
        retrace.  Cached outside the pickled state (see ``__getstate__``).
        """
        forward = self.__dict__.get("_forward")
        if forward is None:
            from tserbench._tf import import_tensorflow

            tf = import_tensorflow()
            model = self.model_
            spec = tf.TensorSpec((None, *model.input_shape[1:]), tf.float32)
            forward = tf.function(
                lambda x: model(x, training=False),
                input_signature=[spec],
                jit_compile=self._predict_with_xla(),
            )
            self._forward = forward
        return forward

    # ----------------------------------------------------------- persistence
    # sktime's BaseDeepRegressor drops ``model_`` from the pickled state and
    # saves it separately as legacy HDF5, which breaks deepcopy of a fitted
    # estimator and fails for Masking models.  Keras 3 models pickle natively
    # (``.keras`` format in memory), so the whole estimator is pickled as is.
    def __getstate__(self) -> dict[str, Any]:
        """Return the full state, fitted Keras model included (not the cached traced function)."""
        state = self.__dict__.copy()
        state.pop("_forward", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore the state written by :meth:`__getstate__`."""
        self.__dict__.update(state)

    def save(self, path=None, serialization_format: str = "pickle"):
        """Save the estimator (fitted model included) in memory or to a zip file.

        Parameters
        ----------
        path : None, str or Path, default=None
            None: return an in-memory serialisation for ``sktime.base.load``;
            otherwise write ``<path>.zip``.
        serialization_format : {"pickle", "cloudpickle"}, default="pickle"

        Returns
        -------
        tuple (in memory) or zipfile.ZipFile (on disk)
        """
        from sktime.base import BaseObject

        return BaseObject.save(self, path=path, serialization_format=serialization_format)

    @classmethod
    def load_from_serial(cls, serial):
        """Load an estimator from the second element of ``save(None)``."""
        return pickle.loads(serial)

    @classmethod
    def load_from_path(cls, serial):
        """Load an estimator from a zip file written by ``save(path)``."""
        from zipfile import ZipFile

        with ZipFile(serial, "r") as file:
            return pickle.loads(file.open("_obj").read())
