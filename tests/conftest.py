"""Shared fixtures: the real DynamoDB Local (once per session), the CLI, isolation from the machine."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from gate.dynamo import local
from gate.target.sandbox import Sandbox

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
APPS = Path(__file__).resolve().parent / "apps"


@pytest.fixture(autouse=True)
def _isolate(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the runner's CI or GitHub settings (zizmor does the same)."""
    for key in list(os.environ):
        if key == "CI" or key.startswith(("GITHUB_", "INPUT_", "RUNNER_")):
            monkeypatch.delenv(key, raising=False)


@contextlib.contextmanager
def sandbox(root: Path, workdir: Path | None = None) -> Iterator[Sandbox]:
    """The sandbox a scan runs the service's code in (its own user, a copy of `root`), closed afterwards."""
    box = Sandbox.create(root, workdir)
    try:
        yield box
    finally:
        box.close()


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
    # run from another folder (`cwd`), `-m gate.cli` would import whichever gate the virtualenv installed
    # (an editable install may point at another checkout): the CLI under test is this checkout's
    base["PYTHONPATH"] = str(ROOT)
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


@dataclass(frozen=True, slots=True)
class Scan:
    """One `authgate scan` run: its exit code, JSON report, console output and the other formats it wrote."""

    code: int
    report: dict
    console: str
    markdown: str  # `--markdown`
    sarif: str  # `--sarif`
    workdir: Path  # where the outputs were written (the console names the report's path in it)


@pytest.fixture(scope="session")
def vulnerable_scan(tmp_path_factory: pytest.TempPathFactory) -> Scan:
    """One scan of the vulnerable example, shared by the tests that read its report or its other outputs."""
    work = tmp_path_factory.mktemp("vuln")
    md, sarif = work / "report.md", work / "report.sarif"
    p, rep = scan_report(EXAMPLES / "profiles-fastapi", work, "--markdown", str(md), "--sarif", str(sarif))
    return Scan(p.returncode, rep, p.stdout + p.stderr, md.read_text(), sarif.read_text(), work)


@pytest.fixture(scope="session")
def vulnerable_report(vulnerable_scan: Scan) -> tuple[int, dict, str]:
    return vulnerable_scan.code, vulnerable_scan.report, vulnerable_scan.console


@pytest.fixture(scope="session")
def fixed_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict, str]:
    p, rep = scan_report(EXAMPLES / "profiles-fastapi-fixed", tmp_path_factory.mktemp("fixed"))
    return p.returncode, rep, p.stdout + p.stderr


@pytest.fixture(scope="session")
def flask_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict, str]:
    p, rep = scan_report(EXAMPLES / "users-flask", tmp_path_factory.mktemp("flask"))
    return p.returncode, rep, p.stdout + p.stderr


@pytest.fixture(scope="session")
def flask_fixed_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict, str]:
    p, rep = scan_report(EXAMPLES / "users-flask-fixed", tmp_path_factory.mktemp("flask-fixed"))
    return p.returncode, rep, p.stdout + p.stderr


# A route with a new flaw (bola.read: no owner check; returns only a harmless field, so no other
# check has anything to say about it), added to a copy of the vulnerable example.
NEW_FLAW = """

@app.get("/users/{user_id}/settings")
def get_settings(user_id: str, user: dict = Depends(current_user)):
    # NOT OK: bola.read - reads anyone's profile by the id in the path
    item = profiles.get_item(Key={"user_id": user_id}).get("Item") or {}
    return {"display_name": item.get("display_name")}
"""


