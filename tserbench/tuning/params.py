"""A study's tuned parameters: the best trial as ``{model: params}``, exported or read back.

:func:`read_params_file` and :func:`parse_params` are the one reader of
``{model: {param: value}}`` JSON, for :func:`load_params` and for
``tserbench run --params-from``: JSON has no tuples, so list values (layer
sizes such as ``units``) are given back as tuples, the type the regressors'
defaults have.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tserbench._secrets import mask_secrets
from tserbench.exceptions import ConfigError
from tserbench.tuning.storages import _optuna, make_storage

if TYPE_CHECKING:
    from optuna.storages import BaseStorage

__all__ = ["CONFIG_ATTR", "best_params", "export_params", "load_params", "parse_params", "read_params_file"]

#: the study user attribute holding what a study made by :func:`~tserbench.tuning.study.tune` tunes
CONFIG_ATTR = "tserbench"


def _as_tuples(params: dict[str, Any]) -> dict[str, Any]:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}


def _read_text(path: Path) -> str:
    """A parameter file's text; a missing, binary or unreadable file is a one-line error naming it."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such params file") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a text file (expected JSON {{model: {{param: value}}}})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror or exc})") from None


def _json(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{source}: not valid JSON ({exc})") from None


def parse_params(text: str, source: str = "params") -> dict[str, dict[str, Any]]:
    """Parse ``{model: {param: value}}`` JSON text; list values become tuples.

    Parameters
    ----------
    text : str
        The JSON text.
    source : str, default="params"
        Where it comes from (a file name, ``--params-from``), for the error message.

    Returns
    -------
    dict

    Raises
    ------
    ConfigError
        If the text is not JSON or not an object of objects.
    """
    raw = _json(text, source)
    if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
        raise ConfigError(f"{source}: expected a JSON object {{model: {{param: value}}}}")
    return {model: _as_tuples(p) for model, p in raw.items()}


def read_params_file(path: str | os.PathLike, *, model: str | None = None) -> dict[str, dict[str, Any]]:
    """Read a params JSON file as ``{model: params}``; list values become tuples.

    Parameters
    ----------
    path : str or path-like
        A ``{model: {param: value}}`` file (as :func:`export_params` writes
        it), or with ``model`` a ``{param: value}`` file (a result store's
        ``<model>/params.json``).
    model : str, optional
        The model that a ``{param: value}`` file belongs to.

    Returns
    -------
    dict
    """
    path = Path(path)
    text = _read_text(path)
    if model is None:
        return parse_params(text, str(path))
    raw = _json(text, str(path))
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a JSON object {{param: value}}")
    return {model: _as_tuples(raw)}


def _load_study(storage: str | BaseStorage, study_name: str):
    optuna = _optuna()
    store = make_storage(storage, heartbeat_interval=None, must_exist=True)
    try:
        return optuna.load_study(study_name=study_name, storage=store)
    except KeyError:
        names = [s.study_name for s in optuna.get_all_study_summaries(store)]
        raise ConfigError(
            f"storage {storage!r} has no study {study_name!r}; studies: {', '.join(names) or '(none)'}"
        ) from None


def best_params(study) -> dict[str, dict[str, Any]]:
    """``{model: constructor params}`` of the study's best trial, as it was trained.

    The searched parameters of the trial plus the parameters the study fixed
    for every trial (``tune --set``, typically the training budget such as
    ``n_epochs`` or ``schedule``), so that ``tserbench run --params-from``
    trains the configuration that scored, not the class defaults.

    Raises
    ------
    ConfigError
        If the study was not made by :func:`tune` or has no completed trial.
    """
    config = study.user_attrs.get(CONFIG_ATTR)
    if not config:
        raise ConfigError(f"study {study.study_name!r} was not created by tserbench tune")
    try:
        trial = study.best_trial
    except ValueError:
        raise ConfigError(f"study {study.study_name!r} has no completed trial yet") from None
    fixed = dict(config.get("fixed_params") or {})  # the budget every trial trained with
    return {config["model"]: {**fixed, **dict(trial.user_attrs["params"])}}


def export_params(storage: str | BaseStorage, study_name: str, path: str | os.PathLike) -> Path:
    """Write the best parameters of a study as ``{model: params}`` JSON (atomically).

    The file is what ``tserbench run --params-from FILE`` reads (see :func:`load_params`).
    """
    from tserbench._io import atomic_write_json

    return atomic_write_json(path, best_params(_load_study(storage, study_name)))


def load_params(spec: str | os.PathLike) -> dict[str, dict[str, Any]]:
    """Read tuned parameters from a JSON file or a ``STORAGE_URL:STUDY`` spec.

    Parameters
    ----------
    spec : str or path-like
        Either a JSON file ``{model: {param: value}}`` (as written by
        :func:`export_params`), or a storage URL and a study name joined by
        the *last* ``':'``, e.g. ``sqlite:///tserbench-optuna.db:rrab-synthetic-gru-h0``
        or ``postgresql+psycopg2://u@host:5432/db:my-study``.

    Returns
    -------
    dict
        ``{model: params}``; list values (layer sizes) are given back as tuples.
    """
    spec = os.fspath(spec)
    path = Path(spec)
    if path.suffix == ".json" or (path.exists() and path.is_file()):
        return read_params_file(path)
    url, sep, study_name = spec.rpartition(":")
    if not sep or "://" not in url or not study_name or "/" in study_name:
        raise ConfigError(
            f"params spec {mask_secrets(spec)!r}: expected a .json file or STORAGE_URL:STUDY "
            "(e.g. sqlite:///tserbench-optuna.db:rrab-synthetic-gru-h0)"
        )
    return {model: _as_tuples(p) for model, p in best_params(_load_study(url, study_name)).items()}
