"""A fake result store, for tests of the leaderboard and its users.

Writes the layout of docs/architecture.md with plausible content, so tests
need neither the runner nor any training.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tserbench.leaderboard._metrics import score

__all__ = ["make_fake_results"]


def make_fake_results(
    path: str | Path,
    *,
    models: dict[str, float] | None = None,
    n_stars: int = 120,
    n_folds: int = 4,
    n_repeats: int = 1,
    dataset: str = "rrab-synthetic",
    protocol: str | None = None,
    source_id=None,
    folds=None,
    y_true=None,
    base_pred=None,
    history: bool = True,
    seed: int = 0,
    environment: dict | None = None,
    variant: str = "full",
) -> Path:
    """Write a plausible result store to ``path`` and return it.

    Parameters
    ----------
    path : str or Path
        Output folder (the runner's ``OUT``).
    models : dict of str to float, optional
        Model name -> noise level (dex) of its predictions
        (default ``{"gru": 0.15, "fcn": 0.25}``).
    n_stars, n_folds, n_repeats : int
        Size of the fake problem (ignored where arrays are given).
    dataset, protocol : str
        Recorded in run.json (protocol default: ``predefined`` when ``folds``
        is given, else ``{n_folds}x{n_repeats}``).
    source_id, folds, y_true : array-like, optional
        Use these stars, folds and targets (e.g. DG22's) instead of random ones.
        With ``folds`` given, every repeat uses them.
    base_pred : array-like, optional
        Predictions to which each model's noise is added (default ``y_true``).
    history : bool
        Record a learning-curve history in each job JSON.
    seed : int
        Random seed.
    environment : dict, optional
        The environment block recorded in run.json and every job (default:
        this process's, :func:`tserbench.environment.environment`).
    variant : str
        Recorded in run.json.
    """
    from tserbench.environment import environment as _environment

    from tserbench.evaluation.store import ResultStore

    env = _environment() if environment is None else environment
    path = Path(path)
    store = ResultStore(path)
    rng = np.random.default_rng(seed)
    models = {"gru": 0.15, "fcn": 0.25} if models is None else models
    predefined = folds is not None
    if source_id is None:
        source_id = np.int64(4_000_000_000_000_000_000) + rng.choice(10**15, n_stars, replace=False).astype("int64")
    source_id = np.asarray(source_id, dtype="int64")
    n = len(source_id)
    if y_true is None:
        y_true = rng.normal(-1.5, 0.45, n)
    y_true = np.asarray(y_true, dtype=float)
    base = y_true if base_pred is None else np.asarray(base_pred, dtype=float)
    protocol = protocol or ("predefined" if predefined else f"{n_folds}x{n_repeats}")
    store.init_run({
        "dataset": dataset, "dataset_params": {}, "variant": variant, "protocol": protocol, "seed": seed,
        "command": f"tserbench run --dataset {dataset} --models {','.join(models)} --out {path}",
        "tserbench_version": "0.1.0", "wall_seconds": 12.5, "models": list(models), "environment": env,
    })

    def weights(y):  # plausible stand-in for the runner's density weights
        return 1.0 / (0.2 + np.abs(y - np.median(y)))

    for m_i, (model, noise) in enumerate(models.items()):
        store.write_params(model, {"n_epochs": 50, "batch_size": 256, "learning_rate": 0.01})
        for rep in range(n_repeats):
            fold_of = np.asarray(folds) if predefined else rng.permutation(np.arange(n) % n_folds)
            y_pred = base + rng.normal(0.0, noise, n) if noise else base.copy()
            for fold in np.unique(fold_of):
                val = fold_of == fold
                oof = pd.DataFrame({"source_id": source_id[val], "repeat": rep, "fold": int(fold),
                                    "y_true": y_true[val], "y_pred": y_pred[val]})
                tr = ~val
                train_pred = y_true[tr] + rng.normal(0.0, 0.8 * noise, tr.sum())
                epochs = int(20 + rng.integers(0, 20))
                loss = list(0.3 * np.exp(-np.arange(epochs) / 8.0) + noise**2)
                job = {
                    "model": model, "repeat": rep, "fold": int(fold),
                    "metrics": {"train": score(y_true[tr], train_pred, weights(y_true[tr])),
                                "val": score(oof.y_true, oof.y_pred, weights(oof.y_true.to_numpy()))},
                    "weights": "fake density weights", "n_train": int(tr.sum()), "n_val": int(val.sum()),
                    "fit_seconds": float(1.0 + m_i + rng.uniform()), "predict_seconds": 0.01, "epochs": epochs,
                    "stop_reason": "converged", "steps": epochs * 4,
                    "history": ({"loss": loss, "val_loss": [v * 1.2 for v in loss]} if history else None),
                    "environment": env,
                }
                store.write_job(model, rep, int(fold), job, oof)
    return path
