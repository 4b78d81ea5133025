"""Progress of a benchmark run: a rich bar on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
import time

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
    """

    def __init__(self, total: int, skipped: int, enabled: bool, stream=None):
        self.total = total
        self.done = 0
        self.enabled = enabled
        self.stream = stream or sys.stdout
        self.t0 = time.perf_counter()
        self._rich = None
        self._task = None
        if enabled and skipped:
            self._line(f"resuming: {skipped} finished job(s) kept, {total} to run")
        if enabled and total and getattr(self.stream, "isatty", lambda: False)():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._rich = Progress(
                SpinnerColumn(),
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
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
        elapsed = time.perf_counter() - self.t0
        eta = elapsed / self.done * (self.total - self.done)
        width = len(str(self.total))
        text = (
            f"[{self.done:>{width}}/{self.total}] {result.model} r{result.repeat} f{result.fold}: "
            f"val RMSE {val['rmse']:.4f} MAE {val['mae']:.4f} R2 {val['r2']:.4f} "
            f"(fit {rec['fit_seconds']:.1f} s{epochs})"
        )
        if self._rich is None:
            text += f"  ETA {_fmt_seconds(eta)}"
        self._line(text)
        if self._rich is not None:
            self._rich.update(self._task, advance=1, description=f"cross-validation (last: {result.model} r{result.repeat} f{result.fold}{epochs})")

    def close(self) -> None:
        """Stop the bar (idempotent)."""
        if self._rich is not None:
            self._rich.stop()
            self._rich = None


def _fmt_seconds(s: float) -> str:
    s = int(round(s))
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"
