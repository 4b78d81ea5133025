"""Renamed parameters: the old keyword keeps working for a while, with a :class:`FutureWarning`.

The Python API speaks scikit-learn's and sktime's vocabulary (``random_state``,
not ``seed``).  A function whose keyword was renamed is decorated with
:func:`renamed_keyword`, which leaves its signature (and so its help and
docs) showing the new name only; a dataset class lists its renamed
constructor parameters in ``_renamed_params`` (an sktime object derives
``get_params`` from ``__init__``, where an alias would show up), and
:func:`rename_keys` maps them.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

__all__ = ["renamed_keyword", "rename_keys"]

F = TypeVar("F", bound=Callable[..., Any])


def rename_keys(kwargs: Mapping[str, Any], renamed: Mapping[str, str], *, owner: str, warn: bool = True,
                stacklevel: int = 2) -> dict[str, Any]:
    """``kwargs`` with each old key of ``renamed`` (old -> new) replaced by its new name, in place in the order.

    Parameters
    ----------
    kwargs : mapping
        Keyword arguments (or recorded parameters) that may use old names.
    renamed : mapping
        Old name -> new name.
    owner : str
        What takes them, for the messages (``"run_benchmark()"``, ``"dataset 'rrab-synthetic'"``).
    warn : bool, default=True
        Emit a :class:`FutureWarning` for each old name given (False when
        reading a record written before the rename: nothing for the reader to change).
    stacklevel : int, default=2
        Which frame the warning names, counted from the caller of this function
        (1: that caller; 2, the default: whoever called it).

    Raises
    ------
    TypeError
        If an old name and its new name are both given.
    """
    out = dict(kwargs)
    for old, new in renamed.items():
        if old not in out:
            continue
        if new in out:
            raise TypeError(f"{owner} got both {new}= and {old}=, its deprecated old name; give {new}= only")
        if warn:
            warnings.warn(f"{owner}: {old}= is deprecated and will be removed; use {new}= (same meaning)",
                          FutureWarning, stacklevel=stacklevel + 1)
        out = {(new if key == old else key): value for key, value in out.items()}
    return out


def renamed_keyword(old: str, new: str) -> Callable[[F], F]:
    """Decorator: ``func(old=...)`` still works as ``func(new=...)``, with a :class:`FutureWarning`.

    Giving both is a :class:`TypeError`.  The wrapped function's signature
    (``inspect.signature`` follows ``__wrapped__``) shows ``new`` only.
    """

    def decorate(func: F) -> F:
        owner = f"{func.__qualname__}()"

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            if old in kwargs:
                kwargs = rename_keys(kwargs, {old: new}, owner=owner)
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
