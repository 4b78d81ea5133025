"""Seeding of the runner's jobs: one random state per (seed, model, repeat, fold)."""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["job_seed", "set_random_state"]


def job_seed(seed: int, model: str, repeat: int, fold: int) -> int:
    """Random state of one job, a deterministic function of its coordinates.

    Uses :class:`numpy.random.SeedSequence` over ``(seed, crc32(model),
    repeat, fold)``: stable across processes and machines (unlike ``hash``),
    so serial, loky and dask runs train identical models.

    Returns
    -------
    int
        In ``[0, 2**31 - 1)``.
    """
    entropy = [int(seed) & 0xFFFFFFFF, zlib.crc32(model.encode("utf-8")), int(repeat), int(fold)]
    state = np.random.SeedSequence(entropy).generate_state(1, dtype=np.uint32)[0]
    return int(state % (2**31 - 1))


def set_random_state(estimator, random_state: int) -> None:
    """Set ``random_state`` (and nested ``*__random_state``) where the estimator has it."""
    try:
        names = estimator.get_params(deep=True)
    except TypeError:
        names = estimator.get_params()
    keys = {k: random_state for k in names if k == "random_state" or k.endswith("__random_state")}
    if keys:
        estimator.set_params(**keys)
