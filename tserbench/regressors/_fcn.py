"""M24's FCN regressor on sktime's ``FCNNetwork`` (equal-length input only).

sktime's network already is M24's architecture (filters 128/256/128, kernels
8/5/3, BN + ReLU, global average pooling).  M24's ``fcn.py`` additionally puts
an L2 2e-6 penalty on the convolution kernels and biases; sktime's network has
no regulariser option, so the penalty is left out and the network is
sktime's as it is.
"""

from __future__ import annotations

from tserbench.networks import FCNNetwork
from tserbench.regressors._base import BaseTserbenchDeepRegressor

__all__ = ["FCNRegressor"]


class FCNRegressor(BaseTserbenchDeepRegressor):
    """M24's FCN regressor: 3 x [Conv1D -> BN -> ReLU], GAP, Dense(1).

    Parameters
    ----------
    filter_sizes : sequence of int, default=(128, 256, 128)
        Filters of the Conv1D layers.
    kernel_sizes : sequence of int, default=(8, 5, 3)
        Kernel lengths of the Conv1D layers.
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
    >>> from tserbench.regressors._fcn import FCNRegressor
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(20, 2, 12)), rng.normal(-1.5, 0.4, size=20)
    >>> reg = FCNRegressor(filter_sizes=(4,), kernel_sizes=(3,), n_epochs=2, random_state=0)
    >>> reg.fit(X, y).predict(X).shape
    (20,)
    """

    _network_class = FCNNetwork
    _network_params = ("filter_sizes", "kernel_sizes")

    def __init__(
        self,
        filter_sizes=(128, 256, 128),
        kernel_sizes=(8, 5, 3),
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
                "n_epochs": 1,
                "weight_cutoff": None,
                "validation_split": 0.0,
                "patience": None,
                "schedule": None,
                "run_eagerly": True,
                "random_state": 1,
            },
        ]
