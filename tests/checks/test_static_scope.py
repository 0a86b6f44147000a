"""The static family reads the service's code only (issue 14), and sees class-based handlers' methods."""

from __future__ import annotations

import shutil
from pathlib import Path

from gate.checks.static import check_sources, parse, scan_dir
from gate.config import Config
from gate.target.scope import resolve
from tests.conftest import APPS

REPO = APPS / "scoped_repo"
VIEWS = APPS / "restx_views"


def findings(cfg: dict, root: Path) -> set[tuple[str, str, str, str]]:
    base = {"version": 1, "identities": {"a": {"sub": "a"}, "b": {"sub": "b"}}}
    parsed = parse(resolve(Config.model_validate({**base, **cfg}), root))
    return {(f.check, f.method, f.route, f.file) for f in check_sources(parsed)}


def test_only_what_the_entry_module_imports_is_checked() -> None:
    service = {"command": "uvicorn pkg.main:app --port {port}", "workdir": "svc"}
    assert findings({"service": service}, REPO) == {
        ("static.unscoped-scan", "GET", "/items/count", "svc/pkg/routers/items.py"),
        ("static.plain-http-endpoint", "", "", "svc/pkg/plugins/audit.py"),  # reached through importlib only
    }  # nothing from old_app.py, other_app/, svc/copy_main.py, svc/pkg/unused.py, svc/scripts/, svc/tests/


def test_without_an_entry_every_file_is_checked_as_before(tmp_path: Path) -> None:
    shutil.copytree(REPO, tmp_path / "repo")
    got = {(f.check, f.file) for f in scan_dir(tmp_path / "repo", tmp_path / "repo")[0]}
    assert got == {
        ("static.unscoped-scan", "svc/pkg/routers/items.py"),
        ("static.plain-http-endpoint", "svc/pkg/plugins/audit.py"),
        ("static.plain-http-endpoint", "old_app.py"),
        ("static.tls-verify-off", "other_app/app.py"),
        ("static.tls-verify-off", "svc/pkg/unused.py"),
        ("static.plain-http-endpoint", "svc/scripts/seed.py"),
    }


def test_handler_checks_see_resource_and_method_view_methods() -> None:
    """`def get`/`def put` of a flask-restx Resource are handlers: a Scan and a body written as the item are
    found there; a Scan behind `method_decorators = [require_admin, ...]` checks a role and is not."""
    assert findings({"service": {"command": "flask --app app run --port {port}"}}, VIEWS) == {
        ("static.unscoped-scan", "GET", "/api/orders/", "app.py"),
        ("static.update-from-request", "PUT", "/api/orders/{order_id}", "app.py"),
    }
