"""The built-in model table: one line per model, read by the registry (:mod:`._registry`).

Adding a network to tserbench costs its network module
(:mod:`tserbench.networks`), its regressor module and one line here: the
registry, ``tserbench models``, the sktime checks of the test suite and the
saved-model format all read this table.  Nothing here imports a model class.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = ["BUILTIN", "Fresh", "ModelInfo"]


@dataclass(frozen=True)
class ModelInfo:
    """What the registry knows about one model, without importing it.

    Parameters
    ----------
    name : str
        Short name, as accepted by :func:`get_regressor`.
    cls_path : str
        Dotted path of the class (``"package.module.Class"``).
    kind : str
        ``"deep"``, ``"classical"`` or ``"plugin"`` (entry point of an installed package).
    description : str
        One line for ``tserbench models``.
    unequal_length : bool
        Whether the model accepts the ``raw`` (unequal-length, masked) variant.
    params : Mapping
        Defaults that :func:`get_regressor` passes for this short name and that
        differ from the class defaults (empty for most models; each one is
        documented in the description).  A :class:`Fresh` value is built anew
        for every estimator (member estimators of a composite must not be
        shared between estimators).
    archive_name : str or None
        The same regressor's name in the TSER archive's published results
        (Guijo-Rubio et al. 2024: ``FCN``, ``ResNet``, ``Inception``,
        ``ROCKET``), whose rows an archive leaderboard pairs it with first.
    """

    name: str
    cls_path: str
    kind: str
    description: str
    unequal_length: bool
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    archive_name: str | None = None


@dataclass(frozen=True)
class Fresh:
    """A registry default built anew by :func:`get_regressor` for every estimator.

    Parameters
    ----------
    build : callable
        Returns the value; called at each :func:`get_regressor` (imports
        happen there, not when the registry is imported).
    text : str
        How the value is shown (``repr``), e.g. in ``tserbench models``.
    """

    build: Any
    text: str

    def __repr__(self) -> str:
        return self.text


def _members(*names: str) -> Fresh:
    """Member estimators built from the registry's own short names (and their defaults)."""

    def build():
        # imported at call time: the registry imports this table
        from tserbench.regressors._registry import get_regressor

        return [(name, get_regressor(name)) for name in names]

    return Fresh(build,
                 "[" + ", ".join(f"('{name}', get_regressor('{name}'))" for name in names) + "]")


def _info(name, cls_name, kind, description, unequal_length, module="tserbench.regressors", *, archive=None,
          **params):
    return ModelInfo(
        name=name,
        cls_path=f"{module}.{cls_name}",
        kind=kind,
        description=description,
        unequal_length=unequal_length,
        params=MappingProxyType(dict(params)),
        archive_name=archive,
    )


# The deep classes are addressed through the package (``tserbench.regressors.X``),
# which imports them lazily; that keeps this table independent of which
# internal module holds each network.
BUILTIN: tuple[ModelInfo, ...] = (
    _info("fcn", "FCNRegressor", "deep", "Fully convolutional network, 3 blocks 128/256/128 (M24)", False,
          archive="FCN"),
    _info("resnet", "ResNetRegressor", "deep", "Residual network, 3 blocks of 3 convolutions (M24)", False,
          archive="ResNet"),
    _info(
        "inceptiontime",
        "InceptionTimeRegressor",
        "deep",
        "InceptionTime, 2 residual blocks x 3 Inception modules (M24)",
        False,
        archive="Inception",
    ),
    _info("lstm", "LSTMRegressor", "deep", "3 stacked LSTM layers with dropout (M24)", True),
    _info("bilstm", "BiLSTMRegressor", "deep", "3 stacked bidirectional LSTM layers (M24)", True),
    _info("gru", "GRURegressor", "deep", "3 stacked GRU layers 20/16/8 with dropout (M24)", True),
    _info("bigru", "BiGRURegressor", "deep", "3 stacked bidirectional GRU layers (M24)", True),
    _info("convlstm", "ConvLSTMRegressor", "deep", "FCN conv block, max-pool, 2 LSTM layers (M24)", False),
    _info("convgru", "ConvGRURegressor", "deep", "FCN conv block, max-pool, 2 GRU layers (M24)", False),
    _info(
        "dg22-bilstm2p",
        "DG22BiLSTMRegressor",
        "deep",
        "Dekany & Grebel (2022) best G model: 2 x BiLSTM(16), L1 5e-6, dropout 0.1",
        True,
    ),
    _info(
        "fourier-linear",
        "FourierLinearRegressor",
        "classical",
        "Linear [Fe/H] on period + Fourier parameters (traditional photometric method)",
        False,
        module="tserbench.regressors.classical",
    ),
    _info(
        "fourier-gb",
        "FourierGBRegressor",
        "classical",
        "Gradient boosting (sklearn HGB) on period + Fourier parameters",
        False,
        module="tserbench.regressors.classical",
    ),
    # sktime 1.2 has no MiniRocketRegressor class: MiniRocket is RocketRegressor
    # with rocket_transform="minirocket" (MiniRocketMultivariate + RidgeCV).
    _info(
        "minirocket",
        "RocketRegressor",
        "classical",
        "sktime MiniRocket features + RidgeCV (defaults here: rocket_transform='minirocket', random_state=0)",
        False,
        module="sktime.regression.kernel_based",
        rocket_transform="minirocket",
        random_state=0,
    ),
    # ROCKET as the TSER archive's published rows run it (Guijo-Rubio et al.
    # 2024: 10 000 kernels + ridge with a CV'd alpha), for paired comparisons.
    _info(
        "rocket",
        "RocketRegressor",
        "classical",
        "sktime ROCKET features (10 000 kernels) + RidgeCV, the archive's ROCKET",
        False,
        module="sktime.regression.kernel_based",
        archive="ROCKET",
    ),
    # An additional named model, not one of the paper's: the mean of
    # the two best classical rows of the committed DG22 leaderboard.  sktime
    # has no averaging ensemble for regressors, hence tserbench's MeanRegressor.
    _info(
        "mean-minirocket-fourier-gb",
        "MeanRegressor",
        "classical",
        "Unweighted mean of its estimators minirocket and fourier-gb, each fitted on the same fold",
        False,
        module="tserbench.regressors.compose",
        estimators=_members("minirocket", "fourier-gb"),
    ),
)
