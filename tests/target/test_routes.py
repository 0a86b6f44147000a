"""Routes to source: the ast route map of FastAPI and Flask services, and how it meets the operations."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.errors import ScanError
from gate.target.openapi import Operation, Spec
from gate.target.pysource import python_files
from gate.target.routes import attach, match_key, normalise_path, route_map
from gate.target.scope import walk
from tests.conftest import APPS, EXAMPLES

FASTAPI = APPS / "routes_fastapi"
FLASK = APPS / "routes_flask"


def def_line(path: Path, name: str) -> int:
    """The line of `def name(` in a fixture file (so the tests do not pin raw numbers)."""
    for i, text in enumerate(path.read_text().splitlines(), 1):
        if text.lstrip().startswith((f"def {name}(", f"async def {name}(")):
            return i
    raise AssertionError(f"no def {name} in {path}")


def routes_of(root: Path) -> set[tuple[str, str, str, int, str]]:
    return {(r.method, r.path, r.file, r.line, r.handler) for r in route_map(root, root).routes}


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("/users/<user_id>", "/users/{user_id}"),
        ("/things/<int:thing_id>", "/things/{thing_id}"),
        ("/files/<path:p>", "/files/{p}"),
        ("/files/{name:path}", "/files/{name}"),
        ("api//v1/", "/api/v1/"),
    ],
)
def test_path_parameters_are_normalised(raw: str, want: str) -> None:
    assert normalise_path(raw) == want


def test_templates_match_whatever_the_parameter_names() -> None:
    assert match_key("/users/{id}/") == match_key("/users/<user_id>") == "/users/{}"


def test_fastapi_routers_prefixes_and_includes_across_modules() -> None:
    users = FASTAPI / "routers" / "users.py"
    main = FASTAPI / "main.py"
    assert routes_of(FASTAPI) == {
        ("GET", "/health", "main.py", def_line(main, "health"), "health"),
        ("GET", "/multi", "main.py", def_line(main, "multi"), "multi"),
        ("POST", "/multi", "main.py", def_line(main, "multi"), "multi"),
        ("DELETE", "/added/{thing_id}", "main.py", def_line(main, "added"), "added"),
        ("GET", "/api/admin/stats", "routers/admin.py", def_line(FASTAPI / "routers/admin.py", "stats"), "stats"),
        (
            "DELETE",
            "/items/{item_id}",
            "routers/items.py",
            def_line(FASTAPI / "routers/items.py", "delete_item"),
            "delete_item",
        ),
        ("GET", "/v1/users", "routers/users.py", def_line(users, "list_users"), "list_users"),
        ("POST", "/v1/users", "routers/users.py", def_line(users, "create_user"), "create_user"),
        ("GET", "/v1/users/{user_id}", "routers/users.py", def_line(users, "get_user"), "get_user"),
        ("PUT", "/v1/users/{user_id}/files/{name}", "routers/users.py", def_line(users, "put_file"), "put_file"),
    }


def test_fastapi_query_parameters_and_model_bodies() -> None:
    by_id = {r.id: r for r in route_map(FASTAPI, FASTAPI).routes}
    assert by_id["GET /v1/users"].query_params == ("limit", "q")  # `who` is a dependency, not a query
    assert by_id["GET /v1/users/{user_id}"].query_params == ("fields",)
    assert by_id["POST /v1/users"].body_types == (("name", "string"), ("age", "integer"), ("tags", "array"))


def test_flask_blueprints_rules_method_views_and_factories() -> None:
    api, admin, things = FLASK / "views/api.py", FLASK / "views/admin.py", FLASK / "views/things.py"
    assert routes_of(FLASK) == {
        ("GET", "/ping", "app.py", def_line(FLASK / "app.py", "ping"), "ping"),
        ("GET", "/health", "app.py", def_line(FLASK / "app.py", "health"), "create_app.health"),
        ("GET", "/admin/reports/{name}", "views/admin.py", def_line(admin, "report"), "report"),
        ("GET", "/api/v2/users/{user_id}", "views/api.py", def_line(api, "user"), "user"),
        ("DELETE", "/api/v2/users/{user_id}", "views/api.py", def_line(api, "user"), "user"),
        ("GET", "/api/v2/search", "views/api.py", def_line(api, "search"), "search"),
        ("POST", "/api/v2/users", "views/api.py", def_line(api, "create_user"), "create_user"),
        ("GET", "/things/{thing_id}", "views/things.py", def_line(things, "get"), "ThingAPI.get"),
        ("PUT", "/things/{thing_id}", "views/things.py", def_line(things, "put"), "ThingAPI.put"),
    }


def test_flask_handlers_reads_become_query_and_body_fields() -> None:
    by_id = {r.id: r for r in route_map(FLASK, FLASK).routes}
    assert by_id["GET /api/v2/search"].query_params == ("q", "page", "sort")
    assert by_id["POST /api/v2/users"].body_fields == ("name", "email", "nick")


def test_tests_virtualenvs_and_node_modules_are_not_read(tmp_path: Path) -> None:
    route = 'from flask import Flask\napp = Flask(__name__)\n@app.get("/x")\ndef x():\n    return "x"\n'
    for rel in (
        "tests/a.py",
        "test_b.py",
        "c_test.py",
        "conftest.py",
        ".venv/d.py",
        "node_modules/e.py",
        "venv2/f.py",
        "pkg/app.py",
    ):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(route)
    (tmp_path / "venv2" / "pyvenv.cfg").write_text("home = /usr\n")
    assert [p.relative_to(tmp_path).as_posix() for p in python_files(tmp_path)] == ["pkg/app.py"]


def test_attach_locates_openapi_operations_on_handler_lines() -> None:
    spec = Spec(
        operations=[Operation(method="GET", path="/v1/users/{id}"), Operation(method="GET", path="/nowhere")],
        source="/openapi.json",
    )
    got = attach(spec, walk(FASTAPI, FASTAPI))
    users = FASTAPI / "routers" / "users.py"
    assert [(op.path, op.file, op.line) for op in got.operations] == [
        ("/v1/users/{id}", "routers/users.py", def_line(users, "get_user")),
        ("/nowhere", None, None),
    ]
    assert got.source == "/openapi.json"


def test_files_are_relative_to_the_scan_root_not_the_workdir() -> None:
    got = attach(Spec(operations=[Operation(method="GET", path="/ping")]), walk(FLASK, APPS))
    assert got.operations[0].file == "routes_flask/app.py"


def test_without_openapi_the_route_map_is_the_operation_list() -> None:
    got = attach(Spec(source="routes"), walk(EXAMPLES / "users-flask", EXAMPLES / "users-flask"))
    ops = {op.id: op for op in got.operations}
    assert sorted(ops) == [
        "GET /api/admin/users-count",
        "GET /api/users/{user_id}",
        "GET /api/users/{user_id}/posts",
        "GET /health",
        "GET /user",
        "POST /login",
        "PUT /api/profile",
    ]
    assert ops["GET /user"].query_params == ("user_id",)
    assert ops["GET /api/users/{user_id}"].path_params == ("user_id",)
    assert ops["POST /login"].body_fields == ("email", "password")
    assert all(op.file == "app.py" and op.line for op in ops.values())
    assert got.source == "Python source"


def test_no_openapi_and_no_routes_fails_closed(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("print('no routes here')\n")
    (tmp_path / "broken.py").write_text("def (:\n")
    with pytest.raises(ScanError, match="no route found") as err:
        attach(Spec(source="routes"), walk(tmp_path, tmp_path))
    assert err.value.details == ["broken.py: not parsed (SyntaxError: line 1)"]
