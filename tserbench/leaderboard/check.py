"""Regression check: compare a new result store or leaderboard against a reference.

For every harness model present in both, each selected metric's headline
value (``val.<metric>.value``, the pooled OOF figure) is compared.  "Worse"
means higher for error metrics and lower for R²; a metric is a regression
when it is worse than the reference by more than its (absolute) tolerance.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tserbench.exceptions import ConfigError, DataError
from tserbench.leaderboard._metrics import greater_is_better, metric_names

__all__ = ["DEFAULT_TOLERANCE", "CheckRow", "CheckResult", "parse_tolerance", "load_leaderboard",
           "check_against_reference"]

#: Absolute tolerance used for metrics given no explicit tolerance.
DEFAULT_TOLERANCE = 0.01


@dataclass
class CheckRow:
    """One (model, metric) comparison."""

    model: str
    metric: str
    reference: float | None
    current: float | None
    delta: float | None  # current - reference
    tolerance: float
    status: str  # "ok", "better", "REGRESSION", "missing"


@dataclass
class CheckResult:
    """Outcome of :func:`check_against_reference`."""

    rows: list[CheckRow] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # reference models absent from current
    new: list[str] = field(default_factory=list)  # current models absent from the reference
    strict: bool = False
    #: how the current results' environment differs from the reference's (warnings, never a failure)
    environment_differences: list[str] = field(default_factory=list)
    #: models whose hyper-parameters differ from the reference's (warnings)
    params_differences: list[str] = field(default_factory=list)

    @property
    def regressions(self) -> list[CheckRow]:
        return [r for r in self.rows if r.status == "REGRESSION"]

    @property
    def passed(self) -> bool:
        """True when nothing regressed (and, if strict, nothing is missing)."""
        missing = self.missing or any(r.status == "missing" for r in self.rows)
        return not self.regressions and not (self.strict and missing)

    @property
    def exit_code(self) -> int:
        """0 when :attr:`passed`, else 1."""
        return 0 if self.passed else 1


def parse_tolerance(spec: str | float | Mapping[str, float] | None,
                    metrics: Iterable[str]) -> dict[str, float]:
    """Tolerance per metric from ``0.02``, ``"0.02"`` or ``"rmse=0.01,mae=0.01"``.

    Metrics not named get :data:`DEFAULT_TOLERANCE`.
    """
    metrics = list(metrics)
    out = dict.fromkeys(metrics, DEFAULT_TOLERANCE)
    if spec is None:
        return out
    if isinstance(spec, (int, float)):
        return dict.fromkeys(metrics, _nonneg(float(spec), str(spec)))
    if isinstance(spec, Mapping):
        items = list(spec.items())
    else:
        text = str(spec).strip()
        if "=" not in text:
            return dict.fromkeys(metrics, _nonneg(_float(text, text), text))
        items = []
        for part in filter(None, (p.strip() for p in text.split(","))):
            if "=" not in part:
                raise ConfigError(f"bad --tolerance item {part!r}: expected METRIC=VALUE")
            key, val = (s.strip() for s in part.split("=", 1))
            items.append((key, _float(val, part)))
    for key, val in items:
        if key not in metric_names():
            raise ConfigError(f"unknown metric {key!r} in --tolerance (known: {', '.join(metric_names())})")
        out[key] = _nonneg(float(val), f"{key}={val}")
    return out


def _float(text: str, item: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ConfigError(f"bad tolerance {item!r}: not a number") from None


def _nonneg(x: float, item: str) -> float:
    if not math.isfinite(x) or x < 0:
        raise ConfigError(f"bad tolerance {item!r}: must be a finite number >= 0")
    return x


def load_leaderboard(source, *, data_home=None) -> dict:
    """Load a leaderboard document from ``leaderboard.json``, its folder, or result store(s).

    A result store (a folder with ``run.json``), or a list of them, is
    aggregated in memory (:func:`tserbench.leaderboard.collect`).
    """
    if isinstance(source, (list, tuple)):
        from tserbench.leaderboard._build import collect

        return collect(source, data_home=data_home).doc
    path = Path(source)
    if path.is_dir():
        if (path / "run.json").exists():
            from tserbench.leaderboard._build import collect

            return collect(path, data_home=data_home).doc
        if (path / "leaderboard.json").exists():
            path = path / "leaderboard.json"
        else:
            raise DataError("neither a result store (run.json) nor a leaderboard folder (leaderboard.json)", path)
    if not path.exists():
        raise DataError("not found", path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"not valid JSON ({exc})", path) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("rows"), list):
        raise DataError("not a leaderboard.json (no 'rows' list)", path)
    for i, row in enumerate(doc["rows"]):
        if not isinstance(row, dict) or not isinstance(row.get("model"), str) or "kind" not in row:
            raise DataError(f"not a leaderboard.json: row {i} is not a row with 'model' and 'kind'", path)
    return doc


def _main_environment(doc: dict) -> dict | None:
    """The environment that ran most of a leaderboard's jobs (None if not recorded)."""
    groups = [g for g in doc.get("environments") or [] if isinstance(g, dict)]
    if not groups:
        return None
    return max(groups, key=lambda g: g.get("n_jobs") or 0).get("environment")


