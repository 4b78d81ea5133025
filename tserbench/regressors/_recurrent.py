"""Recurrent regressors of M24: LSTM, BiLSTM, GRU, BiGRU (DG22's BiLSTM: ``._dg22_bilstm``).

They take unequal-length input (sktime ``df-list``, e.g. the ``raw``
variant): the series are padded at the end with ``mask_value`` (-1) and the
network then starts with ``Masking(mask_value)``, as in M24's and DG22's
code.  Equal-length input without padded steps (``full``/``spline``
variants) gets no Masking layer, as in M24's spline branch.  Their shared
base and constructors are :mod:`tserbench.regressors._recurrent_base`.
"""

from __future__ import annotations

from tserbench.networks import BiGRUNetwork, BiLSTMNetwork, GRUNetwork, LSTMNetwork
from tserbench.regressors._recurrent_base import _BidirectionalRegressor, _UnidirectionalRegressor

__all__ = [
    "LSTMRegressor",
    "BiLSTMRegressor",
    "GRURegressor",
    "BiGRURegressor",
]


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
    # DG22BiLSTMRegressor lives in ._dg22_bilstm; its old address still works
    if name == "DG22BiLSTMRegressor":
        from tserbench.regressors._dg22_bilstm import DG22BiLSTMRegressor

        return DG22BiLSTMRegressor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
