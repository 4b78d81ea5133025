"""DG22's recurrent regressor ``bilstm2p`` (Dekany & Grebel 2022), on the shared recurrent base.

Like M24's recurrent regressors (:mod:`tserbench.regressors._recurrent`) it
takes unequal-length input, padded with ``mask_value`` and masked.
"""

from __future__ import annotations

from tserbench.networks import DG22BiLSTMNetwork
from tserbench.regressors._recurrent_base import _RecurrentRegressor

__all__ = ["DG22BiLSTMRegressor"]


class DG22BiLSTMRegressor(_RecurrentRegressor):
    """DG22's best G-band model ``bilstm2p``: 2 x [BiLSTM(16) -> Dropout(0.1)], Dense(1).

    Parameters
    ----------
    units : sequence of int, default=(16, 16)
        Units of each recurrent layer.
    dropout : float or sequence of float, default=(0.1, 0.1)
        Dropout after each recurrent layer.
    kernel_l1, kernel_l2 : float, default=0.0, 0.0
        Regularisation of the input kernels.
    recurrent_l1, recurrent_l2 : float, default=5e-6, 0.0
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
    >>> from tserbench.regressors._recurrent import DG22BiLSTMRegressor
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(20, 2, 12)), rng.normal(-1.5, 0.4, size=20)
    >>> reg = DG22BiLSTMRegressor(units=(4,), dropout=0.1, n_epochs=2, random_state=0)
    >>> reg.fit(X, y).predict(X).shape
    (20,)
    """

    _network_class = DG22BiLSTMNetwork

    def __init__(
        self,
        units=(16, 16),
        dropout=(0.1, 0.1),
        kernel_l1: float = 0.0,
        kernel_l2: float = 0.0,
        recurrent_l1: float = 5e-6,
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
