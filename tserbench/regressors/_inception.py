"""M24's InceptionTime regressor on sktime's ``InceptionTimeNetwork`` (equal length only).

sktime's network is M24's ``inception.py`` (Ismail Fawaz et al. 2020, single
network, not the ensemble): depth 6 with a residual connection every 3
modules, 32 filters, bottleneck 32, kernels 40/20/10 plus a max-pool branch.
sktime's ``InceptionTimeRegressor`` is not used because it hard-codes
Adam(lr=0.001).
"""

from __future__ import annotations

from tserbench.networks import InceptionTimeNetwork
from tserbench.regressors._base import BaseTserbenchDeepRegressor

__all__ = ["InceptionTimeRegressor"]


class InceptionTimeRegressor(BaseTserbenchDeepRegressor):
    """M24's InceptionTime regressor: 6 inception modules, GAP, Dense(1).

    Parameters
    ----------
    n_filters : int, default=32
        Filters of each convolution of an inception module.
    use_residual : bool, default=True
        Residual connection every 3 modules.
    use_bottleneck : bool, default=True
        1x1 bottleneck convolution before the parallel convolutions.
    bottleneck_size : int, default=32
        Filters of the bottleneck.
    depth : int, default=6
        Number of inception modules.
    kernel_size : int, default=40
        Longest kernel; the others are ``kernel_size // 2`` and ``// 4``.
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
    >>> from tserbench.regressors._inception import InceptionTimeRegressor
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(20, 2, 12)), rng.normal(-1.5, 0.4, size=20)
    >>> reg = InceptionTimeRegressor(n_filters=2, bottleneck_size=2, depth=3, kernel_size=4, n_epochs=2, random_state=0)
    >>> reg.fit(X, y).predict(X).shape
    (20,)
    """

    _network_class = InceptionTimeNetwork
    _network_params = ("n_filters", "use_residual", "use_bottleneck", "bottleneck_size", "depth", "kernel_size",)

    def __init__(
        self,
        n_filters: int = 32,
        use_residual: bool = True,
        use_bottleneck: bool = True,
        bottleneck_size: int = 32,
        depth: int = 6,
        kernel_size: int = 40,
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
        self.n_filters = n_filters
        self.use_residual = use_residual
        self.use_bottleneck = use_bottleneck
        self.bottleneck_size = bottleneck_size
        self.depth = depth
        self.kernel_size = kernel_size
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
                "n_filters": 2,
                "bottleneck_size": 2,
                "depth": 3,
                "kernel_size": 4,
                "n_epochs": 1,
                "batch_size": 16,
                "patience": 1,
                "validation_split": 0.2,
                "run_eagerly": True,
                "random_state": 0,
            },
            {
                "n_filters": 2,
                "bottleneck_size": 2,
                "depth": 1,
                "kernel_size": 4,
                "use_residual": False,
                "use_bottleneck": False,
                "n_epochs": 1,
                "weight_cutoff": None,
                "validation_split": 0.0,
                "patience": None,
                "schedule": None,
                "run_eagerly": True,
                "random_state": 1,
            },
        ]
