"""A study's tuned parameters: the best trial as ``{model: params}``, exported or read back."""

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

__all__ = ["CONFIG_ATTR", "best_params", "export_params", "load_params"]

#: the study user attribute holding what a study made by :func:`~tserbench.tuning.study.tune` tunes
CONFIG_ATTR = "tserbench"


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
        try:
            raw = json.loads(path.read_text())
        except FileNotFoundError:
            raise ConfigError(f"{path}: no such params file") from None
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}: not valid JSON ({exc})") from None
        if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
            raise ConfigError(f"{path}: expected a JSON object {{model: {{param: value}}}}")
        params = raw
    else:
        url, sep, study_name = spec.rpartition(":")
        if not sep or "://" not in url or not study_name or "/" in study_name:
            raise ConfigError(
                f"params spec {mask_secrets(spec)!r}: expected a .json file or STORAGE_URL:STUDY "
                "(e.g. sqlite:///tserbench-optuna.db:rrab-synthetic-gru-h0)"
            )
        params = best_params(_load_study(url, study_name))
    return {
        model: {k: tuple(v) if isinstance(v, list) else v for k, v in p.items()} for model, p in params.items()
    }
