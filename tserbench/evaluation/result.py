"""What :func:`~tserbench.evaluation.run_benchmark` returns: the result folder, with its table.

:class:`BenchmarkResult` *is* the result folder (a :class:`pathlib.Path`, so
code that used the returned path keeps working) and adds what a notebook
user asks of a run: the leaderboard table (:meth:`~BenchmarkResult.to_frame`)
and the leaderboard itself (:meth:`~BenchmarkResult.leaderboard`), without
opening private modules.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from tserbench.evaluation.store import ResultStore

__all__ = ["BenchmarkResult"]


# the concrete class (PosixPath or WindowsPath): Path itself cannot be subclassed before Python 3.12
class BenchmarkResult(type(Path())):
    """The result folder of a benchmark run, as a :class:`pathlib.Path`.

    Parameters
    ----------
    *segments : str or path-like
        The folder, as for :class:`pathlib.Path`.

    Notes
    -----
    Every ``Path`` method works on it (``result / "run.json"``,
    ``os.fspath(result)``); a path derived from it is a ``BenchmarkResult``
    too on Python 3.11, a plain path from 3.12 on.  The leaderboard methods
    import :mod:`tserbench.leaderboard` when they are called: a run imports
    no leaderboard code.

    Examples
    --------
    >>> from tserbench.evaluation import run_benchmark  # doctest: +SKIP
    >>> result = run_benchmark("rrab-synthetic", ["fourier-linear"], folds="5x1",  # doctest: +SKIP
    ...                        dataset_params={"n_stars": 200})
    >>> result.to_frame()[["rank", "model", "val_rmse"]]  # doctest: +SKIP
    >>> lb = result.leaderboard(result / "leaderboard")  # doctest: +SKIP
    """

    def with_segments(self, *segments) -> Path:  # Python >= 3.12: derived paths are plain paths
        return Path(*segments)

    @property
    def store(self) -> ResultStore:
        """The :class:`~tserbench.evaluation.store.ResultStore` of the folder."""
        from tserbench.evaluation.store import ResultStore

        return ResultStore(self)

    def leaderboard(self, out_dir: str | os.PathLike | None = None, *, name: str | None = None):
        """Aggregate the run into its leaderboard; write its files when ``out_dir`` is given.

        Parameters
        ----------
        out_dir : str or path-like, optional
            Folder for ``leaderboard.{md,csv,json,html}``, ``oof/`` and
            ``figures/`` (as ``tserbench leaderboard -o``); None writes nothing.
        name : str, optional
            Title of the written leaderboard (default: as
            :func:`~tserbench.leaderboard.build_leaderboard`).

        Returns
        -------
        tserbench.leaderboard._build.Leaderboard
            Its ``rows`` (and ``doc``, the content of ``leaderboard.json``),
            ``oof`` and ``histories``.
        """
        from tserbench.leaderboard import collect, write_leaderboard

        command = None  # what leaderboard.json records as having made it: the equivalent command line
        if out_dir is not None:
            command = shlex.join(["tserbench", "leaderboard", str(self), "-o", str(out_dir),
                                  *(["--name", name] if name else [])])
        lb = collect(Path(self), generated_by=command)
        if out_dir is not None:
            write_leaderboard(lb, out_dir, name=name)
        return lb

    def to_frame(self) -> pd.DataFrame:
        """One row per leaderboard row (harness models and baselines), as ``leaderboard.csv``.

        Returns
        -------
        pandas.DataFrame
            Columns ``rank, model, selection, kind, dataset, protocol, variant,
            n_folds``, then ``val_<metric>`` (pooled out-of-fold),
            ``val_<metric>_mean`` / ``_std`` (over folds), ``train_<metric>``,
            the paired comparisons with the published predictions where there
            are some, ``wall_seconds``, ``command`` and ``note``.
        """
        from tserbench.leaderboard import to_frame

        return to_frame(self.leaderboard())
