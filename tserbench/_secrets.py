"""Keep credentials out of what tserbench prints and writes.

A storage URL such as ``postgresql+psycopg2://user:s3cret@host/db`` carries a
password.  Every message, recorded command line and file that names a URL
shows it as ``postgresql+psycopg2://user:***@host/db`` instead (SQLAlchemy's
``URL.render_as_string(hide_password=True)`` masks the same way).  A masked
URL still tells a reader which database and user; the password itself comes
from the reader's own environment (for PostgreSQL, ``PGPASSWORD`` or
``~/.pgpass``, which psycopg2 reads when the URL has none).
"""

from __future__ import annotations

import re

__all__ = ["mask_secrets"]

# scheme://user:password@  -- the password is what lies between ':' and '@'
_USERINFO = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s'\"]*:)(?P<secret>[^@\s'\"/]+)(?P<at>@)")


def mask_secrets(text) -> str:
    """``text`` with the password of every ``scheme://user:password@host`` URL replaced by ``***``.

    Examples
    --------
    >>> mask_secrets("tune --storage postgresql+psycopg2://ann:s3cret@db:5432/optuna")
    'tune --storage postgresql+psycopg2://ann:***@db:5432/optuna'
    >>> mask_secrets("sqlite:///tserbench-optuna.db")
    'sqlite:///tserbench-optuna.db'
    """
    return _USERINFO.sub(lambda m: f"{m['head']}***{m['at']}", str(text))
