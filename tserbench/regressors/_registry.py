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
import inspect
import json
from collections.abc import Mapping
from typing import Any

from tserbench.exceptions import ConfigError
from tserbench.regressors._builtin import BUILTIN, Fresh, ModelInfo

__all__ = [
    "ENTRY_POINT_GROUP",
    "ModelInfo",
    "get_regressor",
    "list_models",
    "resolve_model_class",
    "apply_dataset_defaults",
    "class_defaults",
    "params_record",
    "resolve_models",
]

#: Entry-point group that third-party packages use to register regressors.
ENTRY_POINT_GROUP = "tserbench.regressors"

#: the built-in table (:mod:`tserbench.regressors._builtin`) and its index by short name
_BUILTIN: tuple[ModelInfo, ...] = BUILTIN
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


# ---------------------------------------------------------------------------
# the models of a run
# ---------------------------------------------------------------------------
def resolve_models(models, params: Mapping[str, Mapping] | None = None) -> list[tuple[str, Any]]:
    """Turn ``models`` into ``[(name, unfitted estimator), ...]``.

    Parameters
    ----------
    models : str, sequence or mapping
        Registry names (a list, or one comma-separated string), ``(name,
        estimator)`` pairs, estimator objects (named after their class), or a
        mapping ``name -> estimator``.
    params : mapping, optional
        ``{model name: {param: value}}`` passed to the registry (or, for
        estimator objects, to ``set_params``).
    """
    params = dict(params or {})
    if isinstance(models, str):
        models = [m.strip() for m in models.split(",") if m.strip()]
    if isinstance(models, Mapping):
        models = list(models.items())
    resolved: list[tuple[str, Any]] = []
    for item in models:
        if isinstance(item, str):
            resolved.append((item, get_regressor(item, **dict(params.get(item, {})))))
            continue
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
            name, est = item
        elif hasattr(item, "fit") and hasattr(item, "predict"):
            name, est = type(item).__name__.lower(), item
        else:
            raise ConfigError(f"not a model name or estimator: {item!r}")
        if params.get(name):
            from sklearn.base import clone

            est = clone(est).set_params(**dict(params[name]))
        resolved.append((name, est))
    names = [n for n, _ in resolved]
    if not names:
        raise ConfigError("no models to run")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"model(s) listed twice: {', '.join(dupes)}")
    unknown = sorted(set(params) - set(names))
    if unknown:
        raise ConfigError(f"params given for model(s) not in the run: {', '.join(unknown)}")
    return resolved


def apply_dataset_defaults(resolved, defaults: Mapping, params: Mapping) -> list[tuple[str, Any]]:
    """Give each deep model the parameters its dataset declares (``BenchmarkData.model_defaults``).

    They describe how the papers train networks on the task (the RRab sets:
    DG22's density weights, no standardisation), so only tserbench's deep
    regressors get them; a classical model keeps its own defaults.  A deep
    model gets a declared value for a parameter it takes, unless the run
    sets that parameter (in ``params``) or the estimator was given with a
    value other than its class default: what a run asks for wins.
    """
    if not defaults:
        return resolved
    out = []
    for name, est in resolved:
        if not hasattr(est, "build_model"):  # not one of tserbench's deep regressors
            out.append((name, est))
            continue
        mine = est.get_params(deep=False)
        defaults_of_class = class_defaults(est)
        given = dict(params.get(name) or {})
        update = {k: v for k, v in defaults.items()
                  if k in mine and k not in given and mine[k] == defaults_of_class.get(k, mine[k])}
        if update:
            from sklearn.base import clone

            est = clone(est).set_params(**update)
        out.append((name, est))
    return out


def _json_value(value):
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return repr(value)


def class_defaults(estimator) -> dict:
    """The class defaults of ``estimator``'s parameters, JSON-safe."""
    try:
        signature = inspect.signature(type(estimator).__init__)
    except (TypeError, ValueError):
        return {}
    return {name: _json_value(p.default) for name, p in signature.parameters.items()
            if p.default is not inspect.Parameter.empty}


def params_record(estimator) -> dict:
    """``get_params(deep=False)`` made JSON-safe, without the per-job random state."""
    return {
        k: _json_value(v)
        for k, v in estimator.get_params(deep=False).items()
        if not (k == "random_state" or k.endswith("__random_state"))
    }
