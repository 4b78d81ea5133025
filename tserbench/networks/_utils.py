"""Small helpers shared by the network builders (Keras imported lazily)."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["l1l2", "as_tuple", "check_same_length"]


def l1l2(l1: float, l2: float):
    """Return a ``keras.regularizers.L1L2`` or None when both factors are 0.

    M24's code always passes ``L1L2(l1=.., l2=..)`` objects; a zero regulariser
    adds nothing to the loss, so None is equivalent and keeps the graph small.
    """
    if not l1 and not l2:
        return None
    from tserbench._tf import import_keras

    keras = import_keras()
    return keras.regularizers.L1L2(l1=float(l1), l2=float(l2))


def as_tuple(value, n: int | None = None, name: str = "value") -> tuple:
    """Return ``value`` as a tuple; a scalar is repeated ``n`` times."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        return tuple(value)
    if n is None:
        return (value,)
    return (value,) * n


def check_same_length(**named) -> None:
    """Raise ValueError unless all the named sequences have the same length."""
    lengths = {k: len(v) for k, v in named.items()}
    if len(set(lengths.values())) > 1:
        pretty = ", ".join(f"{k} has {n}" for k, n in lengths.items())
        raise ValueError(f"these must have the same length: {pretty}")
