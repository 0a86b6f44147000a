"""gate/report/curl.py: the command replays exactly the recorded request, and the shell expands
nothing the service chose; only our own variables (the credentials, AUTHGATE_URL) are spliced in."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from gate.report.curl import command, variable

HOSTILE = "'; touch /tmp/authgate-pwned; echo '$(id) `id` \"$HOME\" \\ |;&"


def _argv(cmd: str, **env: str) -> list[str]:
    """The arguments bash would give curl (a function named curl prints them, one per NUL)."""
    script = f"curl() {{ printf '%s\\0' \"$@\"; }}\n{cmd}\n"
    p = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", **env})
    assert p.returncode == 0, p.stderr
    return p.stdout.split("\0")[:-1]


pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def test_a_request_is_replayed_with_the_token_as_a_variable() -> None:
    req = {
        "method": "PUT",
        "path": "/users/bob/profile",
        "identity": "alice",
        "headers": {"Authorization": "Bearer eyJhbGciOiJI…[redacted]", "Content-Type": "application/json"},
        "body": '{"display_name": "x"}',
    }
    cmd = command(req)
    assert cmd is not None and "eyJ" not in cmd and "$ALICE_TOKEN" in cmd
    assert _argv(cmd, ALICE_TOKEN="tok", AUTHGATE_URL="http://127.0.0.1:9") == [
        "-i", "-X", "PUT", "http://127.0.0.1:9/users/bob/profile",
        "-H", "Authorization: Bearer tok", "-H", "Content-Type: application/json",
        "--data-raw", '{"display_name": "x"}',
    ]  # fmt: skip
    assert _argv(cmd, ALICE_TOKEN="tok")[3] == "127.0.0.1:8000/users/bob/profile"  # curl's default: http


def test_a_redacted_password_in_a_body_becomes_a_variable() -> None:
    req = {"method": "POST", "path": "/login", "identity": "authgate-enum", "body": '{"password": "…[redacted]"}'}
    cmd = command(req)
    assert cmd is not None
    assert _argv(cmd, AUTHGATE_ENUM_PASSWORD="pw")[-1] == '{"password": "pw"}'


def test_nothing_the_service_chose_is_run_by_the_shell(tmp_path) -> None:  # type: ignore[no-untyped-def]
    req = {
        "method": "GET",
        "path": f"/p/{HOSTILE}",
        "identity": "alice",
        "headers": {"X-Evil": HOSTILE},
        "body": HOSTILE,
    }
    cmd = command(req)
    assert cmd is not None
    argv = _argv(cmd)
    assert argv[3].endswith(f"/p/{HOSTILE}") and argv[5] == f"X-Evil: {HOSTILE}" and argv[-1] == HOSTILE


def test_no_request_no_command_and_variable_names_are_shell_names() -> None:
    assert command(None) is None and command({"method": "GET"}) is None
    assert variable("alice.smith-2", "TOKEN") == "ALICE_SMITH_2_TOKEN" and variable(None, "PASSWORD") == "PASSWORD"
