"""Every command explains itself with an example; the entry points all work."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from inspect_sched import __version__
from inspect_sched.cli import cli

REPO = Path(__file__).resolve().parents[1]


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for name, cmd in sorted(group.commands.items()):
        path = (*prefix, name)
        if isinstance(cmd, click.Group):
            if cmd.invoke_without_command:  # `plan --period P` is a command as well as a group
                out.append(path)
            out += _commands(cmd, path)
        else:
            out.append(path)
    return out


COMMANDS = _commands(cli)


def test_every_spec_command_exists() -> None:
    names = {" ".join(c) for c in COMMANDS}
    for required in ["init", "demo", "fixtures generate", "import enterprises", "import inspectors",
                     "import positive-list", "import conflicts", "import history", "plan", "draw", "verify",
                     "results import", "publish", "ledger list", "ledger verify", "report",
                     "ledger head", "plan list", "plan show"]:
        assert required in names


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_help_has_an_example(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output
    assert "inspect-sched " + path[0] in result.output


def test_usage_errors_exit_2() -> None:
    assert CliRunner().invoke(cli, ["draw", "--period", "2026-12"]).exit_code == 2
    assert CliRunner().invoke(cli, ["no-such-command"]).exit_code == 2


@pytest.mark.parametrize("entry", [[sys.executable, "-m", "inspect_sched"], [sys.executable, str(REPO / "cli.py")]])
def test_entry_points_report_the_version(entry: list[str]) -> None:
    out = subprocess.run([*entry, "--version"], capture_output=True, text=True, check=True, cwd=REPO)
    assert __version__ in out.stdout
