"""Ctrl-C (and SIGTERM) in every command: one line saying what was kept, exit 130, no traceback."""

from __future__ import annotations

import argparse

import pytest

import tserbench.cli
from tserbench.cli import ON_INTERRUPT, build_parser


def _commands(parser: argparse.ArgumentParser, prefix=()) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every command of the parser, sub-commands included (``tune``, ``tune export``, ``datasets fetch``, ...)."""
    out = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out += [((*prefix, name), sub), *_commands(sub, (*prefix, name))]
    return out


COMMANDS = _commands(build_parser())
#: Commands that write work worth resuming must say how it resumes.
RESUMABLE = {("run",): "re-run the same command to resume", ("tune",): "re-run the same command to resume"}


def test_every_command_is_found():
    names = {" ".join(c) for c, _ in COMMANDS}
    assert {"run", "tune", "leaderboard", "check", "predict", "bench", "datasets fetch"} <= names


@pytest.mark.parametrize("command", [c for c, _ in COMMANDS], ids=lambda c: " ".join(c))
def test_ctrl_c_is_one_line_and_exit_130(command, monkeypatch, capsys):
    def interrupted(args):
        raise KeyboardInterrupt

    real = tserbench.cli.build_parser

    def parser_with_interrupting_commands():
        parser = real()
        for cmd, sub in _commands(parser):
            if cmd == command:
                sub.set_defaults(func=interrupted)
        return parser

    monkeypatch.setattr(tserbench.cli, "build_parser", parser_with_interrupting_commands)
    sub = dict(_commands(real()))[command]
    # the smallest argv the parser accepts: required options and positionals get a placeholder
    required = [a for a in sub._actions if a.required and a.option_strings]
    positional = [a for a in sub._actions if not a.option_strings and a.nargs not in ("?", "*")
                  and not isinstance(a, argparse._SubParsersAction)]
    argv = [*command]
    for a in required:
        argv += [a.option_strings[0], next(iter(a.choices)) if a.choices else "x"]
    argv += ["x" for _ in positional]
    assert tserbench.cli.main(argv) == 130
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tserbench: interrupted; ") and "Traceback" not in err
    if command in RESUMABLE:
        assert RESUMABLE[command] in lines[0]
    else:
        assert lines[0].endswith(sub.get_default("on_interrupt") or ON_INTERRUPT)
