"""Close-match suggestions for misspelled names ("did you mean ...?")."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["did_you_mean"]


def did_you_mean(name: str, choices: Iterable[str], *, cutoff: float = 0.6) -> str:
    """A hint naming the closest of ``choices`` to ``name``, or ``""`` when none is close.

    The comparison ignores case (``Tecator`` suggests ``tecator``); up to two
    suggestions are given.

    Parameters
    ----------
    name : str
        What the user typed.
    choices : iterable of str
        The valid names.
    cutoff : float, default=0.6
        :func:`difflib.get_close_matches`' similarity threshold.

    Returns
    -------
    str
        ``"did you mean 'x'?"`` or ``"did you mean 'x' or 'y'?"``, else ``""``.

    Examples
    --------
    >>> did_you_mean("gruu", ["gru", "bigru", "lstm"])
    "did you mean 'gru' or 'bigru'?"
    >>> did_you_mean("xyz", ["gru"])
    ''
    """
    if not isinstance(name, str) or not name:
        return ""
    by_folded: dict[str, str] = {}
    for choice in choices:
        by_folded.setdefault(choice.casefold(), choice)
    close = difflib.get_close_matches(name.casefold(), list(by_folded), n=2, cutoff=cutoff)
    if not close:
        return ""
    return "did you mean " + " or ".join(repr(by_folded[c]) for c in close) + "?"
