"""Convolutional-recurrent regressors of M24 (ConvLSTM, ConvGRU).

Equal-length input only: ``Conv1D`` does not propagate Keras masks, so a
padded ``raw`` panel cannot be masked (use the ``full``/``spline`` variants).
"""

from __future__ import annotations

from tserbench.networks import ConvGRUNetwork, ConvLSTMNetwork
from tserbench.regressors._base import BaseTserbenchDeepRegressor

__all__ = ["ConvLSTMRegressor", "ConvGRURegressor"]


class _ConvRecurrentRegressor(BaseTserbenchDeepRegressor):
    """Shared constructor, network parameters and test parameters of ConvLSTM and ConvGRU.

    The two differ only in their network class; sktime reads the parameters
    from this ``__init__`` signature, which both inherit.
    """

    _network_params = ("filter_sizes", "kernel_sizes", "pool_size", "units", "dropout", "kernel_l1", "kernel_l2", "recurrent_l1", "recurrent_l2",)

    def __init__(
        self,
        filter_sizes=(128, 256, 128),
        kernel_sizes=(8, 5, 3),
        pool_size: int = 2,
        units=(8, 4),
        dropout=(0.2, 0.1),
        kernel_l1: float = 0.0,
        kernel_l2: float = 2e-6,
        recurrent_l1: float = 2e-6,
        recurrent_l2: float = 0.0,
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
        self.filter_sizes = filter_sizes
        self.kernel_sizes = kernel_sizes
        self.pool_size = pool_size
        self.units = units
        self.dropout = dropout
        self.kernel_l1 = kernel_l1
        self.kernel_l2 = kernel_l2
        self.recurrent_l1 = recurrent_l1
        self.recurrent_l2 = recurrent_l2
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

    @classmethod
    def get_test_params(cls, parameter_set="default"):
        """Return a tiny configuration for sktime's estimator checks."""
        return [
            {
                "filter_sizes": (4,),
                "kernel_sizes": (3,),
                "units": (2,),
                "dropout": (0.1,),
                "n_epochs": 1,
                "batch_size": 16,
                "patience": 1,
                "validation_split": 0.2,
                "run_eagerly": True,
                "random_state": 0,
            },
            {
                "filter_sizes": (2, 2),
                "kernel_sizes": (2, 3),
                "pool_size": 1,
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


class ConvLSTMRegressor(_ConvRecurrentRegressor):
    """M24's ConvLSTM regressor: FCN conv block -> MaxPool1D -> LSTM(8) -> LSTM(4) -> Dense(1).

    Parameters
    ----------
    filter_sizes : sequence of int, default=(128, 256, 128)
        Filters of the Conv1D layers.
    kernel_sizes : sequence of int, default=(8, 5, 3)
        Kernel lengths of the Conv1D layers.
    pool_size : int, default=2
        MaxPooling1D pool size before the recurrent layers.
    units : sequence of int, default=(8, 4)
        Units of the recurrent layers (M24's code).
    dropout : float or sequence of float, default=(0.2, 0.1)
        Dropout after each recurrent layer.
    kernel_l1, kernel_l2 : float, default=0.0, 2e-6
        Regularisation of the recurrent layers' input kernels.
    recurrent_l1, recurrent_l2 : float, default=2e-6, 0.0
        Regularisation of the recurrent kernels.
    n_epochs, batch_size, learning_rate, patience, min_delta, validation_split, selection, \
reduce_lr_patience, schedule, weight_cutoff, standardize, steps_per_execution, jit_compile, run_eagerly, \
predict_batch_size, predict_jit_compile, \
random_state, verbose
        Training parameters, see
        :class:`tserbench.regressors._base.BaseTserbenchDeepRegressor`
        (Adam lr 0.01, batch 256, MSE on standardised inputs and targets, trained to
        convergence with the epoch picked on a 10 % inner split; the RRab datasets
        declare DG22's density weights and no standardisation).

    Attributes
    ----------
    model_ : keras.Model
        Fitted network with its ``Dense(1)`` head.
    history_ : dict of str to list of float
        Per-epoch ``loss`` and ``val_loss``.
    n_epochs_trained_, best_epoch_ : int
        Epochs run; 1-based epoch of the kept weights.

    Examples
    --------
    >>> import numpy as np
    >>> from tserbench.regressors._conv_recurrent import ConvLSTMRegressor
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(20, 2, 12)), rng.normal(-1.5, 0.4, size=20)
    >>> reg = ConvLSTMRegressor(filter_sizes=(4,), kernel_sizes=(3,), units=(2,), dropout=0.1, n_epochs=2, random_state=0)
    >>> reg.fit(X, y).predict(X).shape
    (20,)
    """

    _network_class = ConvLSTMNetwork


class ConvGRURegressor(_ConvRecurrentRegressor):
    """M24's ConvGRU regressor: FCN conv block -> MaxPool1D -> GRU(8) -> GRU(4) -> Dense(1).

    Parameters
    ----------
    filter_sizes : sequence of int, default=(128, 256, 128)
        Filters of the Conv1D layers.
    kernel_sizes : sequence of int, default=(8, 5, 3)
        Kernel lengths of the Conv1D layers.
    pool_size : int, default=2
        MaxPooling1D pool size before the recurrent layers.
    units : sequence of int, default=(8, 4)
        Units of the recurrent layers (M24's code).
    dropout : float or sequence of float, default=(0.2, 0.1)
        Dropout after each recurrent layer.
    kernel_l1, kernel_l2 : float, default=0.0, 2e-6
        Regularisation of the recurrent layers' input kernels.
    recurrent_l1, recurrent_l2 : float, default=2e-6, 0.0
        Regularisation of the recurrent kernels.
    n_epochs, batch_size, learning_rate, patience, min_delta, validation_split, selection, \
reduce_lr_patience, schedule, weight_cutoff, standardize, steps_per_execution, jit_compile, run_eagerly, \
predict_batch_size, predict_jit_compile, \
random_state, verbose
        Training parameters, see
        :class:`tserbench.regressors._base.BaseTserbenchDeepRegressor`
        (Adam lr 0.01, batch 256, MSE on standardised inputs and targets, trained to
        convergence with the epoch picked on a 10 % inner split; the RRab datasets
        declare DG22's density weights and no standardisation).

    Attributes
    ----------
    model_ : keras.Model
        Fitted network with its ``Dense(1)`` head.
    history_ : dict of str to list of float
        Per-epoch ``loss`` and ``val_loss``.
    n_epochs_trained_, best_epoch_ : int
        Epochs run; 1-based epoch of the kept weights.

    Examples
    --------
    >>> import numpy as np
    >>> from tserbench.regressors._conv_recurrent import ConvGRURegressor
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(20, 2, 12)), rng.normal(-1.5, 0.4, size=20)
    >>> reg = ConvGRURegressor(filter_sizes=(4,), kernel_sizes=(3,), units=(2,), dropout=0.1, n_epochs=2, random_state=0)
    >>> reg.fit(X, y).predict(X).shape
    (20,)
    """

    _network_class = ConvGRUNetwork
