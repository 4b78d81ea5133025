"""Recurrent regressors of M24 (LSTM, BiLSTM, GRU, BiGRU) and their shared base (DG22's: ``._dg22_bilstm``).

They take unequal-length input (sktime ``df-list``, e.g. the ``raw``
variant): the series are padded at the end with ``mask_value`` (-1) and the
network then starts with ``Masking(mask_value)``, as in M24's and DG22's
code.  Equal-length input without padded steps (``full``/``spline``
variants) gets no Masking layer, as in M24's spline branch.
"""

from __future__ import annotations

from tserbench.networks import BiGRUNetwork, BiLSTMNetwork, GRUNetwork, LSTMNetwork
from tserbench.regressors._base import UNEQUAL_LENGTH_TAGS, BaseTserbenchDeepRegressor

__all__ = [
    "LSTMRegressor",
    "BiLSTMRegressor",
    "GRURegressor",
    "BiGRURegressor",
]


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
        validation split: on a CPU the eager recurrent loop costs ~0.1 ms per
        operation, so each evaluated time step counts (the validation path is
        tested in ``tests/test_regressors_deep.py``).  The first set stops
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


class LSTMRegressor(_UnidirectionalRegressor):
    """M24's LSTM regressor: 3 x [LSTM -> Dropout] (20/16/8 units), Dense(1).

    Parameters
    ----------
    units : sequence of int, default=(20, 16, 8)
        Units of each recurrent layer.
    dropout : float or sequence of float, default=(0.2, 0.2, 0.1)
        Dropout after each recurrent layer.
    kernel_l1, kernel_l2 : float, default=0.0, 2e-6
        Regularisation of the input kernels.
    recurrent_l1, recurrent_l2 : float, default=2e-6, 0.0
        Regularisation of the recurrent kernels.
    mask_value : float or None, default=-1.0
        Padding value: unequal-length input (``df-list``, the ``raw``
        variant) is padded at the end with it, and a ``Masking`` layer skips
        those steps when the training data are padded.  None: no masking
        (equal-length input only).
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
    >>> from tserbench.regressors._recurrent import LSTMRegressor
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(20, 2, 12)), rng.normal(-1.5, 0.4, size=20)
    >>> reg = LSTMRegressor(units=(4,), dropout=0.1, n_epochs=2, random_state=0)
    >>> reg.fit(X, y).predict(X).shape
    (20,)
    """

    _network_class = LSTMNetwork


class BiLSTMRegressor(_BidirectionalRegressor):
    """M24's BiLSTM regressor: 3 x [Bidirectional(LSTM) -> Dropout] (20/16/8), Dense(1).

    Parameters
    ----------
    units : sequence of int, default=(20, 16, 8)
        Units of each recurrent layer.
    dropout : float or sequence of float, default=(0.2, 0.2, 0.1)
        Dropout after each recurrent layer.
    kernel_l1, kernel_l2 : float, default=2e-6, 0.0
        Regularisation of the input kernels.
    recurrent_l1, recurrent_l2 : float, default=2e-6, 0.0
        Regularisation of the recurrent kernels.
    mask_value : float or None, default=-1.0
        Padding value: unequal-length input (``df-list``, the ``raw``
        variant) is padded at the end with it, and a ``Masking`` layer skips
        those steps when the training data are padded.  None: no masking
        (equal-length input only).
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
    >>> from tserbench.regressors._recurrent import BiLSTMRegressor
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(20, 2, 12)), rng.normal(-1.5, 0.4, size=20)
    >>> reg = BiLSTMRegressor(units=(4,), dropout=0.1, n_epochs=2, random_state=0)
    >>> reg.fit(X, y).predict(X).shape
    (20,)
    """

    _network_class = BiLSTMNetwork


class GRURegressor(_UnidirectionalRegressor):
    """M24's GRU regressor (best in M24): 3 x [GRU -> Dropout] (20/16/8 units), Dense(1).

    Parameters
    ----------
    units : sequence of int, default=(20, 16, 8)
        Units of each recurrent layer.
    dropout : float or sequence of float, default=(0.2, 0.2, 0.1)
        Dropout after each recurrent layer.
    kernel_l1, kernel_l2 : float, default=0.0, 2e-6
        Regularisation of the input kernels.
    recurrent_l1, recurrent_l2 : float, default=2e-6, 0.0
        Regularisation of the recurrent kernels.
    mask_value : float or None, default=-1.0
        Padding value: unequal-length input (``df-list``, the ``raw``
        variant) is padded at the end with it, and a ``Masking`` layer skips
        those steps when the training data are padded.  None: no masking
        (equal-length input only).
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
    >>> from tserbench.regressors._recurrent import GRURegressor
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(20, 2, 12)), rng.normal(-1.5, 0.4, size=20)
    >>> reg = GRURegressor(units=(4,), dropout=0.1, n_epochs=2, random_state=0)
    >>> reg.fit(X, y).predict(X).shape
    (20,)
    """

    _network_class = GRUNetwork


class BiGRURegressor(_BidirectionalRegressor):
    """M24's BiGRU regressor: 3 x [Bidirectional(GRU) -> Dropout] (20/16/8), Dense(1).

    Parameters
    ----------
    units : sequence of int, default=(20, 16, 8)
        Units of each recurrent layer.
    dropout : float or sequence of float, default=(0.2, 0.2, 0.1)
        Dropout after each recurrent layer.
    kernel_l1, kernel_l2 : float, default=2e-6, 0.0
        Regularisation of the input kernels.
    recurrent_l1, recurrent_l2 : float, default=2e-6, 0.0
        Regularisation of the recurrent kernels.
    mask_value : float or None, default=-1.0
        Padding value: unequal-length input (``df-list``, the ``raw``
        variant) is padded at the end with it, and a ``Masking`` layer skips
        those steps when the training data are padded.  None: no masking
        (equal-length input only).
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
    >>> from tserbench.regressors._recurrent import BiGRURegressor
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(20, 2, 12)), rng.normal(-1.5, 0.4, size=20)
    >>> reg = BiGRURegressor(units=(4,), dropout=0.1, n_epochs=2, random_state=0)
    >>> reg.fit(X, y).predict(X).shape
    (20,)
    """

    _network_class = BiGRUNetwork


def __getattr__(name: str):
    # DG22BiLSTMRegressor lives in ._dg22_bilstm (which imports this module); its old address still works
    if name == "DG22BiLSTMRegressor":
        from tserbench.regressors._dg22_bilstm import DG22BiLSTMRegressor

        return DG22BiLSTMRegressor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
