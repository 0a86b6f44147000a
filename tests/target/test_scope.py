"""The service's code: the entry module a command names, what it imports, include and exclude (issue 14)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from gate.config import Config
from gate.errors import ScanError
from gate.target import scope
from gate.target.routes import routes_of
from tests.conftest import APPS

REPO = APPS / "scoped_repo"
SERVICE = [
    "svc/pkg/__init__.py",
    "svc/pkg/auth.py",
    "svc/pkg/db.py",
    "svc/pkg/main.py",
    "svc/pkg/plugins/__init__.py",
    "svc/pkg/plugins/audit.py",  # only through importlib.import_module("pkg.plugins.audit")
    "svc/pkg/routers/__init__.py",
    "svc/pkg/routers/health.py",
    "svc/pkg/routers/items.py",
]


def config(service: dict[str, Any], **source: Any) -> Config:
    return Config.model_validate(
        {"version": 1, "service": service, "identities": {"a": {"sub": "a"}, "b": {"sub": "b"}}, "source": source}
    )


def entry(command: str, tmp_path: Path | None = None, **env: str) -> tuple[str | None, str | None, str]:
    got = scope.entry_of(config({"command": command, "env": env}), tmp_path or Path("/nonexistent"))
    return (got.file, got.module, got.cwd) if got else (None, None, "")


@pytest.mark.parametrize(
    ("command", "want"),
    [
        ("uvicorn pkg.main:app --host 127.0.0.1 --port {port}", (None, "pkg.main", ".")),
        ("uvicorn --port {port} --factory 'app.main:create_app'", (None, "app.main", ".")),
        ("gunicorn -w 2 -k uvicorn.workers.UvicornWorker -b 127.0.0.1:{port} 'app:create_app()'", (None, "app", ".")),
        ("gunicorn --bind 127.0.0.1:{port} wsgi", (None, "wsgi", ".")),
        ("hypercorn --bind 127.0.0.1:{port} service.asgi:application", (None, "service.asgi", ".")),
        ("flask --app x run --port {port}", (None, "x", ".")),
        ("flask --app=src/web.py:app run --port {port}", ("src/web.py", None, ".")),
        ("python main.py --port {port}", ("main.py", None, ".")),
        ("python3 -u -m pkg --port {port}", (None, "pkg", ".")),
        ("python -m uvicorn api.main:app --port {port}", (None, "api.main", ".")),
        ("fastapi run src/app.py --port {port}", ("src/app.py", None, ".")),
        ("sh -c 'cd backend && exec uvicorn main:app --port {port}'", (None, "main", "backend")),
        ("PORT={port} poetry run uvicorn main:app --port {port}", (None, "main", ".")),
        ("env DEBUG=1 .venv/bin/uvicorn main:app --port {port}", (None, "main", ".")),
        ("node server.js --port {port}", (None, None, "")),
    ],
)
def test_the_entry_module_is_read_off_the_command(command: str, want: tuple[str | None, str | None, str]) -> None:
    assert entry(command) == want


def test_defaults_where_the_command_names_no_module(tmp_path: Path) -> None:
    assert entry("flask run --port {port}", tmp_path, FLASK_APP="web:app") == (None, "web", ".")
    (tmp_path / "app.py").write_text("")
    assert entry("flask run --port {port}", tmp_path) == ("app.py", None, ".")
    assert entry("fastapi run --port {port}", tmp_path) == ("app.py", None, ".")


def test_the_scope_is_what_the_entry_module_imports() -> None:
    sc = scope.resolve(config({"command": "uvicorn pkg.main:app --port {port}", "workdir": "svc"}), REPO)
    # not the dead copies (old_app.py, svc/copy_main.py), the other app, the unimported module, the script or tests
    assert sc.files == SERVICE
    assert sc.entry == "svc/pkg/main.py"
    assert sc.notes == []  # the report lists the files
    assert scope.files(config({"command": "uvicorn pkg.main:app --port {port}", "workdir": "svc"}), REPO) == SERVICE


def test_source_entry_include_and_exclude() -> None:
    base = {"url": "http://127.0.0.1:1", "workdir": "svc"}
    sc = scope.resolve(config(base, entry="pkg/main.py", include=["scripts/*.py"], exclude=["plugins"]), REPO)
    assert sc.files == sorted(
        [f for f in SERVICE if "/plugins/" not in f] + ["svc/scripts/seed.py"]
    )  # an excluded package is not read, nor what only it imports
    assert sc.rank["svc/scripts/seed.py"] == 1 and sc.rank["svc/pkg/main.py"] == 0
    with pytest.raises(ScanError, match=r"source.entry: pkg/nope.py is not a Python file under svc"):
        scope.resolve(config(base, entry="pkg/nope.py"), REPO)


def test_a_file_entry_is_imported_as_part_of_its_package() -> None:
    """`fastapi run pkg/main.py` imports it as `pkg.main`, so its relative imports (`from . import routers`) work."""
    sc = scope.resolve(config({"command": "fastapi run pkg/main.py --port {port}", "workdir": "svc"}), REPO)
    assert sc.files == SERVICE


def test_python_dash_m_runs_the_package_main(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "__main__.py").write_text("from .server import run\nrun()\n")
    (tmp_path / "pkg" / "server.py").write_text("import json\nfrom importlib import import_module\n")
    (tmp_path / "pkg" / "dead.py").write_text("")
    sc = scope.resolve(config({"command": "python -m pkg --port {port}"}), tmp_path)
    assert sc.files == ["pkg/__init__.py", "pkg/__main__.py", "pkg/server.py"]


def test_tests_and_virtualenvs_are_in_only_when_imported(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "__init__.py").write_text("")
    (tmp_path / "tests" / "fakes.py").write_text("")
    (tmp_path / "tests" / "test_app.py").write_text("")
    venv = tmp_path / ".venv" / "lib" / "python3.11" / "site-packages" / "fastapi"
    venv.mkdir(parents=True)
    (venv / "__init__.py").write_text("")
    (tmp_path / "main.py").write_text("import fastapi\nfrom tests import fakes\n")
    sc = scope.resolve(config({"command": "uvicorn main:app --port {port}"}), tmp_path)
    assert sc.files == ["main.py", "tests/__init__.py", "tests/fakes.py"]


def test_nothing_outside_the_scan_root_is_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secrets.py").write_text("KEY = 'x'\n")
    root = tmp_path / "root"
    root.mkdir()
    (root / "main.py").write_text("import secrets\n")
    (root / "secrets.py").symlink_to(outside / "secrets.py")
    assert scope.files(config({"command": "uvicorn main:app --port {port}"}), root) == ["main.py"]


def test_no_entry_reads_every_file_and_says_so(tmp_path: Path) -> None:
    shutil.copytree(REPO, tmp_path / "repo")
    sc = scope.resolve(config({"url": "http://127.0.0.1:1"}, exclude=["other_app/"]), tmp_path / "repo")
    assert sc.entry is None
    assert "old_app.py" in sc.files and "svc/pkg/unused.py" in sc.files
    assert not any(f.startswith(("other_app/", "svc/tests/")) for f in sc.files)
    assert sc.notes == [
        "source: no entry module found (no service.command): every Python file under service.workdir is read; "
        "set source.entry to read only what the service imports"
    ]
    # the same route in a dead copy and in the live router module: the module something imports wins
    where = {r.id: r.file for r in routes_of(sc).routes}
    assert where["GET /items/{owner_id}/{item_id}"] == "svc/pkg/routers/items.py"
    assert where["GET /items/count"] == "svc/pkg/routers/items.py"


def test_an_unknown_command_falls_back_with_a_note(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("")
    sc = scope.resolve(config({"command": "./run-server --port {port}"}), tmp_path)
    assert sc.files == ["app.py"]
    assert sc.notes[0].startswith("source: no entry module found (service.command names none the gate knows)")
    sc = scope.resolve(config({"command": "uvicorn gone:app --port {port}"}), tmp_path)
    assert sc.notes[0].startswith("source: no entry module found (uvicorn names gone, not found under the workdir)")


@pytest.mark.parametrize(
    ("pattern", "path", "hit"),
    [
        ("scripts", "scripts/seed.py", True),
        ("scripts", "app/scripts/seed.py", True),
        ("scripts/*.py", "app/scripts/seed.py", False),
        ("**/migrations/**", "app/db/migrations/0001.py", True),
        ("*_dev.py", "app/settings_dev.py", True),
        ("legacy/", "legacy/old.py", True),
        ("app/*.py", "app/sub/x.py", False),
    ],
)
def test_globs(pattern: str, path: str, hit: bool) -> None:
    assert scope.matches(path, [pattern]) is hit
