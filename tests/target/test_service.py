"""The service under test: minimal environment, clear start-up failures, nothing left running."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import httpx
import pytest

from gate.config import parse_config
from gate.dynamo.credentials import GATE, SERVICE
from gate.errors import ScanError
from gate.target import service
from tests.conftest import APPS, EXAMPLES, run_cli, sandbox


def _cfg(app: str, **service_extra: object) -> object:
    return parse_config(
        {
            "version": 1,
            "service": {
                "command": f"uvicorn {app}:app --host 127.0.0.1 --port {{port}}",
                "ready": "/openapi.json",
                "startup_timeout": 20,
                **service_extra,
            },
            "identities": {"alice": {"sub": "alice"}, "bob": {"sub": "bob"}},
        }
    )


def test_service_sees_only_the_environment_the_gate_builds(monkeypatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_fake_token_must_not_leak")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "runner-real-secret")
    monkeypatch.setenv("SOME_RUNNER_SECRET", "s3cr3t")
    cfg = _cfg("envdump", env={"PROFILES_TABLE": "profiles"})
    with sandbox(APPS) as box:
        svc = service.start(cfg, APPS, ["http://127.0.0.1:9"], {"JWT_SECRET": "the-scan-secret"}, box)
        try:
            env = httpx.get(svc.instances[0].base_url + "/env").json()
        finally:
            logs = svc.tmpdir
            svc.stop()
    assert logs is not None and not logs.exists()  # the instances' log folder goes with them
    assert "GITHUB_TOKEN" not in env and "SOME_RUNNER_SECRET" not in env
    assert "ghs_fake_token_must_not_leak" not in str(env) and "runner-real-secret" not in str(env)
    assert env["AWS_ENDPOINT_URL_DYNAMODB"] == "http://127.0.0.1:9"
    assert env["AWS_SECRET_ACCESS_KEY"] == SERVICE.secret_access_key != GATE.secret_access_key
    assert env["JWT_SECRET"] == "the-scan-secret" and env["PROFILES_TABLE"] == "profiles"
    allowed = {
        "PATH",
        "HOME",
        "TMPDIR",
        "LANG",
        "PYTHONUNBUFFERED",
        "PYTHONDONTWRITEBYTECODE",
        "VIRTUAL_ENV",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EC2_METADATA_DISABLED",
        "AWS_ENDPOINT_URL_DYNAMODB",
        "AWS_ENDPOINT_URL",
        "JWT_SECRET",
        "PROFILES_TABLE",
        "LC_CTYPE",
        # with a user of its own, what service.install installs goes to the sandbox's folder
        "PIP_TARGET",
        "PYTHONPATH",
        "PIP_DISABLE_PIP_VERSION_CHECK",
    }
    assert set(env) <= allowed, set(env) - allowed


def test_startup_failure_shows_the_last_log_lines() -> None:
    cfg = _cfg("crash")
    try:
        with sandbox(APPS) as box:
            service.start(cfg, APPS, ["http://127.0.0.1:9"], {}, box)
    except ScanError as exc:
        assert "exited with code" in exc.message
        assert any("PROFILES_TABLE is not set" in line for line in exc.details)
    else:
        raise AssertionError("a crashing service must raise ScanError")


def test_cli_reports_startup_failure_with_exit_2_and_an_error_report(tmp_path: Path) -> None:
    work = tmp_path / "svc"
    shutil.copytree(EXAMPLES / "profiles-fastapi", work)
    (work / "app.py").write_text("import sys\nprint('boom: missing dependency foo')\nsys.exit(1)\n")
    out = tmp_path / "r.json"
    p = run_cli("scan", str(work), "--output", str(out))
    assert p.returncode == 2
    assert "could not scan" in p.stderr and "boom: missing dependency foo" in p.stderr
    assert "Traceback" not in p.stderr
    assert '"verdict": "error"' in out.read_text()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie still answers kill(0); it is not running
        return Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0] != "Z"
    except OSError:
        return False


def _ours(pid: int, mark: str, workdir: Path) -> bool:
    """A process this scan started: the JVM inherits the gate's environment (our mark); the service
    gets a fresh environment but runs in our private copy of the example."""
    try:
        if mark.encode() in Path(f"/proc/{pid}/environ").read_bytes():
            return True
        return Path(f"/proc/{pid}/cwd").resolve() == workdir.resolve()
    except OSError:
        return False


def test_no_orphan_processes_after_a_scan(tmp_path: Path) -> None:
    work = tmp_path / "svc"
    shutil.copytree(EXAMPLES / "profiles-fastapi-fixed", work)
    mark = f"AUTHGATE_ORPHAN_MARK={tmp_path.name}"
    p = run_cli("scan", str(work), "--output", str(tmp_path / "r.json"), env=dict([mark.split("=", 1)]))
    assert p.returncode == 0, p.stderr
    leftovers = [
        pid
        for pid in (int(x) for x in os.listdir("/proc") if x.isdigit())
        if pid != os.getpid() and _alive(pid) and _ours(pid, mark, work)
    ]
    assert leftovers == []


def test_a_service_that_reads_dynamodb_at_import_sees_the_seeded_data(tmp_path: Path) -> None:
    # DynamoDB Local boots while the service starts; the recorder holds calls until the seed is in.
    p = run_cli("scan", str(APPS / "eager"), "--output", str(tmp_path / "r.json"))
    assert p.returncode == 0, p.stderr
    assert "the seeded profile is missing" not in p.stderr


def test_a_command_past_its_time_bound_is_stopped_with_everything_it_spawned(tmp_path: Path) -> None:
    from gate.proc import Timeout, run_bounded

    marker = "31.4159"  # a sleep no other process runs
    spawn = f"import subprocess, time; subprocess.Popen(['sleep', '{marker}']); time.sleep(30)"
    with pytest.raises(Timeout):
        run_bounded([sys.executable, "-c", spawn], cwd=tmp_path, env=dict(os.environ), timeout=1.0)
    time.sleep(0.2)
    left = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if cmdline.read_bytes() == f"sleep\0{marker}\0".encode():
                left.append(cmdline.parent.name)
        except OSError:
            pass  # the process ended while we looked
    assert left == [], "a grandchild survived the timeout"


def test_a_command_that_leaves_a_child_running_returns_at_its_own_exit(tmp_path: Path) -> None:
    from gate.proc import run_bounded

    t0 = time.monotonic()
    code, out, _ = run_bounded(
        ["sh", "-c", "sleep 27.1828 & setsid sleep 5 & echo hi"], cwd=tmp_path, env=dict(os.environ), timeout=3
    )
    assert (code, out, time.monotonic() - t0 < 2) == (0, "hi\n", True)  # no wait for what holds the output open
    time.sleep(0.2)
    alive = [p for p in Path("/proc").glob("[0-9]*/cmdline") if _reads(p) == b"sleep\0" + b"27.1828\0"]
    assert alive == []  # its background child in the same group is stopped


def _reads(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""
