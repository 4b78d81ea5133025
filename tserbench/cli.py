"""The ``tserbench`` command line: a thin layer over the Python API.

Each sub-command lives next to the code it drives, in a ``_cli`` module that
exposes ``register(subparsers)``; the function it sets as ``func`` receives
the parsed :class:`argparse.Namespace` and returns an exit status.  No logic
lives here beyond dispatch and turning user errors into one-line messages.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from tserbench import __version__
from tserbench.exceptions import TserbenchError

__all__ = ["main", "build_parser"]

#: What Ctrl-C (or SIGTERM) leaves behind, for a command that sets no ``on_interrupt`` default of its own:
#: every file tserbench writes is written whole or not at all (``tserbench._io``'s atomic writes).
ON_INTERRUPT = "nothing was left half-written (files are written whole or not at all); re-run the command"

COMMAND_MODULES: tuple[str, ...] = (
    "tserbench.evaluation._cli",  # run
    "tserbench.leaderboard._cli",  # leaderboard, check
    "tserbench.leaderboard._rank_cli",  # rank
    "tserbench.datasets._cli",  # datasets list | info | fetch
    "tserbench.regressors._cli",  # models, predict
    "tserbench.tuning._cli",  # tune
    "tserbench.speed._cli",  # bench
)


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every registered sub-command."""
    parser = argparse.ArgumentParser(
        prog="tserbench",
        description=(
            "Benchmark harness for time-series extrinsic regression. "
            "Without a sub-command it runs the main job: a leaderboard on the "
            "embedded synthetic RRab dataset."
        ),
    )
    parser.add_argument("--version", action="version", version=f"tserbench {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback of an unexpected error (before the command: tserbench --debug run ...)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        argv = ["run"]  # the main job, on the embedded default dataset
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    warnings.showwarning = _show_warning
    # `kill PID` (SIGTERM) takes the same path as Ctrl-C, so joblib stops its
    # worker processes instead of leaving them training as orphans.
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        return int(args.func(args) or 0)
    except TserbenchError as exc:
        from tserbench._secrets import mask_secrets

        print(f"tserbench: error: {mask_secrets(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"tserbench: interrupted; {getattr(args, 'on_interrupt', ON_INTERRUPT)}", file=sys.stderr)
        return 130
    except Exception as exc:  # not a user error tserbench knows: still one line, unless --debug
        if args.debug:
            raise
        from tserbench._secrets import mask_secrets

        print(f"tserbench: error: {type(exc).__name__}: {mask_secrets(exc)} (unexpected: run again as "
              "`tserbench --debug ...` for the traceback, and report it if the input was valid)", file=sys.stderr)
        return 1


_default_showwarning = warnings.showwarning
_PACKAGE_DIR = str(Path(__file__).resolve().parent)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """Show tserbench's own warnings as one plain line; others as Python does."""
    if str(filename).startswith(_PACKAGE_DIR):
        from tserbench._secrets import mask_secrets

        print(f"tserbench: warning: {mask_secrets(message)}", file=file or sys.stderr)
    else:
        _default_showwarning(message, category, filename, lineno, file, line)


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
