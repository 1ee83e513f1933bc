"""Tests for `python -m bot`: exit statuses and messages for bad usage and bad configuration."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.__main__ import USAGE, main
from tests.conftest import ROOT
from tests.fakes.server import free_port

REQUIRED = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "CORALOGIX_API_KEY")


def run_bot(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m bot ARGS` in `cwd`, with no bot variables in its environment beyond `env`."""
    environ = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(  # noqa: S603 - our own interpreter and module, fixed arguments
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("args", [(), ("run",), ("doctor",)])
def test_no_configuration(tmp_path: Path, args: tuple[str, ...]) -> None:
    """With nothing configured, exit 2 with one message naming every missing variable and no traceback."""
    result = run_bot(tmp_path, *args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.count("Configuration is not valid") == 1
    for name in REQUIRED:
        assert f"  - {name}: " in result.stderr
    assert result.stdout == ""


def test_bad_values_named_without_secrets(tmp_path: Path) -> None:
    """Bad values are all named in one message and never echoed."""
    env = {
        "SLACK_BOT_TOKEN": "xoxp-s3cr3t-user-token",
        "SLACK_SIGNING_SECRET": "s3cr3t-signing",
        "CORALOGIX_API_KEY": "s3cr3t-key",
        "PORT": "99999",
        "CORALOGIX_REGION": "nowhere",
    }
    result = run_bot(tmp_path, env=env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    for name in ("SLACK_BOT_TOKEN", "PORT", "CORALOGIX_REGION"):
        assert f"  - {name}: " in result.stderr
    assert "s3cr3t" not in result.stderr + result.stdout


def test_env_file_in_working_directory_is_read(tmp_path: Path) -> None:
    """A .env file in the working directory is read, and the message points at it."""
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-from-dotenv\nPORT=not-a-port\n")
    result = run_bot(tmp_path)
    assert result.returncode == 2
    assert ".env" in result.stderr
    assert "  - PORT: " in result.stderr
    assert "SLACK_BOT_TOKEN" not in result.stderr  # satisfied by the .env file
    assert "  - CORALOGIX_API_KEY: " in result.stderr


def test_python_m_bot_help_prints_usage_and_exits_0(tmp_path: Path) -> None:
    """`python -m bot --help` prints the usage, naming every command, on stdout and exits 0."""
    result = run_bot(tmp_path, "--help")
    assert result.returncode == 0
    assert result.stdout.strip() == USAGE
    assert all(f"  {command} " in result.stdout for command in ("run", "doctor", "migrate", "audit"))
    assert result.stderr == ""


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["help"]])
def test_every_help_spelling_prints_usage(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    """--help, -h and help all print the usage on stdout and return 0, without reading configuration."""
    assert main(args) == 0
    out, err = capsys.readouterr()
    assert (out.strip(), err) == (USAGE, "")


def test_python_m_bot_bad_usage_exits_2(tmp_path: Path) -> None:
    """An unknown subcommand exits 2 with the usage on stderr, before reading configuration, no traceback."""
    result = run_bot(tmp_path, "frobnicate")
    assert result.returncode == 2
    assert result.stderr.strip() == USAGE
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [["--verbose"], ["run", "extra"], ["doctor", "now"]])
def test_bad_usage(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    """An unknown option or an extra argument returns 2 with the usage on stderr."""
    assert main(args) == 2
    assert capsys.readouterr().err.strip() == USAGE


def test_doctor_reports_unreachable_services(tmp_path: Path) -> None:
    """`doctor` with valid settings but nothing listening exits 1 with ✘ lines, and prints no secret."""
    port = free_port()
    env = {
        "SLACK_BOT_TOKEN": "xoxb-s3cr3t-token",
        "SLACK_SIGNING_SECRET": "s3cr3t-signing",
        "CORALOGIX_API_KEY": "s3cr3t-key",
        "SLACK_API_URL": f"http://127.0.0.1:{port}/api/",
        "CORALOGIX_API_URL": f"http://127.0.0.1:{port}",
    }
    result = run_bot(tmp_path, "doctor", env=env)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("✔ Settings are valid")
    assert any(line.startswith("✘ Slack is unreachable") for line in lines)
    assert any(line.startswith("✘ Coralogix: list call failed") for line in lines)
    assert "s3cr3t" not in result.stdout + result.stderr


def test_main_in_process_bad_usage(capsys: pytest.CaptureFixture[str]) -> None:
    """main() returns 2 for an unknown subcommand and prints the usage to stderr."""
    assert main(["nope"]) == 2
    assert USAGE in capsys.readouterr().err


def test_main_in_process_bad_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """main() returns 2 and describes the configuration problems when nothing is set."""
    monkeypatch.chdir(tmp_path)
    assert main([]) == 2
    err = capsys.readouterr().err
    for name in REQUIRED:
        assert name in err


def test_a_bad_access_policy_stops_the_bot_with_every_problem_and_its_line(tmp_path: Path) -> None:
    """`python -m bot` with a broken ACCESS_POLICY exits 2 before opening anything, naming each problem once."""
    policy = tmp_path / "policy.yml"
    policy.write_text("rules:\n  - allow: [resolve]\n    userz: [U0A]\n  - deny: [delete]\ndefault: maybe\n")
    env = {
        "SLACK_BOT_TOKEN": "xoxb-s3cr3t-token",
        "SLACK_SIGNING_SECRET": "s3cr3t-signing",
        "CORALOGIX_API_KEY": "s3cr3t-key",
        "ACCESS_POLICY": str(policy),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/never.sqlite3",
    }
    result = run_bot(tmp_path, env=env)
    assert result.returncode == 2, result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert result.stderr.count("is not valid") == 1
    for line in (3, 4, 5):
        assert f"line {line}" in result.stderr
    assert not (tmp_path / "never.sqlite3").exists()
    assert "s3cr3t" not in result.stderr