@pytest.fixture(scope="session")
def baseline_roundtrip(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The baseline workflow, run once for the tests that read it (issue 5):

    1. `authgate baseline svc` on a copy of the vulnerable example;
    2. `authgate scan svc` with that baseline (everything accepted);
    3. a copy with a new flawed route and the /me/posts route removed, scanned with the same baseline.
    Scans run from the parent folder with a relative target, as in CI (paths relative to the repo root).
    """
    work = tmp_path_factory.mktemp("roundtrip")
    svc = work / "svc"
    shutil.copytree(EXAMPLES / "profiles-fastapi", svc)
    made = run_cli("baseline", "svc", cwd=work)
    out: dict = {"work": work, "baseline_run": made}
    base_file = svc / ".authgate-baseline.json"
    out["baseline"] = json.loads(base_file.read_text()) if base_file.exists() else None

    def scan_here(target: str, name: str) -> None:
        p = run_cli(
            "scan", target, "--output", f"{name}.json", "--sarif", f"{name}.sarif", "--markdown", f"{name}.md", cwd=work
        )
        rep = work / f"{name}.json"
        out[name] = (p.returncode, json.loads(rep.read_text()) if rep.exists() else {}, p.stdout + p.stderr)

    scan_here("svc", "same")
    changed = work / "changed"
    shutil.copytree(svc, changed)
    app = (changed / "app.py").read_text()
    assert '@app.get("/me/posts")\n' in app
    (changed / "app.py").write_text(app.replace('@app.get("/me/posts")\n', "") + NEW_FLAW)
    scan_here("changed", "changed")
    return out


ORACLE_APP_CONFIG = {
    "version": 1,
    "service": {
        "command": "uvicorn oracle:app --host 127.0.0.1 --port {port} --log-level warning",
        "workdir": str(APPS),
        "env": {"ACCOUNTS_TABLE": "oracle_accounts", "DOCS_TABLE": "oracle_docs", "TOPICS_TABLE": "oracle_topics"},
    },
    "dynamodb": {
        "tables": [
            {"name": "oracle_accounts", "key": {"account_id": "S"}},
            {"name": "oracle_docs", "key": {"owner": "S", "doc_id": "S"}},
            {"name": "oracle_topics", "key": {"topic": "S"}},
        ]
    },
    "auth": {"jwt": {"secret_env": "JWT_SECRET"}},
    "identities": {
        "alice": {"sub": "alice", "email": "alice@example.test"},
        "bob": {"sub": "bob", "email": "bob@example.test"},
        "admin": {"sub": "root", "email": "root@example.test", "claims": {"role": "admin"}, "role": "admin"},
    },
    "fixtures": [
        {
            "table": "oracle_accounts",
            "owner": "alice",
            "item": {
                "account_id": "alice",
                "name": "Alice A",
                "mfa_secret": "JBSWY3DPEHPK3PXPALICE",
                "manager_email": "bob@example.test",
            },
        },
        {"table": "oracle_accounts", "owner": "bob", "item": {"account_id": "bob", "name": "Bob B"}},
        {"table": "oracle_accounts", "owner": "admin", "item": {"account_id": "root", "name": "Root R"}},
        {"table": "oracle_docs", "owner": "alice", "item": {"owner": "alice", "doc_id": "d-alice", "title": "A doc"}},
        {"table": "oracle_docs", "owner": "bob", "item": {"owner": "bob", "doc_id": "d-bob", "title": "B doc"}},
        {"table": "oracle_topics", "item": {"topic": "gardening", "blurb": "Plants"}},
        {"table": "oracle_topics", "item": {"topic": "sailing", "blurb": "Boats"}},
    ],
    # this test service is about the dynamic oracle checks; its static findings are tested elsewhere
    "checks": {"admin_paths": ["GET /reports/*"], "exclude": ["static", "jwt"]},
}


@pytest.fixture(scope="session")
def oracle_report(dynamo: local.DynamoLocal, tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict, str]:
    """One scan of tests/apps/oracle.py (NOT OK / OK routes of the oracle's checks) on the session's DynamoDB."""
    import yaml

    d = tmp_path_factory.mktemp("oracle-app")
    cfg = {**ORACLE_APP_CONFIG, "dynamodb": {**ORACLE_APP_CONFIG["dynamodb"], "endpoint": dynamo.endpoint}}
    (d / ".authgate.yml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    p, rep = scan_report(d, d)
    return p.returncode, rep, p.stdout + p.stderr
