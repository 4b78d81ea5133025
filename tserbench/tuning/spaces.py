"""Search spaces: one table, one entry per model, around the published defaults.

Each entry maps a *constructor parameter* of the model's class to a small
distribution object.  :func:`suggest_params` asks an Optuna trial for a value
of each and returns the keyword arguments for
:func:`tserbench.regressors.get_regressor`.

Most distributions map one Optuna parameter to one constructor parameter.
Per-layer values are the exception: the deep regressors take one tuple per
network (e.g. GRU ``units=(20, 16, 8)``, ``dropout=(0.2, 0.2, 0.1)``), and
letting a sampler pick every layer independently would waste trials on
shapes nobody uses.  :class:`Scale` keeps the published *shape* and tunes
one factor (Optuna parameter ``<name>_scale``); the exact tuple the model received is stored in the
trial's ``user_attrs["params"]``, which is what gets exported.

The ranges bracket the defaults of M24's code and DG22's published models
(see :mod:`tserbench.regressors.presets` and the network modules): learning
rate 0.01 (Adam), batch 256, dropout 0.1-0.2, L1/L2 ~ 2e-6 to 5e-6.  Training
budget parameters (``n_epochs``, ``patience``) are *not* searched: the harness
fixes them (``fixed_params`` of :func:`tserbench.tuning.tune`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from tserbench.exceptions import ConfigError

__all__ = [
    "Float",
    "Int",
    "Categorical",
    "Scale",
    "SEARCH_SPACES",
    "get_space",
    "suggest_params",
    "validate_space",
]


@dataclass(frozen=True)
class Float:
    """A float in ``[low, high]``, log-uniform if ``log``."""

    low: float
    high: float
    log: bool = False

    def suggest(self, trial, name: str) -> float:
        return trial.suggest_float(name, self.low, self.high, log=self.log)


@dataclass(frozen=True)
class Int:
    """An integer in ``[low, high]`` (log-uniform if ``log``)."""

    low: int
    high: int
    log: bool = False

    def suggest(self, trial, name: str) -> int:
        return trial.suggest_int(name, self.low, self.high, log=self.log)


@dataclass(frozen=True)
class Categorical:
    """One of ``choices`` (None, bool, int, float or str, as Optuna requires)."""

    choices: tuple

    def suggest(self, trial, name: str):
        return trial.suggest_categorical(name, list(self.choices))


@dataclass(frozen=True)
class Scale:
    """Per-layer values ``base`` multiplied by one factor from ``factors``.

    Keeps the published shape of a network (e.g. GRU units 20/16/8, dropout
    0.2/0.2/0.1) and tunes one factor, Optuna parameter ``<name>_scale``.
    Integer bases give integers (rounded, at least 1); float bases give floats.
    The constructor receives a tuple.
    """

    base: tuple
    factors: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0)

    def suggest(self, trial, name: str) -> tuple:
        factor = trial.suggest_categorical(f"{name}_scale", list(self.factors))
        if all(isinstance(b, int) for b in self.base):
            return tuple(max(1, int(round(b * factor))) for b in self.base)
        return tuple(round(float(b) * factor, 6) for b in self.base)


Distribution = Float | Int | Categorical | Scale

# Shared pieces ------------------------------------------------------------
_LR = Float(1e-3, 3e-2, log=True)  # around Adam lr 0.01 (M24, DG22)
_BATCH = Categorical((64, 128, 256, 512))  # around 256
_REG = Float(1e-7, 1e-4, log=True)  # around 2e-6 / 5e-6


def _rnn(units: tuple[int, ...], dropout: tuple[float, ...], regs: tuple[str, ...]) -> dict[str, Distribution]:
    # Only the regularisers the published model uses (non-zero defaults) are searched.
    return {
        "units": Scale(units),
        "dropout": Scale(dropout, factors=(0.0, 0.5, 1.0, 1.5, 2.0)),
        **{reg: _REG for reg in regs},
        "learning_rate": _LR,
        "batch_size": _BATCH,
    }


def _conv(name: str, filters: tuple[int, ...]) -> dict[str, Distribution]:
    return {
        name: Scale(filters, factors=(0.25, 0.5, 1.0)),  # CPU budget: no wider than M24
        "learning_rate": _LR,
        "batch_size": _BATCH,
    }


def _freeze(table: dict[str, dict[str, Distribution]]) -> Mapping[str, Mapping[str, Distribution]]:
    return MappingProxyType({k: MappingProxyType(dict(v)) for k, v in table.items()})


#: The search space of every built-in model: ``{model: {constructor_param: distribution}}``.
SEARCH_SPACES: Mapping[str, Mapping[str, Distribution]] = _freeze(
    {
        # M24 recurrent networks: 3 layers 20/16/8, dropout 0.2/0.2/0.1;
        # LSTM/GRU: L2 on kernels, L1 on recurrent weights; Bi-: L1 on both.
        "gru": _rnn((20, 16, 8), (0.2, 0.2, 0.1), ("kernel_l2", "recurrent_l1")),
        "lstm": _rnn((20, 16, 8), (0.2, 0.2, 0.1), ("kernel_l2", "recurrent_l1")),
        "bigru": _rnn((20, 16, 8), (0.2, 0.2, 0.1), ("kernel_l1", "recurrent_l1")),
        "bilstm": _rnn((20, 16, 8), (0.2, 0.2, 0.1), ("kernel_l1", "recurrent_l1")),
        # DG22 bilstm2p: 2 x BiLSTM(16), L1 5e-6, dropout 0.1.
        "dg22-bilstm2p": _rnn((16, 16), (0.1, 0.1), ("recurrent_l1",)),
        # M24 convolutional networks.
        "fcn": _conv("filter_sizes", (128, 256, 128)),
        "resnet": _conv("n_filters", (64, 64, 64)),
        "inceptiontime": {
            "n_filters": Categorical((8, 16, 32)),
            "learning_rate": _LR,
            "batch_size": _BATCH,
        },
        # Conv block as FCN, then 2 recurrent layers (8/4 units, dropout 0.2/0.1).
        "convlstm": {
            **_conv("filter_sizes", (128, 256, 128)),
            **_rnn((8, 4), (0.2, 0.1), ("kernel_l2", "recurrent_l1")),
        },
        "convgru": {
            **_conv("filter_sizes", (128, 256, 128)),
            **_rnn((8, 4), (0.2, 0.1), ("kernel_l2", "recurrent_l1")),
        },
        # Classical baselines (sklearn parameter ranges).
        "fourier-linear": {"alpha": Float(1e-6, 10.0, log=True)},
        "fourier-gb": {
            "learning_rate": Float(0.02, 0.3, log=True),
            "max_iter": Int(50, 400, log=True),
            "max_leaf_nodes": Int(7, 63, log=True),
            "min_samples_leaf": Int(5, 50, log=True),
            "l2_regularization": Float(1e-6, 1.0, log=True),
        },
        # sktime RocketRegressor(rocket_transform="minirocket"); RidgeCV picks its own alpha.
        "minirocket": {
            "num_kernels": Categorical((2_000, 5_000, 10_000)),
            "max_dilations_per_kernel": Int(16, 64, log=True),
        },
        # sktime RocketRegressor (ROCKET, the archive's): the kernel count around
        # its published 10 000; RidgeCV picks its own alpha.
        "rocket": {
            "num_kernels": Categorical((2_000, 5_000, 10_000, 20_000)),
        },
        # MeanRegressor of the two: its members' parameters, nested.
        "mean-minirocket-fourier-gb": {
            "minirocket__num_kernels": Categorical((2_000, 5_000, 10_000)),
            "fourier-gb__learning_rate": Float(0.02, 0.3, log=True),
            "fourier-gb__max_iter": Int(50, 400, log=True),
            "fourier-gb__min_samples_leaf": Int(5, 50, log=True),
        },
    }
)


def get_space(model: str) -> Mapping[str, Distribution]:
    """Return the search space of ``model`` (a short name of :data:`SEARCH_SPACES`).

    Raises
    ------
    ConfigError
        If the model has no search space.
    """
    try:
        return SEARCH_SPACES[model]
    except KeyError:
        from tserbench._names import did_you_mean

        hint = did_you_mean(model, SEARCH_SPACES)
        raise ConfigError(
            f"model {model!r} has no search space; {hint + ' ' if hint else ''}"
            f"models with one: {', '.join(sorted(SEARCH_SPACES))}"
        ) from None


def validate_space(model: str, space: Mapping[str, Distribution] | None = None, *, fixed: Sequence[str] = ()) -> None:
    """Check that every searched and fixed name is a constructor parameter of the model.

    Uses the class's ``get_param_names()`` (sklearn/sktime contract), so a
    renamed parameter fails here, before any trial is run.

    Raises
    ------
    ConfigError
        Naming the model, the wrong parameter(s) and what the class accepts.
    """
    from tserbench.regressors import resolve_model_class

    space = get_space(model) if space is None else space
    cls = resolve_model_class(model)
    accepted = set(cls.get_param_names())
    if any("__" in name for name in (*space, *fixed)):  # a composite's members' parameters
        from tserbench.regressors import get_regressor

        accepted |= set(get_regressor(model).get_params(deep=True))
    wrong = sorted((set(space) | set(fixed)) - accepted)
    if wrong:
        raise ConfigError(
            f"model {model!r}: search space names unknown parameter(s) {', '.join(wrong)}; "
            f"{cls.__name__} takes: {', '.join(sorted(accepted))}"
        )
    overlap = sorted(set(space) & set(fixed))
    if overlap:
        raise ConfigError(f"model {model!r}: parameter(s) {', '.join(overlap)} both searched and fixed")


def suggest_params(trial, model_name: str) -> dict[str, Any]:
    """Ask ``trial`` for one value of every parameter in the model's space.

    Parameters
    ----------
    trial : optuna.trial.Trial
        The trial to sample from.
    model_name : str
        Short model name (a key of :data:`SEARCH_SPACES`).

    Returns
    -------
    dict
        Constructor keyword arguments (layer sizes as tuples).

    Examples
    --------
    >>> import optuna
    >>> trial = optuna.trial.FixedTrial({"alpha": 0.1})
    >>> suggest_params(trial, "fourier-linear")
    {'alpha': 0.1}
    """
    return {name: dist.suggest(trial, name) for name, dist in get_space(model_name).items()}
