"""What M24's recurrent regressors share: tags, network parameters, test parameters and the two constructors.

:class:`_RecurrentRegressor` takes unequal-length input (sktime
``df-list``); :class:`_UnidirectionalRegressor` (LSTM, GRU: L2 on the input
kernels, L1 on the recurrent ones) and :class:`_BidirectionalRegressor`
(BiLSTM, BiGRU: L1 on both) hold the ``__init__`` whose signature sktime
reads the parameters and defaults from.  The regressors themselves are in
:mod:`tserbench.regressors._recurrent`, DG22's in ``._dg22_bilstm``.
"""

from __future__ import annotations

from tserbench.regressors._base import UNEQUAL_LENGTH_TAGS, BaseTserbenchDeepRegressor

__all__ = ["_BidirectionalRegressor", "_RecurrentRegressor", "_UnidirectionalRegressor"]


class _RecurrentRegressor(BaseTserbenchDeepRegressor):
    """Shared tags, network parameters and test parameters of the recurrent regressors.

    Each subclass keeps its own ``__init__``: sktime reads the parameters and
    their defaults (which differ per model) from its signature.
    """

    _tags = {**UNEQUAL_LENGTH_TAGS}
    _network_params = ("units", "dropout", "kernel_l1", "kernel_l2", "recurrent_l1", "recurrent_l2", "mask_value")

    @classmethod
    def get_test_params(cls, parameter_set="default"):
        """Return two tiny configurations for sktime's estimator checks.

        One recurrent layer of 2 units, one eager epoch, no internal
        validation split: the eager recurrent loop pays Python's overhead on
        every operation, so each evaluated time step counts (the validation
        path is tested in ``tests/test_regressors_deep.py``).  The first set stops
        early on the training loss under the convergence schedule, the second
        trains without early stopping under the papers' epoch rule.
        """
        return [
            {
                "units": (2,),
                "dropout": (0.1,),
                "n_epochs": 1,
                "batch_size": 16,
                "patience": 1,
                "validation_split": 0.0,
                "run_eagerly": True,
                "random_state": 0,
            },
            {
                "units": (2,),
                "dropout": 0.0,
                "n_epochs": 1,
                "weight_cutoff": None,
                "validation_split": 0.0,
                "patience": None,
                "schedule": None,
                "run_eagerly": True,
                "random_state": 1,
            },
        ]


class _UnidirectionalRegressor(_RecurrentRegressor):
    """Constructor of M24's LSTM and GRU regressors (L2 on kernels, L1 on recurrent weights).

    Subclasses set only their network class; sktime reads the parameters
    and their defaults from this ``__init__`` signature, which they inherit.
    """

    def __init__(
        self,
        units=(20, 16, 8),
        dropout=(0.2, 0.2, 0.1),
        kernel_l1: float = 0.0,
        kernel_l2: float = 2e-6,
        recurrent_l1: float = 2e-6,
        recurrent_l2: float = 0.0,
        mask_value: float | None = -1.0,
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
        self.units = units
        self.dropout = dropout
        self.kernel_l1 = kernel_l1
        self.kernel_l2 = kernel_l2
        self.recurrent_l1 = recurrent_l1
        self.recurrent_l2 = recurrent_l2
        self.mask_value = mask_value
        super().__init__(
            n_epochs=n_epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            patience=patience,
            min_delta=min_delta,
            validation_split=validation_split,
            selection=selection,
            reduce_lr_patience=reduce_lr_patience,
            schedule=schedule,
            weight_cutoff=weight_cutoff,
            standardize=standardize,
            steps_per_execution=steps_per_execution,
            jit_compile=jit_compile,
            run_eagerly=run_eagerly,
            predict_batch_size=predict_batch_size,
            predict_jit_compile=predict_jit_compile,
            random_state=random_state,
            verbose=verbose,
        )


class _BidirectionalRegressor(_RecurrentRegressor):
    """Constructor of M24's BiLSTM and BiGRU regressors (L1 on kernels and recurrent weights).

    Subclasses set only their network class; sktime reads the parameters
    and their defaults from this ``__init__`` signature, which they inherit.
    """

    def __init__(
        self,
        units=(20, 16, 8),
        dropout=(0.2, 0.2, 0.1),
        kernel_l1: float = 2e-6,
        kernel_l2: float = 0.0,
        recurrent_l1: float = 2e-6,
        recurrent_l2: float = 0.0,
        mask_value: float | None = -1.0,
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
        self.units = units
        self.dropout = dropout
        self.kernel_l1 = kernel_l1
        self.kernel_l2 = kernel_l2
        self.recurrent_l1 = recurrent_l1
        self.recurrent_l2 = recurrent_l2
        self.mask_value = mask_value
        super().__init__(
            n_epochs=n_epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            patience=patience,
            min_delta=min_delta,
            validation_split=validation_split,
            selection=selection,
            reduce_lr_patience=reduce_lr_patience,
            schedule=schedule,
            weight_cutoff=weight_cutoff,
            standardize=standardize,
            steps_per_execution=steps_per_execution,
            jit_compile=jit_compile,
            run_eagerly=run_eagerly,
            predict_batch_size=predict_batch_size,
            predict_jit_compile=predict_jit_compile,
            random_state=random_state,
            verbose=verbose,
        )
