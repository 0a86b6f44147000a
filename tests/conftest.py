"""Shared fixtures: the real DynamoDB Local (once per session), the CLI, isolation from the machine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gate.dynamo import local

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
APPS = Path(__file__).resolve().parent / "apps"


@pytest.fixture(autouse=True)
def _isolate(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the runner's CI or GitHub settings (zizmor does the same)."""
    for key in list(os.environ):
        if key == "CI" or key.startswith(("GITHUB_", "INPUT_", "RUNNER_")):
            monkeypatch.delenv(key, raising=False)


@pytest.fixture(scope="session")
def dynamo() -> Iterator[local.DynamoLocal]:
    ddb = local.start()
    yield ddb
    ddb.stop()


def run_cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))}
    base["NO_COLOR"] = "1"
    base.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "gate.cli", *args],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=base,
    )


def scan_report(
    target: Path, tmp_path: Path, *extra: str, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], dict]:
    out = tmp_path / f"report-{target.name}.json"
    p = run_cli("scan", str(target), "--output", str(out), *extra, env=env)
    report = json.loads(out.read_text()) if out.exists() else {}
    return p, report


@pytest.fixture(scope="session")
def vulnerable_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict, str]:
    """One scan of the vulnerable example shared by the tests that read its report."""
    p, rep = scan_report(EXAMPLES / "profiles-fastapi", tmp_path_factory.mktemp("vuln"))
    return p.returncode, rep, p.stdout + p.stderr


@pytest.fixture(scope="session")
def fixed_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict, str]:
    p, rep = scan_report(EXAMPLES / "profiles-fastapi-fixed", tmp_path_factory.mktemp("fixed"))
    return p.returncode, rep, p.stdout + p.stderr
