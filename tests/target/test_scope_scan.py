"""Whole scans of repositories shaped like issue 14's: the service in a subfolder beside dead copies, another
app, scripts and tests; and a flask-restx service without /openapi.json. Findings land on the live handler's
file and line, and none on a file that is not the service's code. Real DynamoDB Local, real services."""

from __future__ import annotations

import ast
import os
import shutil
from pathlib import Path, PurePosixPath

import pytest

from tests.conftest import APPS, scan_report

REPO = APPS / "scoped_repo"
VIEWS = APPS / "restx_views"
# The acceptance data of issue 14 (services/api of a notes repository), when this machine has it.
ACCEPTANCE = Path(os.environ.get("AUTHGATE_ACCEPTANCE_DATA", "/work/shared/acceptance/data/init"))

REPO_CONFIG = """\
version: 1
service:
  command: "uvicorn pkg.main:app --host 127.0.0.1 --port {port}"
  workdir: svc
  env: {ITEMS_TABLE: items}
  ready: /health
dynamodb:
  tables:
    - {name: items, key: {owner_id: S, item_id: S}}
auth:
  header: Authorization
  scheme: Bearer
  jwt: {secret_env: JWT_SECRET, algorithm: HS256, subject_claim: sub}
identities:
  alice: {sub: alice}
  bob: {sub: bob}
fixtures:
  - {table: items, owner: alice, item: {owner_id: alice, item_id: i1, text: "alice's list"}}
  - {table: items, owner: bob, item: {owner_id: bob, item_id: i2, text: "bob's list"}}
checks:
  public: ["GET /health"]
"""


def def_line(path: Path, name: str, cls: str | None = None) -> int:
    body = ast.parse(path.read_text()).body
    if cls:
        body = next(n for n in body if isinstance(n, ast.ClassDef) and n.name == cls).body
    return next(n.lineno for n in body if isinstance(n, ast.FunctionDef) and n.name == name)


def located(report: dict) -> set[tuple[str, str, str, str, int]]:
    return {(f["check"], f["method"], f["route"], f["file"], f["line"]) for f in report["findings"]}


def files_named(report: dict, folders: tuple[str, ...], names: tuple[str, ...] = ()) -> list[str]:
    def out(file: str) -> bool:
        path = PurePosixPath(file)
        return any(p in folders for p in path.parts) or path.name in names

    return [f"{f['check']} {f['file']}" for f in report["findings"] if f.get("file") and out(f["file"])]


def test_a_service_in_a_subfolder_is_scanned_as_its_entry_module_imports_it(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo)
    (repo / ".authgate.yml").write_text(REPO_CONFIG)
    p, report = scan_report(repo, tmp_path)
    assert p.returncode == 1, p.stdout + p.stderr
    items = REPO / "svc" / "pkg" / "routers" / "items.py"
    got = located(report)
    assert ("bola.read", "GET", "/items/{owner_id}/{item_id}", "svc/pkg/routers/items.py",
            def_line(items, "read_item")) in got  # fmt: skip
    assert ("authn.missing", "GET", "/items/count", "svc/pkg/routers/items.py", def_line(items, "count")) in got
    assert files_named(report, ("other_app", "scripts", "tests"), ("old_app.py", "copy_main.py", "unused.py")) == []
    assert {f["file"] for f in report["findings"] if f["check"].startswith("static.")} == {
        "svc/pkg/routers/items.py",
        "svc/pkg/plugins/audit.py",
    }
    assert not [n for n in report["notes"] if n.startswith(("source:", "openapi:"))]  # found as expected


def test_flask_restx_resources_are_located_at_their_methods(tmp_path: Path) -> None:
    shutil.copytree(VIEWS, tmp_path / "views")
    p, report = scan_report(tmp_path / "views", tmp_path)
    assert p.returncode == 1, p.stdout + p.stderr
    app = VIEWS / "app.py"
    got = located(report)
    assert ("bola.read", "GET", "/api/orders/{order_id}", "app.py", def_line(app, "get", cls="Order")) in got
    assert ("bola.list", "GET", "/api/orders/", "app.py", def_line(app, "get", cls="OrderList")) in got
    assert ("mass-assignment.owner", "PUT", "/api/orders/{order_id}", "app.py", def_line(app, "put", "Order")) in got
    static = {(f["check"], f["route"]) for f in report["findings"] if f["check"].startswith("static.")}
    assert static == {
        ("static.unscoped-scan", "/api/orders/"),
        ("static.update-from-request", "/api/orders/{order_id}"),
    }
    assert all(f["file"] == "app.py" and f["line"] for f in report["findings"])
    assert "openapi: not configured; the document served at /api/swagger.json is read" in report["notes"]


@pytest.mark.skipif(not (ACCEPTANCE / "repo").is_dir(), reason="the acceptance data of issue 14 is not on this machine")
def test_the_acceptance_repository_with_a_hand_written_config(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(ACCEPTANCE / "repo", repo)
    svc = repo / "services" / "api"
    config = REPO_CONFIG.replace("pkg.main:app", "main:app").replace("  workdir: svc\n", "")
    config = config.replace("ITEMS_TABLE: items", "NOTES_TABLE: notes").replace("items", "notes")
    (svc / ".authgate.yml").write_text(config.replace("item_id", "note_id"))
    p, report = scan_report(svc, tmp_path)
    assert p.returncode == 1, p.stdout + p.stderr
    notes_py = svc / "routers" / "notes.py"
    got = located(report)
    assert ("bola.read", "GET", "/notes/{owner_id}/{note_id}", "routers/notes.py",
            def_line(notes_py, "read_note")) in got  # fmt: skip
    assert (
        "authn.missing",
        "GET",
        "/notes/public-count",
        "routers/notes.py",
        def_line(notes_py, "public_count"),
    ) in got
    assert files_named(report, ("legacy", "tools", "scripts")) == []
