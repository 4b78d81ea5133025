"""Samplers by name, seeded per trial so that workers never replay each other.

:func:`make_sampler` also takes an Optuna sampler object, as
``optuna.create_study`` does; an object is used as given (its own seed).

Optuna seeds a sampler once per process.  Two workers started with the same
seed at the same moment would then propose the same parameters, and a
resumed worker would replay the samples of the run it resumes.
:class:`PerTrialSeedSampler` re-creates the wrapped sampler in
``before_trial`` with a seed derived from ``(random_state, trial.number)``: trial
numbers are unique within a study, so every trial gets its own stream, and
one worker alone is still reproducible.  The wrapped samplers keep no state
between trials that matters here (TPE and random sampling read the history
from the storage; CMA-ES keeps its state in the storage as well).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import optuna
from optuna.samplers import BaseSampler

from tserbench._renamed import renamed_keyword
from tserbench.exceptions import ConfigError

__all__ = ["SAMPLERS", "make_sampler", "PerTrialSeedSampler"]


def _tpe(seed):
    return optuna.samplers.TPESampler(seed=seed)


def _random(seed):
    return optuna.samplers.RandomSampler(seed=seed)


def _cmaes(seed):
    # CMA-ES handles float/int parameters; categorical ones fall back to random sampling.
    return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)


SAMPLERS: dict[str, Callable[[int | None], BaseSampler]] = {"tpe": _tpe, "random": _random, "cmaes": _cmaes}


class PerTrialSeedSampler(BaseSampler):
    """Delegate to ``factory(seed_of_trial)``, re-created at the start of every trial.

    Parameters
    ----------
    factory : callable
        ``factory(seed) -> BaseSampler`` (Optuna's samplers call it ``seed``).
    random_state : int or None
        Base seed; None leaves the wrapped sampler unseeded (and is not
        re-created).  ``seed=`` is its deprecated old name.
    """

    @renamed_keyword("seed", "random_state")
    def __init__(self, factory: Callable[[int | None], BaseSampler], random_state: int | None = None):
        self.factory = factory
        self.random_state = random_state
        self._inner = self._make(None if random_state is None else self.trial_seed(-1))

    def _make(self, seed):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ExperimentalWarning of some samplers
            return self.factory(seed)

    def trial_seed(self, number: int) -> int:
        """The seed of trial ``number``."""
        return int(np.random.SeedSequence([int(self.random_state), int(number) + 1]).generate_state(1)[0])

    def before_trial(self, study, trial) -> None:
        if self.random_state is not None:
            self._inner = self._make(self.trial_seed(trial.number))
        self._inner.before_trial(study, trial)

    def infer_relative_search_space(self, study, trial):
        return self._inner.infer_relative_search_space(study, trial)

    def sample_relative(self, study, trial, search_space):
        return self._inner.sample_relative(study, trial, search_space)

    def sample_independent(self, study, trial, param_name, param_distribution):
        return self._inner.sample_independent(study, trial, param_name, param_distribution)

    def after_trial(self, study, trial, state, values) -> None:
        self._inner.after_trial(study, trial, state, values)

    def reseed_rng(self) -> None:
        self._inner.reseed_rng()


@renamed_keyword("seed", "random_state")
def make_sampler(name: str | BaseSampler = "tpe", random_state: int | None = None) -> BaseSampler:
    """Optuna sampler by name (``"tpe"``, ``"random"``, ``"cmaes"``), seeded per trial.

    Parameters
    ----------
    name : str or optuna.samplers.BaseSampler, default="tpe"
        A name from :data:`SAMPLERS`, or a sampler object, which is returned
        as it is (``random_state`` does not reseed it).
    random_state : int or None
        Base seed of :class:`PerTrialSeedSampler` for a named sampler
        (``seed=`` is its deprecated old name).

    Returns
    -------
    optuna.samplers.BaseSampler
    """
    if isinstance(name, BaseSampler):
        return name
    if not isinstance(name, str):
        raise ConfigError(f"sampler must be a name ({', '.join(SAMPLERS)}) or an Optuna sampler, got {name!r}")
    try:
        factory = SAMPLERS[name]
    except KeyError:
        raise ConfigError(f"unknown sampler {name!r}; choose {', '.join(SAMPLERS)}") from None
    if name == "cmaes":
        import importlib.util

        if importlib.util.find_spec("cmaes") is None:
            raise ConfigError("sampler 'cmaes' needs the 'cmaes' package: pip install cmaes")
    return PerTrialSeedSampler(factory, random_state)
