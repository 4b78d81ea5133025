"""Public names of a package imported on first use (PEP 562), so that ``tserbench --help`` stays fast.

Each package ``__init__`` lists its public names and the module that defines
each one, and takes its ``__getattr__``/``__dir__`` from :func:`lazy_exports`
instead of importing those modules (and pandas, sklearn, TensorFlow ... behind
them) when the package is imported.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping

__all__ = ["lazy_exports"]


def lazy_exports(package: str, exports: Mapping[str, str],
                 public: Iterable[str]) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``, whose name ``n`` lives in module ``exports[n]``.

    A name is imported when first looked up and then cached on the package,
    so later look-ups do not come back here.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    exports : mapping of str to str
        Public name -> dotted module that defines it.
    public : iterable of str
        The package's ``__all__`` (what ``dir()`` lists besides its globals).
    """
    public = tuple(public)

    def __getattr__(name: str):
        try:
            module = exports[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(public))

    return __getattr__, __dir__
