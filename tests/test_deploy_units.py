"""deploy/ (issues 15 and 12): the systemd units run commands that exist, with the hardening the
issues ask for, on the data directory their environment file names; the replica template takes
its port from the instance name."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

import click
import pytest

from assistant.cli import main

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
SERVICES = ["assistant-chat.service", "assistant-refresh.service", "assistant-worker.service"]
REPLICA = "assistant-chat@.service"


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


def instance(name: str, port: str = "8001") -> str:
    """A unit's text as systemd starts instance ``port`` of it (``%i`` is the instance name)."""
    return (DEPLOY / name).read_text().replace("%i", port)


@pytest.mark.parametrize(("name", "command"),
                         zip([*SERVICES, REPLICA], ["serve", "feeds refresh", "feeds watch", "serve"]))
def test_each_service_runs_an_assistant_command_that_exists(name, command):
    program, *args = shlex.split(unit(name)["Service"]["ExecStart"].replace("%i", "8001"))
    assert program.endswith("/bin/assistant")
    assert command_of(args) == command
    with pytest.raises(click.UsageError):
        command_of([*args, "--no-such-option"])  # the check can fail


def hardened(service) -> None:
    assert service["User"] == "assistant" and service["EnvironmentFile"] == "/etc/assistant/assistant.env"
    assert service["ProtectSystem"] == "strict" and service["PrivateTmp"] == "yes"
    assert service["NoNewPrivileges"] == "yes" and service["CapabilityBoundingSet"] == ""
    assert service["UMask"] == "0077"


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_is_hardened_with_the_data_dir_its_only_writable_path(name):
    service = unit(name)["Service"]
    hardened(service)
    assert service["ReadWritePaths"] == environment()["ASSISTANT_DATA_DIR"]


def test_each_replica_serves_its_instance_port_from_its_own_directory():
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str
    parser.read_string(instance(REPLICA, "8002"))
    service = parser["Service"]
    hardened(service)
    args = shlex.split(service["ExecStart"])
    ctx = main.make_context("assistant", args[1:])
    assert ctx.params["data_dir"] == Path("/var/lib/assistant/replica-8002")
    assert args[-2:] == ["--port", "8002"]
    # Its only writable path is its own directory, under the data dir; systemd creates it.
    assert service["ReadWritePaths"] == "/var/lib/assistant/replica-8002"
    assert service["ReadWritePaths"].startswith(environment()["ASSISTANT_DATA_DIR"] + "/")
    assert "/var/lib/" + service["StateDirectory"] == service["ReadWritePaths"]
    assert parser["Install"]["WantedBy"] == "multi-user.target"


def test_the_replica_settings_in_the_environment_file_are_valid_once_uncommented():
    from assistant.config import Settings

    lines = (DEPLOY / "assistant.env").read_text().splitlines()
    examples = dict(line[1:].split("=", 1) for line in lines
                    if line.startswith(("#ASSISTANT_DATABASE_URL=", "#ASSISTANT_CHROMA_URL=")))
    assert examples.keys() == {"ASSISTANT_DATABASE_URL", "ASSISTANT_CHROMA_URL"}
    settings = Settings.from_env({**environment(), **examples})
    assert settings.database_url.startswith("postgresql://") and settings.chroma_url.startswith("http://")
    assert "ASSISTANT_DATABASE_URL" not in environment()  # the default stays SQLite
    with pytest.raises(Exception, match="ASSISTANT_DATABASE_URL"):
        Settings.from_env({**environment(), "ASSISTANT_DATABASE_URL": "mysql://db.internal/assistant"})


def test_the_worker_finishes_its_run_before_it_is_killed():
    service = unit("assistant-worker.service")["Service"]
    assert service["KillSignal"] == "SIGTERM" and service["Restart"] == "on-failure"
    refresh_bound = unit("assistant-refresh.service")["Service"]["TimeoutStartSec"]
    assert service["TimeoutStopSec"] == refresh_bound  # as long as one run may take


def test_the_chat_is_given_longer_to_stop_than_its_drain_takes():
    from assistant.chat.server import GRACE_S

    stop = unit("assistant-chat.service")["Service"]["TimeoutStopSec"]
    assert stop.endswith("s") and int(stop[:-1]) > 2 * GRACE_S  # the drain, then uvicorn's own grace


def test_the_timer_starts_the_refresh_daily():
    timer = unit("assistant-refresh.timer")["Timer"]
    assert timer["OnCalendar"].startswith("*-*-*") and timer["Persistent"] == "true"
    assert (DEPLOY / "assistant-refresh.service").exists()  # a timer starts the service of its own name
