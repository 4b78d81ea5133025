"""The environment a result was produced in: versions, source commit, machine, threads.

Every result store (``run.json`` and each job record), speed benchmark,
tuning study and leaderboard carries the block returned by
:func:`environment`, so that a row can be traced to the code and packages
that produced it and regenerated with the same ones (``requirements-lock.txt``).
:func:`compare_environments` lists what differs between two blocks;
``tserbench check`` reports those differences as warnings.

Nothing here imports the packages it reports: versions come from the
installed distributions' metadata (:mod:`importlib.metadata`), so recording
the environment costs no TensorFlow import.
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

__all__ = ["PACKAGES", "THREAD_VARIABLES", "environment", "compare_environments", "describe_environment"]

#: Distributions whose versions decide a result (the numerical stack and the harness's engines).
PACKAGES: tuple[str, ...] = (
    "numpy",
    "scipy",
    "pandas",
    "scikit-learn",
    "sktime",
    "tensorflow",
    "keras",
    "optuna",
)

#: Environment variables that set thread counts of the BLAS, OpenMP, numba and TensorFlow pools.
THREAD_VARIABLES: tuple[str, ...] = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMBA_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
)


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout


def _source_commit() -> dict[str, Any]:
    """Commit of the tserbench source tree, if tserbench runs from a git checkout.

    Only a checkout whose top level holds this very package counts (an
    editable install); a wheel installed into a virtual environment that
    happens to sit inside some git repository reports no commit.
    """
    package = Path(__file__).resolve().parent
    top = _git(["rev-parse", "--show-toplevel"], package)
    if top is None or (Path(top.strip()) / "tserbench").resolve() != package:
        return {"commit": None, "dirty": None}
    commit = _git(["rev-parse", "HEAD"], package)
    status = _git(["status", "--porcelain"], package)
    return {
        "commit": commit.strip() if commit else None,
        "dirty": None if status is None else bool(status.strip()),
    }


def _cpu_model() -> str | None:
    """The CPU's model name (Linux ``/proc/cpuinfo``; elsewhere :func:`platform.processor`)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                key, sep, value = line.partition(":")
                if sep and key.strip() in ("model name", "Model", "cpu model"):
                    return value.strip() or None
    except OSError:
        pass
    return platform.processor() or None


def _usable_cores() -> int | None:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count()


@functools.lru_cache(maxsize=1)
def _static_environment() -> dict[str, Any]:
    from tserbench import __version__

    return {
        "tserbench": {"version": __version__, **_source_commit()},
        "python": platform.python_version(),
        "packages": {name: _version(name) for name in PACKAGES},
        "machine": {
            "platform": platform.platform(),
            "cpu": _cpu_model(),
            "cores": os.cpu_count(),
            "usable_cores": _usable_cores(),
        },
    }


def environment() -> dict[str, Any]:
    """The environment of this process, as a JSON-ready dict.

    Returns
    -------
    dict
        ``tserbench`` (``version``, ``commit``, ``dirty``: the git commit of
        the source checkout and whether its working tree differs from it,
        None when tserbench is not run from a checkout), ``python``,
        ``packages`` (version of each of :data:`PACKAGES`, None if not
        installed), ``machine`` (``platform``, ``cpu`` model, ``cores``,
        ``usable_cores``: the cores this process may run on) and ``threads``
        (each of :data:`THREAD_VARIABLES` as set, None when unset).
        The versions, commit and machine are read once per process; the
        thread variables at each call.

    Examples
    --------
    >>> from tserbench.environment import environment
    >>> sorted(environment())
    ['machine', 'packages', 'python', 'threads', 'tserbench']
    """
    static = _static_environment()
    return {
        "tserbench": dict(static["tserbench"]),
        "python": static["python"],
        "packages": dict(static["packages"]),
        "machine": dict(static["machine"]),
        "threads": {name: os.environ.get(name) for name in THREAD_VARIABLES},
    }


def _flatten(block: dict | None, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in (block or {}).items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def compare_environments(reference: dict | None, current: dict | None) -> list[str]:
    """What differs between two environment blocks, one line per field.

    Parameters
    ----------
    reference, current : dict or None
        Blocks written by :func:`environment` (None: not recorded).

    Returns
    -------
    list of str
        E.g. ``"packages.tensorflow: 2.21.0 in the reference, 2.22.0 here"``;
        empty when the blocks agree.  A missing block gives one line saying so.
    """
    if not reference or not current:
        missing = "the reference" if not reference else "the current results"
        return [f"no environment recorded in {missing}"] if (reference or current) else []
    ref, cur = _flatten(reference), _flatten(current)
    lines = []
    for key in sorted(set(ref) | set(cur)):
        if ref.get(key) != cur.get(key):
            lines.append(f"{key}: {ref.get(key)!r} in the reference, {cur.get(key)!r} here")
    return lines


def describe_environment(block: dict | None) -> list[tuple[str, str]]:
    """``(label, value)`` pairs for showing an environment block to a reader.

    Used by the Markdown and HTML leaderboards and by ``tserbench bench``.
    """
    if not block:
        return [("environment", "not recorded (written by a tserbench that predates environment records)")]
    tsb = block.get("tserbench") or {}
    commit = tsb.get("commit")
    source = "not a git checkout" if commit is None else commit[:12] + (" (uncommitted changes)" if tsb.get("dirty") else "")
    machine = block.get("machine") or {}
    threads = {k: v for k, v in (block.get("threads") or {}).items() if v is not None}
    packages = block.get("packages") or {}
    return [
        ("tserbench", f"{tsb.get('version')}, source {source}"),
        ("python", str(block.get("python"))),
        ("packages", ", ".join(f"{k} {v}" for k, v in packages.items() if v is not None)),
        ("cpu", f"{machine.get('cpu')} ({machine.get('usable_cores')} of {machine.get('cores')} cores usable)"),
        ("platform", str(machine.get("platform"))),
        ("threads", ", ".join(f"{k}={v}" for k, v in threads.items()) or "library defaults (no thread variable set)"),
    ]