def environment_differences(ref_doc: dict, cur_doc: dict) -> list[str]:
    """What differs between the environments of two leaderboards (see :func:`tserbench.environment.compare_environments`)."""
    from tserbench.environment import compare_environments

    lines = compare_environments(_main_environment(ref_doc), _main_environment(cur_doc))
    for label, doc in (("the reference", ref_doc), ("the current results", cur_doc)):
        n = len(doc.get("environments") or [])
        if n > 1:
            lines.append(f"{label} ran in {n} environments; compared: the one that ran most jobs")
    return lines


def _identity(doc: dict) -> dict:
    """What must agree for two leaderboards to be comparable: the data and the folds."""
    from tserbench.datasets import upgrade_params

    run = doc.get("run") or {}
    return {
        "dataset": doc.get("dataset"),
        # a leaderboard written before a dataset parameter was renamed keeps the old name
        "dataset_params": upgrade_params(doc.get("dataset"), doc.get("dataset_params") or {}),
        "protocol": doc.get("protocol"),
        "n_instances": run.get("n_instances"),
        "seed": run.get("seed"),
    }


def check_comparable(ref_doc: dict, cur_doc: dict) -> None:
    """Raise :class:`ConfigError` unless both leaderboards score the same stars on the same folds."""
    ref, cur = _identity(ref_doc), _identity(cur_doc)
    if ref["protocol"] == "predefined":  # the folds are the dataset's own: the seed does not make them
        ref.pop("seed"), cur.pop("seed")
    diffs = [f"{k} {cur[k]!r} here, {ref[k]!r} in the reference" for k in ref
             if ref[k] is not None and cur[k] is not None and ref[k] != cur[k]]
    missing = [k for k in ("dataset", "protocol") if not ref.get(k) or not cur.get(k)]
    if diffs or missing:
        what = "; ".join(diffs) if diffs else f"{', '.join(missing)} not recorded"
        raise ConfigError(f"not comparable with the reference: {what}")


def _params_differences(ref: dict[str, dict], cur: dict[str, dict]) -> list[str]:
    lines = []
    for model in sorted(set(ref) & set(cur)):
        a, b = ref[model].get("params") or {}, cur[model].get("params") or {}
        changed = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        if changed:
            lines.append(f"{model}: " + ", ".join(f"{k} {a.get(k)!r} -> {b.get(k)!r}" for k in changed))
    return lines


def _harness(doc: dict) -> dict[str, dict]:
    return {r["model"]: r for r in doc["rows"] if r.get("kind") == "harness"}


def _value(row: dict, metric: str) -> float | None:
    v = ((row.get("val") or {}).get(metric) or {}).get("value")
    return None if v is None else float(v)


