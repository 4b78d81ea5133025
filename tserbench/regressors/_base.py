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
1e-5); on a CPU a 10-fold CV of that would take days.  The default here is
the convergence rule of :mod:`tserbench.regressors._schedule`, whose
windows and cap are counted in optimiser steps, so that a set of 140 series
gets as many updates as one of 4458; ``n_epochs`` adds an epoch cap only if
it is set.  The papers' epoch rule is ``schedule=None`` (with ``n_epochs``,
``patience``), and ``preset:paper`` sets their budgets.

Where the parts live
--------------------
This module holds the parameters, their checks and the Keras model
(``build_model``); the training run itself (``_fit``: weights, schedule,
selection, checkpoints) is :mod:`tserbench.regressors._training_run`; the
rest is mixed in from ``_training_data`` (padding, scaling, the inner
split), ``_fit_modes`` (published weights, the test fold attached,
checkpoints) and ``_inference`` (prediction, pickling).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from sktime.regression.deep_learning.base import BaseDeepRegressor

from tserbench.regressors._fit_modes import FitModesMixin
from tserbench.regressors._inference import InferenceMixin
from tserbench.regressors._training_data import TrainingDataMixin
from tserbench.regressors._training_run import TrainingRunMixin

__all__ = ["BaseTserbenchDeepRegressor"]

#: tags of the regressors that take unequal-length (padded + masked) input
UNEQUAL_LENGTH_TAGS = {
    "capability:unequal_length": True,
    "X_inner_mtype": ["df-list", "numpy3D"],
}


class BaseTserbenchDeepRegressor(TrainingRunMixin, TrainingDataMixin, FitModesMixin, InferenceMixin, BaseDeepRegressor):
    """Base class: network + ``Dense(1)`` head, weighted MSE, early stopping.

    Subclasses set ``_network_class`` and ``_network_params`` (the names of
    their own hyper-parameters that configure the network), and define
    ``__init__`` listing the network parameters followed by the training
    parameters below, which they pass on to this ``__init__``.

    Parameters
    ----------
    n_epochs : int or None, default=None
        Maximum number of epochs.  None: under ``schedule="converge"`` (or a
        dict) no epoch cap -- the schedule's ``max_steps`` caps the run, so
        that a small training set is not stopped after a few hundred
        optimiser steps; under the papers' epoch rule (``schedule=None``)
        300 epochs.
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
        off on CPU-only machines).  On CPU it has sped up the convolutional
        networks' epochs and slowed down the recurrent ones' (docs/performance.md;
        ``tserbench bench`` measures it).  XLA orders floating-point operations
        differently, so the trained weights are close to, not bitwise equal
        to, the default's.
    run_eagerly : bool, default=False
        Run Keras eagerly (no ``tf.function`` graph).  Only worth it for tiny
        data, such as sktime's estimator checks: it skips the graph tracing
        of each fit but makes every epoch slower.
    predict_batch_size : int, default=4096
        Batch size in ``predict`` (a speed setting).  More than 256 series run
        through a traced inference function (traced once per fitted model) in
        batches of this size; fewer use one direct call of the model, which
        skips the tracing.
    predict_jit_compile : bool or None, default=None
        Compile the inference pass of ``predict`` with XLA (a speed setting);
        None follows ``jit_compile``.  XLA slows the recurrent networks'
        training but has sped up their inference (README.md, "Speed figures";
        ``tserbench bench`` measures it).  The predictions agree with the
        default's to float32 rounding.
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
        n_epochs: int | None = None,
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

        integer("n_epochs", 1, allow_none=True)
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
