"""The result store: one folder per benchmark run, one file pair per job.

Layout (docs/architecture.md)::

    OUT/run.json                          dataset, variant, protocol, seed, command, version
    OUT/<model>/params.json               the exact hyper-parameters used
    OUT/<model>/r<repeat>_f<fold>.oof.csv source_id,repeat,fold,y_true,y_pred (validation stars)
    OUT/<model>/r<repeat>_f<fold>.json    metrics, fit seconds, epochs, history -- written last

Every file is written atomically (:mod:`tserbench._io`: a dot-prefixed tmp
file in the same folder, then ``os.replace``), and the job's ``.json`` is
written after its ``.oof.csv``: a job is done iff its ``.json`` exists.
Readers only look at ``r<R>_f<F>.json`` names, so a dangling tmp file left by
a killed run is never read, and an ``.oof.csv`` without its ``.json`` is
ignored (the job is simply re-run).
"""

from __future__ import annotations

import json
import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from tserbench._io import atomic_write_csv, atomic_write_json
from tserbench.exceptions import ConfigError, DataError

__all__ = ["ResultStore", "OOF_COLUMNS", "RUN_IDENTITY_KEYS"]

#: Columns of an ``.oof.csv`` file, in order.
OOF_COLUMNS: tuple[str, ...] = ("source_id", "repeat", "fold", "y_true", "y_pred")

#: Keys of run.json that define a run: results are never mixed across them.
RUN_IDENTITY_KEYS: tuple[str, ...] = ("dataset", "dataset_params", "variant", "protocol", "seed")

_JOB = re.compile(r"^r(\d+)_f(\d+)\.json$")
_MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")


def _jsonable(obj: Any) -> Any:
    """Round-trip through JSON so comparisons see what the file will hold."""
    from tserbench._io import _json_default

    return json.loads(json.dumps(obj, default=_json_default))


def _identity(run: dict) -> dict:
    """The :data:`RUN_IDENTITY_KEYS` of a run record, its dataset parameters under their current names.

    A store recorded before a dataset parameter was renamed (rrab-synthetic's
    ``seed``, now ``random_state``) keeps the old name in its run.json: the
    file is a format and is not rewritten; the comparison maps the name.
    """
    from tserbench.datasets import upgrade_params

    identity = {key: run.get(key) for key in RUN_IDENTITY_KEYS}
    if isinstance(identity["dataset_params"], dict):
        identity["dataset_params"] = upgrade_params(identity["dataset"], identity["dataset_params"])
    return identity


