"""Optuna storages by URL: an SQLite file on a laptop, PostgreSQL for several machines.

:func:`make_storage` builds Optuna's ``RDBStorage`` with heartbeats and the
retry of trials whose worker died, so that a user moves from one machine to
a cluster by changing a URL, not code.  A storage object
(``optuna.storages.InMemoryStorage()``, an ``RDBStorage`` or a
``JournalStorage`` built by the caller) is used as given, as
``optuna.create_study`` takes it.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tserbench._config import DEFAULT_STORAGE  # defined where `tserbench --help` reads it without Optuna
from tserbench._secrets import mask_secrets
from tserbench.exceptions import ConfigError

if TYPE_CHECKING:
    from optuna.storages import BaseStorage

__all__ = ["DEFAULT_STORAGE", "make_storage"]


def _optuna():
    import optuna

    return optuna


def _check_sqlite_exists(url: str) -> None:
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        path = Path(url[len("sqlite:///") :])
        if not path.exists():
            raise ConfigError(f"{path}: no such Optuna SQLite storage (from {url!r})")


def make_storage(
    url: str | BaseStorage | None = None,
    *,
    heartbeat_interval: int | None = 60,
    grace_period: int | None = None,
    max_retry: int | None = 3,
    must_exist: bool = False,
) -> BaseStorage:
    """Build an Optuna ``RDBStorage`` with heartbeats and retry of dead trials.

    Parameters
    ----------
    url : str or optuna.storages.BaseStorage, optional
        SQLAlchemy URL; default :data:`DEFAULT_STORAGE`.  A storage object is
        returned as it is (its own heartbeat settings apply; the options
        below are then ignored).
    heartbeat_interval : int or None, default=60
        Seconds between heartbeats of a running trial; None disables crash recovery.
    grace_period : int, optional
        Seconds without heartbeat after which a trial counts as dead
        (Optuna's default: ``2 * heartbeat_interval``).
    max_retry : int or None, default=3
        How many times a dead trial is re-enqueued with the same parameters.
    must_exist : bool, default=False
        For reading: refuse to create a new SQLite file.

    Returns
    -------
    optuna.storages.BaseStorage
        An ``RDBStorage`` for a URL, else the object passed.
    """
    optuna = _optuna()
    if isinstance(url, optuna.storages.BaseStorage):
        return url
    if url is not None and not isinstance(url, str):
        raise ConfigError(f"storage must be an SQLAlchemy URL or an Optuna storage, got {type(url).__name__}")
    url = url or DEFAULT_STORAGE
    if must_exist:
        _check_sqlite_exists(url)
    engine_kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        # Several local workers share one file: wait for the write lock instead
        # of failing with "database is locked".
        engine_kwargs["connect_args"] = {"timeout": 120}
    else:
        engine_kwargs["pool_pre_ping"] = True
    kwargs: dict[str, Any] = {}
    if heartbeat_interval is not None:
        kwargs["heartbeat_interval"] = int(heartbeat_interval)
        kwargs["grace_period"] = None if grace_period is None else int(grace_period)
        retry_cls = getattr(optuna.storages, "RetryHeartbeatStaleTrialCallback", None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ExperimentalWarning
            if retry_cls is not None:  # optuna >= 4.9
                kwargs["heartbeat_stale_trial_callback"] = retry_cls(max_retry=max_retry)
            else:  # pragma: no cover - older optuna
                kwargs["failed_trial_callback"] = optuna.storages.RetryFailedTrialCallback(max_retry=max_retry)
    from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

    for attempt in range(5):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # heartbeat_interval is "experimental"
                return optuna.storages.RDBStorage(url, engine_kwargs=engine_kwargs, **kwargs)
        except (IntegrityError, ProgrammingError):
            # Workers started together on an empty PostgreSQL database race to
            # create Optuna's tables (duplicate type/table); the loser retries
            # and finds them made.
            if attempt == 4:
                raise
            time.sleep(0.5 * (attempt + 1))
        except ImportError as exc:
            raise ConfigError(mask_secrets(f"storage {url!r}: database driver missing ({exc})")) from None
        except OperationalError as exc:
            if "already exists" in str(exc) and attempt < 4:  # the same race on SQLite
                time.sleep(0.5 * (attempt + 1))
                continue
            raise ConfigError(mask_secrets(f"storage {url!r}: cannot open ({type(exc).__name__}: {exc})")) from None
        except Exception as exc:  # sqlalchemy ArgumentError / OperationalError: bad URL, server down
            raise ConfigError(mask_secrets(f"storage {url!r}: cannot open ({type(exc).__name__}: {exc})")) from None
    raise AssertionError("unreachable")  # pragma: no cover
