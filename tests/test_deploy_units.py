"""deploy/ (issue 15): the systemd units run commands that exist, with the hardening the issue
asks for, on the data directory their environment file names."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

import click
import pytest

from assistant.cli import main

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
SERVICES = ["assistant-chat.service", "assistant-refresh.service"]


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string((DEPLOY / name).read_text())
    return parser


def environment() -> dict[str, str]:
    lines = (DEPLOY / "assistant.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))


def command_of(args: list[str]) -> str:
    """The subcommand ``assistant ARGS`` would run; click raises on an unknown command or option."""
    command, ctx = main, main.make_context("assistant", args)
    names = []
    while isinstance(command, click.Group):
        name, command, rest = command.resolve_command(ctx, [*ctx.protected_args, *ctx.args])
        ctx = command.make_context(name, rest, parent=ctx)
        names.append(name)
    return " ".join(names)


@pytest.mark.parametrize(("name", "command"), zip(SERVICES, ["serve", "feeds refresh"]))
def test_each_service_runs_an_assistant_command_that_exists(name, command):
    program, *args = shlex.split(unit(name)["Service"]["ExecStart"])
    assert program.endswith("/bin/assistant")
    assert command_of(args) == command
    with pytest.raises(click.UsageError):
        command_of([*args, "--no-such-option"])  # the check can fail


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_is_hardened_with_the_data_dir_its_only_writable_path(name):
    service = unit(name)["Service"]
    assert service["User"] == "assistant" and service["EnvironmentFile"] == "/etc/assistant/assistant.env"
    assert service["ProtectSystem"] == "strict" and service["PrivateTmp"] == "yes"
    assert service["NoNewPrivileges"] == "yes" and service["CapabilityBoundingSet"] == ""
    assert service["ReadWritePaths"] == environment()["ASSISTANT_DATA_DIR"]


def test_the_chat_is_given_longer_to_stop_than_its_drain_takes():
    from assistant.chat.server import GRACE_S

    stop = unit("assistant-chat.service")["Service"]["TimeoutStopSec"]
    assert stop.endswith("s") and int(stop[:-1]) > 2 * GRACE_S  # the drain, then uvicorn's own grace


def test_the_timer_starts_the_refresh_daily():
    timer = unit("assistant-refresh.timer")["Timer"]
    assert timer["OnCalendar"].startswith("*-*-*") and timer["Persistent"] == "true"
    assert (DEPLOY / "assistant-refresh.service").exists()  # a timer starts the service of its own name
