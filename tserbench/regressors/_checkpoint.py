"""Mid-fit checkpoints of the deep regressors: a killed fit resumes where it stopped.

Every ``every`` epochs the whole training state is written atomically to one
``.npz`` file (arrays only, no pickle: nothing in it can run code): the
network's weights, Adam's slots and step count, each selection criterion's
best weights and early-stopping state, ``ReduceLROnPlateau``'s state and the
history so far.  A fit that finds a checkpoint of *the same fit* (same
parameters, same training data, same test data scored) restores it and
trains on from the next epoch; any other checkpoint is ignored.

What a resumed fit cannot reproduce bit for bit: Keras draws each epoch's
shuffling and the dropout masks from TensorFlow's random streams, which a
new process restarts from the seed.  A resumed fit therefore continues the
*same protocol* from the saved state, but its later epochs see other
batches than an uninterrupted fit would (the record says
``resumed_from_epoch``).  Keras' own ``BackupAndRestore`` has the same limit
and keeps no callback state, which is why this is written here.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

__all__ = ["fingerprint", "save_checkpoint", "load_checkpoint", "ignored_reason", "make_checkpointer"]

_VERSION = 1


def fingerprint(params: dict, *arrays: np.ndarray) -> str:
    """Identity of one fit: its parameters and the bytes of its data."""
    h = hashlib.sha256(json.dumps(params, sort_keys=True, default=repr).encode())
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str((a.dtype.str, a.shape)).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _pack(prefix: str, arrays: list, out: dict) -> None:
    for i, a in enumerate(arrays):
        out[f"{prefix}{i}"] = np.asarray(a)


def _unpack(prefix: str, n: int, data) -> list:
    return [data[f"{prefix}{i}"] for i in range(n)]


def save_checkpoint(path: str | os.PathLike, *, fp: str, epoch: int, model, criteria, reduce_lr, history: dict):
    """Write the training state after ``epoch`` (1-based count of epochs done) atomically."""
    from tserbench._io import atomic_write_bytes

    arrays: dict[str, np.ndarray] = {}
    weights = model.get_weights()
    opt = [np.asarray(v) for v in model.optimizer.variables]
    _pack("w", weights, arrays)
    _pack("o", opt, arrays)
    crit_meta = []
    for k, c in enumerate(criteria):
        if c.weights is not None:
            _pack(f"c{k}_", c.weights, arrays)
        crit_meta.append({"best": c.best, "best_epoch": c.best_epoch, "wait": c.wait,
                          "stopped_epoch": c.stopped_epoch, "n_weights": None if c.weights is None else len(c.weights)})
    meta = {
        "version": _VERSION, "fingerprint": fp, "epoch": int(epoch),
        "n_weights": len(weights), "n_optimizer": len(opt), "criteria": crit_meta,
        "reduce_lr": None if reduce_lr is None else {
            "wait": int(reduce_lr.wait), "cooldown_counter": int(reduce_lr.cooldown_counter),
            "best": float(reduce_lr.best)},
        "history": history,
    }
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    import io

    buf = io.BytesIO()
    np.savez(buf, **arrays)
    atomic_write_bytes(path, buf.getvalue())


def load_checkpoint(path: str | os.PathLike, *, fp: str):
    """The saved state of this fit, or None (no file, another fit's, unreadable: :func:`ignored_reason`)."""
    path = Path(path)
    if not path.is_file() or ignored_reason(path, fp=fp) is not None:
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode())
            state = {
                "meta": meta,
                "weights": _unpack("w", meta["n_weights"], data),
                "optimizer": _unpack("o", meta["n_optimizer"], data),
                "criteria": [None if c["n_weights"] is None else _unpack(f"c{k}_", c["n_weights"], data)
                             for k, c in enumerate(meta["criteria"])],
            }
    except (OSError, ValueError, KeyError, json.JSONDecodeError):
        return None
    return state


def ignored_reason(path: str | os.PathLike, *, fp: str) -> str | None:
    """Why the checkpoint at ``path`` was not resumed from (None: there is none, or it is this fit's).

    A fit restarted from epoch 0 beside a checkpoint says so in its record
    (``checkpoint_ignored``), instead of silently training again.
    """
    path = Path(path)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode())
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as exc:
        return f"{path.name} is unreadable ({type(exc).__name__}); trained from epoch 0"
    if meta.get("version") != _VERSION:
        return f"{path.name} has format version {meta.get('version')}, not {_VERSION}; trained from epoch 0"
    if meta.get("fingerprint") != fp:
        return (f"{path.name} (epoch {meta.get('epoch')}) is another fit's: its parameters, data or code "
                "differ; trained from epoch 0")
    return None


def restore(state: dict, *, model, criteria) -> int:
    """Put a loaded state back into the model, optimiser and criteria; return the epochs already done.

    ``ReduceLROnPlateau`` resets itself when training begins: its state is
    put back by the checkpointer's ``on_train_begin`` (see :func:`make_checkpointer`).
    """
    model.set_weights(state["weights"])
    opt = model.optimizer
    if not opt.built:
        opt.build(model.trainable_variables)
    for var, value in zip(opt.variables, state["optimizer"], strict=True):
        var.assign(value)
    for crit, meta, weights in zip(criteria, state["meta"]["criteria"], state["criteria"], strict=True):
        crit.best, crit.best_epoch, crit.wait = meta["best"], meta["best_epoch"], meta["wait"]
        crit.stopped_epoch, crit.weights = meta["stopped_epoch"], weights
    return int(state["meta"]["epoch"])


def make_checkpointer(keras, path, every: int, *, fp: str, criteria, reduce_lr, state: dict | None):
    """A callback that saves the state every ``every`` epochs, and completes a restore.

    It keeps the whole history (a resumed fit's Keras history starts at the
    resumed epoch) and, when training begins, puts back the saved state of
    ``ReduceLROnPlateau`` (which resets itself then); it must come after
    that callback in the list.
    """
    prior = {} if state is None else state["meta"]["history"]

    class Checkpointer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.history = {k: list(v) for k, v in prior.items()}

        def on_train_begin(self, logs=None):
            saved = None if state is None else state["meta"]["reduce_lr"]
            if reduce_lr is not None and saved is not None:
                reduce_lr.wait, reduce_lr.cooldown_counter = saved["wait"], saved["cooldown_counter"]
                reduce_lr.best = saved["best"]

        def on_epoch_end(self, epoch, logs=None):
            for key, value in (logs or {}).items():
                self.history.setdefault(key, []).append(float(value))
            if (epoch + 1) % every == 0:
                save_checkpoint(path, fp=fp, epoch=epoch + 1, model=self.model, criteria=criteria,
                                reduce_lr=reduce_lr, history=self.history)

    return Checkpointer()