class ResultStore:
    """Read and write the result store of one benchmark run.

    Parameters
    ----------
    out : str or path-like
        The run folder (``OUT``).
    """

    def __init__(self, out: str | os.PathLike):
        self.out = Path(out)

    # -- paths --------------------------------------------------------------
    @property
    def run_path(self) -> Path:
        """``OUT/run.json``."""
        return self.out / "run.json"

    def model_dir(self, model: str) -> Path:
        """``OUT/<model>``; the name must be a safe folder name."""
        if not isinstance(model, str) or not _MODEL_NAME.match(model):
            raise ConfigError(
                f"model name {model!r} cannot name a result folder (use letters, digits, '_', '-', '.', '+')"
            )
        return self.out / model

    def job_path(self, model: str, repeat: int, fold: int, suffix: str = ".json") -> Path:
        """``OUT/<model>/r<repeat>_f<fold><suffix>``."""
        return self.model_dir(model) / f"r{int(repeat)}_f{int(fold)}{suffix}"

    # -- one writer -----------------------------------------------------------
    @contextmanager
    def writer(self):
        """Hold the store's lock (``OUT/.lock``, an OS file lock) while writing it.

        A second run on the same folder is refused at once, before it writes
        anything; the lock goes with the process that holds it, so a killed
        run leaves none behind.

        Raises
        ------
        ConfigError
            If another process holds the lock.
        """
        from filelock import FileLock, Timeout

        self.out.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.out / ".lock"), timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise ConfigError(
                f"{self.out} is being written by another tserbench run; wait for it to finish, "
                "or give this run another --out folder"
            ) from None
        try:
            yield self
        finally:
            lock.release()

    def remove_stale_temp_files(self) -> int:
        """Delete the temp files that a killed writer left (``.<name>.*.tmp``); call with :meth:`writer` held.

        Returns
        -------
        int
            How many were removed.
        """
        stale = [p for p in self.out.rglob(".*.tmp") if p.is_file()]
        for path in stale:
            path.unlink(missing_ok=True)
        return len(stale)

    # -- run.json -----------------------------------------------------------
    def read_run(self) -> dict | None:
        """Return run.json as a dict, or None if the run has not started."""
        if not self.run_path.exists():
            return None
        return self._read_json(self.run_path)

    def check_run(self, info: dict) -> None:
        """Raise :class:`ConfigError` if :meth:`init_run` would refuse ``info`` (writes nothing)."""
        existing = self.read_run()
        if existing is None:
            return
        there, asked = _identity(existing), _identity(_jsonable(info))
        diffs = [f"{key}: {there[key]!r} there, {asked[key]!r} requested" for key in RUN_IDENTITY_KEYS
                 if there[key] != asked[key]]
        if diffs:
            raise ConfigError(
                f"{self.run_path} belongs to another run ({'; '.join(diffs)}); "
                "choose another --out folder rather than mixing results"
            )

    def init_run(self, info: dict) -> dict:
        """Create run.json, or check that an existing one describes the same run.

        Parameters
        ----------
        info : dict
            Must hold :data:`RUN_IDENTITY_KEYS`; any other keys (command,
            version, ...) are recorded when the run is created.

        Returns
        -------
        dict
            The run.json content now on disk.

        Raises
        ------
        ConfigError
            If ``OUT/run.json`` exists for a different dataset, variant,
            protocol, seed or dataset parameters.
        """
        self.check_run(info)
        info = _jsonable(info)
        existing = self.read_run()
        if existing is None:
            atomic_write_json(self.run_path, info)
            return info
        resumed = list(existing.get("resumed_by", []))
        resumed.append({k: info.get(k) for k in ("command", "started", "environment") if k in info})
        existing["resumed_by"] = resumed
        atomic_write_json(self.run_path, existing)
        return existing

    # -- params.json --------------------------------------------------------
    def write_params(self, model: str, params: dict, defaults: dict | None = None) -> None:
        """Write ``OUT/<model>/params.json``; refuse to change it once jobs exist.

        Parameters
        ----------
        model : str
            The model's name in this run.
        params : dict
            Its parameters.
        defaults : dict, optional
            The class defaults.  A parameter missing from an existing
            ``params.json`` but requested at its default is not a change: a
            newer tserbench added it, and the jobs ran with that behaviour.

        Raises
        ------
        ConfigError
            If the model already has finished jobs run with other parameters.
        """
        self.check_params(model, params, defaults)
        path = self.model_dir(model) / "params.json"
        params = _jsonable(params)
        atomic_write_json(path, params)

    def check_params(self, model: str, params: dict, defaults: dict | None = None) -> None:
        """Raise :class:`ConfigError` if :meth:`write_params` would refuse ``params`` (writes nothing)."""
        path = self.model_dir(model) / "params.json"
        params = _jsonable(params)
        defaults = _jsonable(defaults or {})
        if not path.exists():
            return
        old = self._read_json(path)
        changed = sorted(
            k for k in set(old) | set(params)
            if old.get(k) != params.get(k)
            and not (k not in old and k in defaults and params.get(k) == defaults[k])
        )
        if changed and self.read_jobs(model):
            raise ConfigError(
                f"{path}: model {model!r} already has results with other parameters "
                f"({', '.join(changed)}); use another --out folder"
            )

    def read_params(self, model: str) -> dict | None:
        """Return ``OUT/<model>/params.json``, or None."""
        path = self.model_dir(model) / "params.json"
        return self._read_json(path) if path.exists() else None

    # -- jobs ---------------------------------------------------------------
    def is_done(self, model: str, repeat: int, fold: int) -> bool:
        """True iff the job's ``.json`` exists (it is written last)."""
        return self.job_path(model, repeat, fold).exists()

    def write_job(self, model: str, repeat: int, fold: int, record: dict, oof: pd.DataFrame) -> Path:
        """Write one job: the ``.oof.csv`` first, then the ``.json`` (the done marker).

        Parameters
        ----------
        model : str
        repeat, fold : int
        record : dict
            JSON-serialisable job record (metrics, timings, history, ...).
        oof : pandas.DataFrame
            The validation stars' predictions, columns :data:`OOF_COLUMNS`.

        Returns
        -------
        pathlib.Path
            The job's ``.json`` path.
        """
        missing = [c for c in OOF_COLUMNS if c not in oof.columns]
        if missing:
            raise ValueError(f"oof frame lacks columns {missing}")
        frame = oof.loc[:, list(OOF_COLUMNS)].copy()
        frame["source_id"] = frame["source_id"].astype("int64")
        atomic_write_csv(self.job_path(model, repeat, fold, ".oof.csv"), frame)
        return atomic_write_json(self.job_path(model, repeat, fold), record)

    def _job_files(self, model: str) -> list[tuple[int, int, Path]]:
        folder = self.model_dir(model)
        if not folder.is_dir():
            return []
        found = []
        for path in folder.iterdir():
            match = _JOB.match(path.name)  # dot-prefixed tmp files never match
            if match:
                found.append((int(match.group(1)), int(match.group(2)), path))
        return sorted(found)

    def done_jobs(self, model: str) -> list[tuple[int, int]]:
        """``(repeat, fold)`` of every finished job of ``model``, sorted."""
        return [(r, f) for r, f, _ in self._job_files(model)]

    def read_jobs(self, model: str) -> list[dict]:
        """Return the records of every finished job of ``model``, sorted by (repeat, fold)."""
        records = []
        for _, _, path in self._job_files(model):
            record = self._read_json(path)
            if not isinstance(record, dict):  # e.g. a file holding [] : damaged, not a job record
                raise DataError(f"not a job record (a JSON {type(record).__name__}, expected an object)", path=path)
            records.append(record)
        return records

    def read_oof(self, model: str) -> pd.DataFrame:
        """Concatenate the out-of-fold predictions of every finished job.

        Returns
        -------
        pandas.DataFrame
            Columns ``source_id`` (int64), ``repeat``, ``fold`` (int64),
            ``y_true``, ``y_pred`` (float64), sorted by repeat and fold.
        """
        frames = []
        for repeat, fold, path in self._job_files(model):
            csv = path.with_name(f"r{repeat}_f{fold}.oof.csv")
            try:
                frame = pd.read_csv(
                    csv,
                    dtype={"source_id": "int64", "repeat": "int64", "fold": "int64",
                           "y_true": "float64", "y_pred": "float64"},
                )
            except FileNotFoundError as exc:
                raise DataError("job is marked done but its .oof.csv is missing", path=csv) from exc
            except (ValueError, pd.errors.ParserError) as exc:
                raise DataError(f"unreadable out-of-fold file ({exc})", path=csv) from exc
            frames.append(frame)
        if not frames:
            return pd.DataFrame({
                "source_id": pd.Series(dtype="int64"), "repeat": pd.Series(dtype="int64"),
                "fold": pd.Series(dtype="int64"), "y_true": pd.Series(dtype="float64"),
                "y_pred": pd.Series(dtype="float64"),
            })
        return pd.concat(frames, ignore_index=True)

    def models(self) -> list[str]:
        """Names of the models with a ``params.json`` in this run, sorted."""
        if not self.out.is_dir():
            return []
        return sorted(p.parent.name for p in self.out.glob("*/params.json"))

    @staticmethod
    def _read_json(path: Path) -> dict:
        try:
            with open(path, encoding="utf-8") as fh:
                return json.load(fh)
        except json.JSONDecodeError as exc:
            raise DataError(f"not valid JSON ({exc})", path=path) from exc
