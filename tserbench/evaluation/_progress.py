"""Progress of a benchmark run: a rich bar on a terminal, plain lines otherwise.

The ETA is measured, not counted: each remaining job is expected to take the
mean fit time of its model's finished jobs (the mean over all models for one
not seen yet), and the sum is divided by the parallelism seen so far (fit
seconds per wall second), so a run of fast classical jobs does not promise an
early end to the slow deep ones.  On a terminal it counts down between jobs.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

__all__ = ["Reporter"]


class Reporter:
    """Report finished jobs: a rich progress bar on a terminal, one plain line per job otherwise.

    Parameters
    ----------
    total : int
        Jobs to run.
    skipped : int
        Jobs already done (resumed run); reported once.
    enabled : bool
        False: report nothing.
    stream : file-like, optional
        Where to write (default ``sys.stdout``); the bar is used only if it is a TTY.
    header : str, optional
        What will run (dataset, models, workers, folder), printed at once, with
        "fresh" or the resumed jobs appended.
    models : sequence of str, optional
        The model of each job to run, in order; the ETA then uses per-model
        durations (without it, the mean over all jobs).
    """

    def __init__(self, total: int, skipped: int, enabled: bool, stream=None, *, header: str | None = None,
                 models: Sequence[str] | None = None):
        self.total = total
        self.done = 0
        self.enabled = enabled
        self.stream = stream or sys.stdout
        self.t0 = time.perf_counter()
        self._rich = None
        self._task = None
        self._pending: list[str] = list(models) if models is not None else []
        self._fit_seconds: dict[str, list[float]] = {}
        self.finish_at: float | None = None  # time.perf_counter() at which the run is expected to end
        if enabled:
            state = f"resuming: {skipped} finished job(s) kept, {total} to run" if skipped else f"fresh: {total} job(s) to run"
            if header or skipped:
                self._line(f"{header}; {state}" if header else state)
        if enabled and total and getattr(self.stream, "isatty", lambda: False)():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self._rich = Progress(
                SpinnerColumn(),
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                _countdown_column(self),
                console=Console(file=self.stream),
                transient=False,
            )
            self._rich.start()
            self._task = self._rich.add_task("cross-validation", total=total)

    def _line(self, text: str) -> None:
        if self._rich is not None:
            self._rich.console.print(text, highlight=False, markup=False)
        else:
            print(text, file=self.stream, flush=True)

    def job_done(self, result) -> None:
        """Report one finished :class:`~tserbench.evaluation.runner.JobResult`."""
        self.done += 1
        if not self.enabled:
            return
        rec = result.record
        val = rec["metrics"]["val"]
        epochs = f", {rec['epochs']} epochs" if rec.get("epochs") is not None else ""
        if rec.get("resumed_from_epoch"):
            epochs += f", resumed from epoch {rec['resumed_from_epoch']}"
        if rec.get("checkpoint_ignored"):
            epochs += f"; checkpoint {rec['checkpoint_ignored']}"
        eta = self._eta(result.model, float(rec.get("fit_seconds") or 0.0))
        width = len(str(self.total))
        text = (
            f"[{self.done:>{width}}/{self.total}] {result.model} r{result.repeat} f{result.fold}: "
            f"fold RMSE {val['rmse']:.4f} MAE {val['mae']:.4f} R² {val['r2']:.4f} "
            f"(fit {rec['fit_seconds']:.1f} s{epochs})"
        )
        if self._rich is None:
            text += f"  ETA {_fmt_seconds(eta)}"
        self._line(text)
        if self._rich is not None:
            self._rich.update(self._task, advance=1, description=f"cross-validation (last: {result.model} r{result.repeat} f{result.fold}{epochs})")

    def _eta(self, model: str, fit_seconds: float) -> float:
        """Seconds left: the remaining jobs' expected fit time over the parallelism measured so far."""
        now = time.perf_counter()
        self._fit_seconds.setdefault(model, []).append(fit_seconds)
        if model in self._pending:
            self._pending.remove(model)  # jobs finish out of order under parallelism
        remaining = self.total - self.done
        every = [s for times in self._fit_seconds.values() for s in times]
        overall = sum(every) / len(every)
        if self._pending:
            work = sum(sum(self._fit_seconds[m]) / len(self._fit_seconds[m]) if m in self._fit_seconds else overall
                       for m in self._pending[:remaining])
        else:
            work = overall * remaining
        parallelism = max(sum(every) / max(now - self.t0, 1e-9), 1e-3)
        eta = work / parallelism if sum(every) > 0 else (now - self.t0) / self.done * remaining
        self.finish_at = now + eta
        return eta

    def close(self) -> None:
        """Stop the bar (idempotent)."""
        if self._rich is not None:
            self._rich.stop()
            self._rich = None


def _fmt_seconds(s: float) -> str:
    s = int(round(s))
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


def _countdown_column(reporter: Reporter):
    from rich.progress import ProgressColumn
    from rich.text import Text

    class Countdown(ProgressColumn):
        """Time to the measured finish, counting down between jobs (rich redraws it)."""

        def render(self, task) -> Text:
            if reporter.finish_at is None:
                return Text("-:--:--", style="progress.remaining")
            left = max(0.0, reporter.finish_at - time.perf_counter())
            return Text(_fmt_seconds(left), style="progress.remaining")

    return Countdown()

