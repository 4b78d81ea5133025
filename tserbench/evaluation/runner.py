"""The cross-validation runner: models x repeats x folds, resumable, parallel.

The runner orchestrates and nothing else: it resolves the models (the
registry, :func:`tserbench.regressors._registry.resolve_models`), loads the
data, splits it, hands the jobs that are not done yet to an execution engine
(:mod:`tserbench.evaluation._engines`: this process, local loky workers or a
dask cluster) and writes each result as it comes back.  One job
(:func:`~tserbench.evaluation._job.run_job`) fits and scores one (model,
repeat, fold).  Jobs receive the data as arrays (sent once per worker), so
workers on other machines need tserbench installed but no data home.  Only
the calling process writes the result store
(:class:`~tserbench.evaluation.store.ResultStore`): workers need not share
its file system, and a job is written as soon as it finishes, so an
interrupted run resumes where it stopped.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from tserbench import __version__
from tserbench._io import atomic_write_json
from tserbench._renamed import renamed_keyword
from tserbench._secrets import mask_secrets
from tserbench.environment import environment
from tserbench.evaluation._cv_object import SplitterOfObject, check_cv
from tserbench.evaluation._engines import execute
from tserbench.evaluation._job import JobResult, held_out_twin, run_job, selection_of
from tserbench.evaluation._progress import Reporter
from tserbench.evaluation._seeding import job_seed
from tserbench.evaluation.data import (
    TARGET_ERROR_COLUMNS,
    VARIANTS,
    BenchmarkData,
    load_benchmark_data,
    panel_settings,
)
from tserbench.evaluation.result import BenchmarkResult
from tserbench.evaluation.splitters import make_splitter, parse_folds
from tserbench.evaluation.store import ResultStore
from tserbench.exceptions import ConfigError
from tserbench.regressors._registry import (
    apply_dataset_defaults,
    class_defaults,
    params_record,
    resolve_models,
)

__all__ = [
    "BenchmarkData",
    "BenchmarkResult",
    "JobResult",
    "load_benchmark_data",
    "job_seed",
    "run_job",
    "run_benchmark",
    "resolve_models",
    "TARGET_ERROR_COLUMNS",
    "VARIANTS",
]


class _DefaultFolds(str):
    """The default of ``folds``, told apart from a ``folds`` the caller gave (refused with ``cv``)."""


_PREDEFINED = _DefaultFolds("predefined")


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


@renamed_keyword("seed", "random_state")
def run_benchmark(
    dataset,
    models,
    *,
    variant: str = "full",
    folds: str | None = _PREDEFINED,
    cv=None,
    random_state: int = 0,
    out: str | os.PathLike | None = None,
    n_jobs: int = 1,
    scheduler=None,
    params: Mapping[str, Mapping] | None = None,
    dataset_params: Mapping | None = None,
    save_models: bool = False,
    progress: bool = True,
    command: str | None = None,
    also_held_out: bool = False,
    checkpoint_every: int | None = 10,
) -> BenchmarkResult:
    """Cross-validate ``models`` on ``dataset`` and write the result store.

    Parameters
    ----------
    dataset : str or dataset object
        Registry name (``rrab-synthetic``, ``rrab-gaia-dg22``, ``tecator``,
        ``covid3month``) or an sktime dataset object.
    models : str, sequence or mapping
        See :func:`resolve_models`.
    variant : {"full", "spline", "raw"}, default="full"
        Preprocessing variant of the RRab datasets.
    folds : str or None, default="predefined"
        ``"predefined"`` (the dataset's own folds) or ``"KxR"`` (e.g.
        ``"5x2"``: :class:`RepeatedStratifiedRegressionKFold` with K folds,
        R repeats, strata of 20, shuffled with ``random_state``), ``"fixed"`` (the
        dataset's own train/test split) or ``"resamples:N"`` (tsml-eval's
        resamples of it, :class:`~tserbench.evaluation.splitters.ArchiveResamples`;
        the estimator of resample ``r`` gets ``random_state=r``).  None: the
        dataset's folds if it has some, else ``"5x1"``.
    cv : splitter object, optional
        Instead of ``folds``: any object with ``split(X, y)``, e.g.
        ``KFold(5, shuffle=True, random_state=0)``, ``RepeatedKFold`` or one of
        :mod:`tserbench.evaluation.splitters`.  A shuffling splitter needs an
        integer ``random_state`` of its own (this function's does not seed it).  The store
        records ``repr(cv)`` as the run's protocol, so resuming with another
        splitter is refused.  Giving both ``folds`` and ``cv`` is refused.
    random_state : int, default=0
        Seed of the fold shuffles and, through :func:`job_seed`, of every
        model; recorded as run.json's ``seed`` (``tserbench run --seed``).
        ``seed=`` is its deprecated old name: still accepted, with a
        :class:`FutureWarning`.
    out : path, optional
        Result folder; default ``results/<dataset>``.
    n_jobs : int, default=1
        Local worker processes (joblib/loky; -1 = all cores).  Ignored with ``scheduler``.
    scheduler : str or dask.distributed.Client, optional
        Dask scheduler address (``"tcp://HOST:PORT"``): jobs run on its workers.
    params : mapping, optional
        ``{model: {param: value}}`` hyper-parameters.
    dataset_params : mapping, optional
        Extra dataset parameters (e.g. ``{"n_stars": 300}``).
    save_models : bool, default=False
        Keep each fitted fold model under ``OUT/<model>/models/r<R>_f<F>/``
        and, once all folds are done, the fold ensemble in ``OUT/<model>/models/``
        (model directories of :mod:`tserbench.regressors._saved`).
    progress : bool, default=True
        Report progress (rich bar on a terminal, plain lines otherwise).
    command : str, optional
        Command line to record in run.json.
    also_held_out : bool, default=False
        For each deep model with ``selection="inner"``, also record the
        papers' selection from the same training runs: the epoch with the
        lowest loss on the CV test fold itself, as a row named
        ``<model>.held-out`` (selection ``held-out``: optimistic, never
        ranked as honest).  The inner row is unchanged by it.
    checkpoint_every : int or None, default=10
        Deep regressors checkpoint each fold's fit every this many epochs
        under ``OUT/.checkpoints/``; a run killed mid-fold then loses at most
        that many epochs of the folds in progress (the resumed fold is the
        same protocol, not bit-identical: see
        :mod:`tserbench.regressors._checkpoint`).  None: no checkpoints.

    Returns
    -------
    BenchmarkResult
        The result folder: a :class:`pathlib.Path` with
        :meth:`~BenchmarkResult.to_frame` (the leaderboard table) and
        :meth:`~BenchmarkResult.leaderboard`.
    """
    started = _now()
    t_start = time.perf_counter()
    if cv is not None:
        if folds is not _PREDEFINED:
            raise ConfigError(f"give folds={folds!r} or cv={cv!r}, not both")
        check_cv(cv)
    elif folds is not None:
        parse_folds(folds)  # fail on a bad spec before loading anything
    if not isinstance(random_state, (int, np.integer)) or isinstance(random_state, bool) or random_state < 0:
        raise ConfigError(f"random_state (--seed) must be an integer >= 0, got {random_state!r}")
    if scheduler is None and (not isinstance(n_jobs, (int, np.integer)) or n_jobs == 0):
        raise ConfigError(f"n_jobs must be a non-zero int, got {n_jobs!r}")
    if checkpoint_every is not None and (isinstance(checkpoint_every, bool)
                                         or not isinstance(checkpoint_every, (int, np.integer)) or checkpoint_every < 1):
        raise ConfigError(f"checkpoint_every must be a positive number of epochs or None, got {checkpoint_every!r}")
    resolved = resolve_models(models, params)
    data = load_benchmark_data(dataset, variant=variant, dataset_params=dataset_params)
    resolved = apply_dataset_defaults(resolved, data.model_defaults, params or {})
    if cv is not None:
        splitter = SplitterOfObject(cv)
    else:
        splitter = make_splitter(str(folds) if folds is not None else None, folds=data.folds,
                                 random_state=int(random_state), dataset=repr(data.name), test_mask=data.test_mask)
    seed_by_repeat = bool(getattr(splitter, "seeds_estimator_by_repeat", False))
    splits = list(splitter.split_with_repeat(data.X, data.y))

    out = _result_folder(out, data.name)
    store = ResultStore(out)
    run_info = {
        "dataset": data.name,
        "dataset_params": data.params,
        "variant": data.variant,
        "protocol": splitter.protocol,
        "seed": int(random_state),  # the file format's name (RUN_IDENTITY_KEYS): not renamed
        "n_instances": len(data),
        "n_splits": len(splits),
        # recorded for publication: a storage URL's password never is
        "command": mask_secrets(command if command is not None else " ".join(sys.argv)),
        "started": started,
        "tserbench_version": __version__,
        "python": platform.python_version(),
        "host": platform.node(),
        "environment": environment(),
    }
    if hasattr(splitter, "bin_size"):
        run_info["bin_size"] = splitter.bin_size
    if seed_by_repeat:
        run_info["estimator_seed"] = "the resample number (tsml-eval's convention)"
    with store.writer():  # one writer per store: a second run is refused before it writes anything
        store.remove_stale_temp_files()  # half-written files of a killed run (never read: no valid name)
        # refuse a run that would mix results before anything is written (run.json, params.json)
        store.check_run(run_info)
        for name, est in resolved:
            store.check_params(name, params_record(est), defaults=class_defaults(est))
        run = store.init_run(run_info)
        model_names = list(run.get("models", []))
        twins = dict(run.get("held_out_twins") or {})  # twin row -> the model whose runs it comes from
        for name, est in resolved:
            params = params_record(est)
            store.write_params(name, params, defaults=class_defaults(est))
            names = [name]
            if also_held_out and hasattr(est, "fit_with_held_out") and selection_of(est) == "inner":
                twin = held_out_twin(name)
                store.write_params(twin, {**params, "selection": "held-out"}, defaults=class_defaults(est))
                twins[twin] = name
                names.append(twin)
            for n in names:
                if n not in model_names:
                    model_names.append(n)
        run["models"] = model_names
        if twins:
            run["held_out_twins"] = twins
        atomic_write_json(store.run_path, run)

        # fold-major order: models alternate, so the ETA (mean job time so far) is
        # not fooled by a run of fast classical jobs before the slow deep ones
        tasks, skipped = [], 0
        twin_of = {base: twin for twin, base in twins.items()} if also_held_out else {}
        for repeat, fold, train, test in splits:
            for name, est in resolved:
                done = store.is_done(name, repeat, fold)
                if name in twin_of:  # both rows come from one run: done only when both are written
                    done = done and store.is_done(twin_of[name], repeat, fold)
                if done:
                    skipped += 1
                else:
                    tasks.append((name, est, repeat, fold, train, test))

        where = f"dask {mask_secrets(scheduler)}" if scheduler else f"n_jobs {n_jobs}"
        header = (f"run: {data.name} ({len(data)} instances, {splitter.protocol}), "
                  f"models {', '.join(n for n, _ in resolved)}, {len(splits)} split(s) each, {where}, out {out}")
        reporter = Reporter(len(tasks), skipped, progress, header=header, models=[t[0] for t in tasks])
        try:
            for result in execute(
                run_job, tasks, data, random_state=int(random_state), n_jobs=int(n_jobs), scheduler=scheduler, return_estimator=save_models,
                also_held_out=also_held_out, seed_by_repeat=seed_by_repeat,
                checkpoint=None if checkpoint_every is None else (str(store.out.resolve() / ".checkpoints"), int(checkpoint_every)),
            ):
                if save_models:
                    _save_model(store, data, result)
                for twin in result.twins:  # written first: the base job's file marks the pair done
                    store.write_job(twin.model, twin.repeat, twin.fold, twin.record, twin.oof)
                store.write_job(result.model, result.repeat, result.fold, result.record, result.oof)
                reporter.job_done(result)
        finally:
            reporter.close()

        if save_models:
            for name, _ in resolved:
                _save_ensemble(store, data, name, [(r, f) for r, f, _, _ in splits])
        run = store.read_run() or run
        run["finished"] = _now()
        run["wall_seconds"] = float(run.get("wall_seconds") or 0.0) + (time.perf_counter() - t_start)
        atomic_write_json(store.run_path, run)
    return BenchmarkResult(out)


def _result_folder(out, dataset: str) -> Path:
    """The result folder, created: a given one needs an existing parent (no folders made at random places)."""
    if out is None:
        path = Path("results") / dataset  # the default: results/ is made here if need be
    else:
        path = Path(out)
        if not path.parent.is_dir():
            raise ConfigError(f"--out {path}: its parent folder {path.parent} does not exist (create it first)")
    if path.exists() and not path.is_dir():
        raise ConfigError(f"--out {path}: a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"--out {path}: cannot create the folder ({exc.strerror or exc})") from None
    if not os.access(path, os.W_OK):
        raise ConfigError(f"--out {path}: the folder is not writable")
    return path


def _preprocessing(data: BenchmarkData) -> dict:
    """How ``data``'s panel was made (the dataset's settings), as a saved model's manifest records it."""
    pre = data.preprocessing or panel_settings(None, data.variant)
    return {"variant": pre["variant"], "n_grid": int(pre["n_grid"]), "max_len": int(pre["max_len"])}


def _save_model(store: ResultStore, data: BenchmarkData, result: JobResult) -> None:
    """Keep one fitted fold model in the saved-model format (:mod:`tserbench.regressors._saved`)."""
    from tserbench.regressors._saved import save_model_dir

    save_model_dir(
        store.model_dir(result.model) / "models" / f"r{result.repeat}_f{result.fold}",
        [result.estimator],
        **_preprocessing(data),
        model_name=result.model,
        dataset=data.name,
        extra={"repeat": result.repeat, "fold": result.fold, "val": result.record["metrics"]["val"]},
    )


def _save_ensemble(store: ResultStore, data: BenchmarkData, model: str, jobs: list[tuple[int, int]]) -> None:
    """Gather the fold models of ``model`` into one model directory ``OUT/<model>/models/``."""
    from tserbench.regressors._saved import save_fold_ensemble

    save_fold_ensemble(store.model_dir(model) / "models", [f"r{r}_f{f}" for r, f in jobs], **_preprocessing(data),
                       model_name=model, dataset=data.name)
