"""Named training settings of the deep regressors (``tserbench run --params-from preset:NAME``).

The class defaults train to convergence (``schedule="converge"``, see
:mod:`tserbench.regressors._schedule`).  The papers' budgets stay available
by name; each preset applies to every deep model of a run.

``paper``
    M24's and DG22's budget: constant learning rate 0.01, batch 256, early
    stopping after 1000 epochs without an improvement of 1e-5 within 50 000
    epochs (``utils/constants.py`` of LorenzoMonti/metallicity_rrls; ``gfeh.par``
    of idekany/rrl_feh_nn), selected on the inner split.  Days per CV on a CPU.
``paper-held-out``
    The same with the papers' selection: the epoch is picked on the CV test
    fold itself, the whole training part is trained on (no inner split).
    Reproduces the protocol of the published numbers; optimistic.
"""

from __future__ import annotations

from tserbench.exceptions import ConfigError

__all__ = ["PRESETS", "preset_params"]

_PAPER = {"schedule": None, "n_epochs": 50000, "patience": 1000, "min_delta": 1e-5, "learning_rate": 0.01,
          "batch_size": 256, "reduce_lr_patience": None}

#: preset name -> constructor parameters of every deep model
PRESETS: dict[str, dict] = {
    "paper": dict(_PAPER),
    "paper-held-out": {**_PAPER, "selection": "held-out", "validation_split": 0.0},
}


def preset_params(name: str, models: list[str]) -> dict[str, dict]:
    """``{model: params}`` of preset ``name`` for the deep models among ``models``."""
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")
    from tserbench.regressors._registry import _BY_NAME

    deep = [m for m in models if m in _BY_NAME and _BY_NAME[m].kind == "deep"]
    if not deep:
        raise ConfigError(f"preset {name!r} sets deep models' training, and none of {', '.join(models)} is one")
    return {m: dict(PRESETS[name]) for m in deep}
