"""`authgate init` on repositories of the shapes real ones have, each written config then scanned unedited.

The repositories are in `tests/init/repos/`: a Flask app factory with a blueprint (`flask_factory`),
a FastAPI package with routers and a dev script that creates the table (`fastapi_pkg`), and pynamodb
models (`pynamodb_models`, read only: its tables are what is checked).
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from gate.config import Config, load_config
from tests.conftest import run_cli, scan_report

REPOS = Path(__file__).resolve().parent / "repos"


def init(tmp_path: Path, shape: str, *extra: str) -> tuple[Path, Config, str]:
    repo = tmp_path / shape
    shutil.copytree(REPOS / shape, repo)
    p = run_cli("init", str(repo), *extra)
    assert p.returncode == 0, p.stderr
    assert p.stderr == "", p.stderr
    text = (repo / ".authgate.yml").read_text()
    return repo, load_config(repo / ".authgate.yml"), text


def def_line(path: Path, name: str) -> int:
    return next(n.lineno for n in ast.walk(ast.parse(path.read_text())) if getattr(n, "name", None) == name)


def todos(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if "# TODO:" in line]


def tables(cfg: Config) -> list[dict]:
    return [t.model_dump() for t in cfg.dynamodb.tables]


def test_fastapi_package_with_routers_scans_unedited(tmp_path: Path) -> None:
    repo, cfg, text = init(tmp_path, "fastapi_pkg")
    assert cfg.service.command == "uvicorn app.main:app --host 127.0.0.1 --port {port}"
    assert cfg.service.ready == "/healthz"
    assert cfg.openapi == "/openapi.json"
    # ITEMS_TABLE has no default: the name is the table the dev script creates, GSI included
    assert cfg.service.env == {"ITEMS_TABLE": "inventory-items"}
    assert tables(cfg) == [
        {
            "name": "inventory-items",
            "key": {"owner_id": "S", "item_id": "S"},
            "indexes": [{"name": "by_sku", "key": {"sku": "S"}}],
        }
    ]
    assert cfg.auth.jwt is not None
    assert (cfg.auth.jwt.secret_env, cfg.auth.jwt.algorithm, cfg.auth.jwt.subject_claim) == (
        "INVENTORY_SECRET",
        "HS512",
        "user_id",
    )
    # the code parses the caller's id as a UUID: the identities and their items' owner keys are UUIDs
    subs = {name: i.sub for name, i in cfg.identities.items()}
    assert all(len(s) == 36 and s.count("-") == 4 for s in subs.values()), subs
    assert {(f.owner, f.item["owner_id"]) for f in cfg.fixtures} == {(n, s) for n, s in subs.items()}
    # the role check (`user["role"] != "admin"` on the token's claims) is understood: no TODO
    assert cfg.identities["admin"].claims == {"role": "admin"} and cfg.identities["admin"].role == "admin"
    assert todos(text) == []
    assert cfg.checks.public == ["GET /healthz"]

    p, report = scan_report(repo, tmp_path)
    assert p.returncode == 1, p.stdout + p.stderr
    line = def_line(repo / "app" / "routers" / "items.py", "read_item")
    bola = {(f["route"], f["identity"], f["file"], f["line"]) for f in report["findings"] if f["check"] == "bola.read"}
    assert bola == {("/items/{owner_id}/{item_id}", "alice", "app/routers/items.py", line)}


def test_flask_app_factory_with_a_blueprint_scans_unedited(tmp_path: Path) -> None:
    repo, cfg, text = init(tmp_path, "flask_factory")
    assert cfg.service.command == 'flask --app "blog:create_app()" run --host 127.0.0.1 --port {port}'
    assert cfg.service.ready == "/api/health"
    assert cfg.openapi is None  # Flask serves no document: the routes come from the source
    assert cfg.service.env == {"USERS_TABLE": "blog-users", "POSTS_TABLE": "posts"}
    # no create_table anywhere: the keys are read off the get_item calls
    assert tables(cfg) == [
        {"name": "blog-users", "key": {"user_id": "S"}, "indexes": []},
        {"name": "posts", "key": {"user_id": "S", "post_id": "S"}, "indexes": []},
    ]
    # the secret goes through app.config["JWT_SECRET"] = os.environ["BLOG_JWT_SECRET"]
    assert cfg.auth.jwt is not None
    assert (cfg.auth.jwt.secret_env, cfg.auth.jwt.algorithm) == ("BLOG_JWT_SECRET", "HS384")
    assert todos(text) == ["# TODO: is this how an admin is marked? (no role check was understood in the code)"]
    assert [(f.table, f.owner) for f in cfg.fixtures] == [
        (t, n) for t in ("blog-users", "posts") for n in ("alice", "bob", "admin")
    ]

    p, report = scan_report(repo, tmp_path)
    assert p.returncode == 1, p.stdout + p.stderr
    line = def_line(repo / "blog" / "posts.py", "read_post")
    bola = {(f["route"], f["identity"], f["file"], f["line"]) for f in report["findings"] if f["check"] == "bola.read"}
    assert bola == {("/api/posts/{user_id}/{post_id}", "alice", "blog/posts.py", line)}


def test_pynamodb_models_give_tables_keys_and_indexes(tmp_path: Path) -> None:
    _, cfg, text = init(tmp_path, "pynamodb_models")
    assert tables(cfg) == [
        {"name": "app-users", "key": {"user_id": "S"}, "indexes": [{"name": "by-email", "key": {"email": "S"}}]},
        {"name": "orders", "key": {"customer_id": "S", "orderNo": "N"}, "indexes": []},
    ]
    assert cfg.service.env == {"USERS_TABLE": "app-users"}
    users = [f.item for f in cfg.fixtures if f.table == "app-users"]
    assert [u["email"] for u in users] == ["alice@example.test", "bob@example.test", "admin@example.test"]
    orders = [f.item["orderNo"] for f in cfg.fixtures if f.table == "orders"]
    assert all(isinstance(n, int) for n in orders) and len(set(orders)) == 3
    assert any("no FastAPI or Flask app was found" in t for t in todos(text))


def test_an_existing_config_is_kept_unless_forced(tmp_path: Path) -> None:
    repo, _, _ = init(tmp_path, "flask_factory")
    (repo / ".authgate.yml").write_text("mine\n")
    p = run_cli("init", str(repo))
    assert p.returncode == 2
    assert p.stderr.strip().splitlines() == [
        f"authgate: init: {repo / '.authgate.yml'} exists: not overwritten (use --force to replace it)"
    ]
    assert (repo / ".authgate.yml").read_text() == "mine\n"
    p = run_cli("init", str(repo), "--force")
    assert p.returncode == 0, p.stderr
    assert load_config(repo / ".authgate.yml").service.command.startswith("flask --app")
    assert sorted(x.name for x in repo.iterdir() if x.name.startswith(".")) == [".authgate.yml"]  # no temp file left


@pytest.mark.parametrize("what", ["missing", "file"])
def test_init_on_no_directory_is_one_line(tmp_path: Path, what: str) -> None:
    target = tmp_path / "nowhere"
    if what == "file":
        target.write_text("x")
    p = run_cli("init", str(target))
    assert p.returncode == 2
    assert p.stderr.strip().splitlines() == [f"authgate: init: {target}: no such directory"]


def test_scan_without_a_config_suggests_init(tmp_path: Path) -> None:
    p = run_cli("scan", str(tmp_path), "--output", str(tmp_path / "r.json"))
    assert p.returncode == 2
    assert f"`authgate init {tmp_path}` writes one from the code" in p.stdout + p.stderr


def test_a_service_in_a_subfolder_beside_a_dead_copy_runs_from_its_folder(tmp_path: Path) -> None:
    shutil.copytree(REPOS / "flask_factory", tmp_path / "services" / "blog")
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    (legacy / "app.py").write_text(
        'import jwt\nfrom flask import Flask\n\napp = Flask(__name__)\nSECRET = "old"\n\n\n'
        '@app.get("/x")\ndef x():\n    return jwt.decode("t", SECRET, algorithms=["HS256"])\n'
    )
    p = run_cli("init", str(tmp_path))
    assert p.returncode == 0, p.stderr
    cfg = load_config(tmp_path / ".authgate.yml")
    assert cfg.service.workdir == "services/blog"
    assert cfg.service.command == 'flask --app "blog:create_app()" run --host 127.0.0.1 --port {port}'
    assert cfg.auth.jwt is not None and cfg.auth.jwt.secret_env == "BLOG_JWT_SECRET"  # not legacy's literal
    p, report = scan_report(tmp_path, tmp_path)
    assert p.returncode == 1, p.stdout + p.stderr
    line = def_line(tmp_path / "services" / "blog" / "blog" / "posts.py", "read_post")
    bola = {(f["file"], f["line"]) for f in report["findings"] if f["check"] == "bola.read"}
    assert bola == {("services/blog/blog/posts.py", line)}