def check_against_reference(
    reference: str | Path | dict,
    current: str | Path | dict,
    *,
    tolerance: str | float | Mapping[str, float] | None = DEFAULT_TOLERANCE,
    metrics: Iterable[str] = ("rmse", "mae", "r2"),
    strict: bool = False,
    data_home=None,
) -> CheckResult:
    """Compare the harness rows of ``current`` against ``reference``.

    Parameters
    ----------
    reference : str, Path or dict
        A ``leaderboard.json`` (or its folder, or the loaded document).
    current : str, Path, list or dict
        A result store (or a list of them), a ``leaderboard.json`` (or its
        folder), or a document.
    tolerance : float, str or mapping, default 0.01
        Absolute tolerance, one for all metrics or per metric (see
        :func:`parse_tolerance`).
    metrics : iterable of str, default ("rmse", "mae", "r2")
        Validation metrics compared (headline values).
    strict : bool, default False
        Count reference models or metrics missing from ``current`` as failure.
    data_home : path-like, optional
        Passed on when ``current`` is a result store.

    Returns
    -------
    CheckResult
        ``exit_code`` is 1 when a metric regressed beyond its tolerance (or, if
        strict, something is missing), else 0.  Differences of
        hyper-parameters or environment are listed as warnings.

    Raises
    ------
    ConfigError
        If the two do not score the same data on the same folds (dataset,
        its parameters, protocol, number of instances, and for shuffled folds
        the seed).
    """
    metrics = list(metrics)
    unknown = [m for m in metrics if m not in metric_names()]
    if unknown or not metrics:
        raise ConfigError(f"unknown metric(s) {', '.join(unknown) or '(none)'}; known: {', '.join(metric_names())}")
    tol = parse_tolerance(tolerance, metrics)
    ref_doc = reference if isinstance(reference, dict) else load_leaderboard(reference, data_home=data_home)
    cur_doc = current if isinstance(current, dict) else load_leaderboard(current, data_home=data_home)
    check_comparable(ref_doc, cur_doc)
    ref, cur = _harness(ref_doc), _harness(cur_doc)
    result = CheckResult(missing=sorted(set(ref) - set(cur)), new=sorted(set(cur) - set(ref)), strict=strict,
                         environment_differences=environment_differences(ref_doc, cur_doc),
                         params_differences=_params_differences(ref, cur))
    for model in sorted(set(ref) & set(cur)):
        for metric in metrics:
            a, b = _value(ref[model], metric), _value(cur[model], metric)
            if a is None or b is None:
                result.rows.append(CheckRow(model, metric, a, b, None, tol[metric], "missing"))
                continue
            delta = b - a
            worse = -delta if greater_is_better(metric) else delta
            # a small epsilon so that a delta equal to the tolerance is not a regression by rounding
            if worse > tol[metric] + 1e-12:
                status = "REGRESSION"
            elif -worse > tol[metric] + 1e-12:
                status = "better"
            else:
                status = "ok"
            result.rows.append(CheckRow(model, metric, a, b, delta, tol[metric], status))
    return result


def render_check(result: CheckResult, console=None) -> None:
    """Print a check result as a rich table."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    table = Table(title="tserbench check (val <metric> (pooled): the leaderboard headline)")
    for col in ("model", "metric", "reference", "current", "delta", "tolerance", "status"):
        table.add_column(col, justify="left" if col in ("model", "metric", "status") else "right")
    styles = {"ok": "green", "better": "bold green", "REGRESSION": "bold red", "missing": "yellow"}

    def f(x):
        return "—" if x is None else f"{x:.4f}"

    for r in result.rows:
        table.add_row(r.model, r.metric, f(r.reference), f(r.current),
                      "—" if r.delta is None else f"{r.delta:+.4f}", f"{r.tolerance:g}",
                      f"[{styles[r.status]}]{r.status}[/]")
    console.print(table)
    if result.missing:
        console.print(f"[yellow]missing from current:[/] {', '.join(result.missing)}"
                      + (" (failure: --strict)" if result.strict else ""))
    if result.new:
        console.print(f"not in the reference (not checked): {', '.join(result.new)}")
    if result.params_differences:
        console.print("[yellow]warning:[/] hyper-parameters differ from the reference's:")
        for line in result.params_differences:
            console.print(f"  {line}", markup=False, highlight=False)
    if result.environment_differences:
        console.print("[yellow]warning:[/] the environment differs from the reference's "
                      "(a warning, not a failure; install from requirements-lock.txt to match it):")
        for line in result.environment_differences:
            console.print(f"  {line}", markup=False, highlight=False)
    n = len(result.regressions)
    if n:
        console.print(f"[bold red]FAILED[/]: {n} regression(s) beyond tolerance")
    elif not result.passed:
        console.print("[bold red]FAILED[/]: missing models or metrics (--strict)")
    else:
        console.print("[bold green]PASSED[/]: no regression beyond tolerance")
