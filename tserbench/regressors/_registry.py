"""The model registry: one place that turns a model name into a regressor.

A model can be named three ways, tried in this order:

1. a **short name** of a built-in model (``gru``, ``fourier-gb``, ``minirocket``,
   ...; see :func:`list_models`);
2. the name of an **entry point** in the group ``tserbench.regressors``
   declared by an installed package (its value is ``"module:Class"``);
3. a **dotted path** to any sktime regressor class,
   e.g. ``sktime.regression.kernel_based.RocketRegressor``.

Classes are imported only when a model is resolved, never when this module is
imported, so ``import tserbench.regressors`` does not import TensorFlow.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from tserbench.exceptions import ConfigError

__all__ = [
    "ENTRY_POINT_GROUP",
    "ModelInfo",
    "get_regressor",
    "list_models",
    "resolve_model_class",
]

#: Entry-point group that third-party packages use to register regressors.
ENTRY_POINT_GROUP = "tserbench.regressors"


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
    return Fresh(lambda: [(name, get_regressor(name)) for name in names],
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
_BUILTIN: tuple[ModelInfo, ...] = (
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
    # An additional named model (issue 6), not one of the paper's: the mean of
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

_BY_NAME: dict[str, ModelInfo] = {info.name: info for info in _BUILTIN}

_HOW_TO_PLUG_IN = (
    "or give a dotted path to an sktime regressor class "
    "(e.g. sktime.regression.kernel_based.RocketRegressor), "
    f"or install a package that declares an entry point in group '{ENTRY_POINT_GROUP}'"
)


def _entry_points() -> dict[str, importlib.metadata.EntryPoint]:
    """Installed entry points of the group, by name (built-in short names win)."""
    eps = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    return {ep.name: ep for ep in eps if ep.name not in _BY_NAME}


def _import_dotted(path: str, label: str | None = None) -> Any:
    """Import ``package.module.Attr`` or ``package.module:Attr``; ``label`` names it in errors."""
    label = repr(path) if label is None else f"{label!r} ({path})"
    if ":" in path:
        module_name, _, attr = path.partition(":")
    else:
        module_name, _, attr = path.rpartition(".")
    if not module_name or not attr:
        raise ConfigError(f"model {label}: not a dotted path 'package.module.Class'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"model {label}: cannot import module {module_name!r} ({exc})") from exc
    obj = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except ImportError as exc:  # a lazily imported class whose own imports fail
            raise ConfigError(f"model {label}: cannot import {attr!r} ({exc})") from exc
        except AttributeError:
            raise ConfigError(f"model {label}: module {module_name!r} has no attribute {attr!r}") from None
    return obj


def _check_regressor_class(obj: Any, name: str) -> type:
    from sktime.regression.base import BaseRegressor

    if not (isinstance(obj, type) and issubclass(obj, BaseRegressor)):
        raise ConfigError(
            f"model {name!r}: {obj!r} is not an sktime regressor class "
            "(a subclass of sktime.regression.base.BaseRegressor)"
        )
    return obj


def _unknown(name: str) -> ConfigError:
    from tserbench._names import did_you_mean

    known = sorted(_BY_NAME) + sorted(_entry_points())
    hint = did_you_mean(name, known)
    return ConfigError(f"unknown model {name!r}; {hint + ' ' if hint else ''}known names: {', '.join(known)}; "
                       f"{_HOW_TO_PLUG_IN}")


def resolve_model_class(name: str) -> type:
    """Return the regressor class for a short name, entry-point name or dotted path.

    Parameters
    ----------
    name : str
        See the module docstring for the three accepted forms.

    Returns
    -------
    type
        A subclass of :class:`sktime.regression.base.BaseRegressor`.

    Raises
    ------
    ConfigError
        If the name is unknown, cannot be imported, or is not an sktime regressor.
    """
    if not isinstance(name, str) or not name:
        raise ConfigError(f"model name must be a non-empty string, got {name!r}")
    if name in _BY_NAME:
        return _check_regressor_class(_import_dotted(_BY_NAME[name].cls_path, name), name)
    eps = _entry_points()
    if name in eps:
        try:
            obj = eps[name].load()
        except Exception as exc:  # a broken plug-in must not crash the harness with a traceback
            raise ConfigError(
                f"model {name!r}: entry point {eps[name].value!r} failed to load: {type(exc).__name__}: {exc}"
            ) from exc
        return _check_regressor_class(obj, name)
    if "." in name or ":" in name:
        return _check_regressor_class(_import_dotted(name), name)
    raise _unknown(name)


def default_params(name: str) -> dict[str, Any]:
    """Registry defaults for ``name`` (empty unless documented in :class:`ModelInfo`)."""
    info = _BY_NAME.get(name)
    if info is None:
        return {}
    return {k: v.build() if isinstance(v, Fresh) else v for k, v in info.params.items()}


def get_regressor(name: str, **params: Any):
    """Build an unfitted regressor from a model name.

    Parameters
    ----------
    name : str
        Short name (see :func:`list_models`), entry-point name (group
        ``tserbench.regressors``) or dotted path to an sktime regressor class.
    **params
        Hyper-parameters; they override the registry defaults of the short name.

    Returns
    -------
    sktime.regression.base.BaseRegressor
        A new, unfitted estimator.

    Raises
    ------
    ConfigError
        Unknown model, or a parameter the class does not take.

    Examples
    --------
    >>> from tserbench.regressors import get_regressor
    >>> reg = get_regressor("fourier-linear")
    >>> type(reg).__name__
    'FourierLinearRegressor'
    """
    cls = resolve_model_class(name)
    merged = {**default_params(name), **params}
    # "<member>__<param>" addresses a parameter of a composite's member
    nested = {k: v for k, v in merged.items() if "__" in k}
    merged = {k: v for k, v in merged.items() if "__" not in k}
    accepted = set(cls.get_param_names())
    unknown = sorted(set(merged) - accepted)
    if unknown:
        raise ConfigError(
            f"model {name!r}: unknown parameter(s) {', '.join(unknown)}; "
            f"{cls.__name__} takes: {', '.join(sorted(accepted)) or '(none)'}"
        )
    try:
        est = cls(**merged)
    except (TypeError, ValueError) as exc:  # a parameter of the wrong type or out of range
        raise ConfigError(f"model {name!r}: {exc}") from exc
    if nested:
        deep = set(est.get_params(deep=True))
        unknown = sorted(set(nested) - deep)
        if unknown:
            raise ConfigError(
                f"model {name!r}: unknown nested parameter(s) {', '.join(unknown)}; "
                f"it takes: {', '.join(sorted(k for k in deep if '__' in k)) or '(none)'}"
            )
        est.set_params(**nested)
    return est


def list_models(*, include_plugins: bool = True) -> list[ModelInfo]:
    """List the built-in models, then installed entry-point plug-ins.

    Nothing is imported for the built-in models; for plug-ins only their
    entry-point metadata is read (``cls_path`` is the entry point's value).

    Parameters
    ----------
    include_plugins : bool, default=True
        Also list entry points of group ``tserbench.regressors``.

    Returns
    -------
    list of ModelInfo
    """
    models = list(_BUILTIN)
    if include_plugins:
        for ep_name, ep in sorted(_entry_points().items()):
            models.append(
                ModelInfo(
                    name=ep_name,
                    cls_path=ep.value.replace(":", "."),
                    kind="plugin",
                    description=f"entry point of {_dist_name(ep)}",
                    unequal_length=False,
                )
            )
    return models


def _dist_name(ep: importlib.metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return getattr(dist, "name", None) or "an installed package"
