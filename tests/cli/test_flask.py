"""The whole CLI against the Flask examples (no OpenAPI document): routes from source, located findings.

Also checks that findings on the FastAPI example land on its handlers' `def` lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import EXAMPLES


def handler_lines(app: Path) -> dict[str, int]:
    """Handler name -> its `def` line, read independently of gate.target.routes."""
    tree = ast.parse(app.read_text())
    return {n.name: n.lineno for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}


def decorated_routes(app: Path) -> dict[str, int]:
    """`METHOD /path` -> the `def` line of its FastAPI handler, read independently of gate.target.routes."""
    out: dict[str, int] = {}
    for node in ast.walk(ast.parse(app.read_text())):
        if isinstance(node, ast.FunctionDef):
            for dec in node.decorator_list:
                if isinstance(dec, ast.Call) and isinstance(dec.func, ast.Attribute) and dec.args:
                    out[f"{dec.func.attr.upper()} {ast.literal_eval(dec.args[0])}"] = node.lineno
    return out


def test_flask_example_fails_with_dynamic_and_static_findings(flask_report: tuple[int, dict, str]) -> None:
    code, report, output = flask_report
    assert code == 1, output
    assert report["complete"] is True and report["target"]["operations"] == 7
    lines = handler_lines(EXAMPLES / "users-flask" / "app.py")
    dynamic = {
        (f["check"], f"{f['method']} {f['route']}", f["identity"], f["file"], f["line"])
        for f in report["findings"]
        if f["family"] != "static"
    }
    assert dynamic == {
        ("authn.missing", "GET /user", None, "app.py", lines["get_user"]),
        ("bola.read", "GET /api/users/{user_id}", "alice", "app.py", lines["get_user_profile"]),
        ("bola.read", "GET /api/users/{user_id}/posts", "alice", "app.py", lines["get_user_posts"]),
        ("exposure.secret", "GET /user", "alice", "app.py", lines["get_user"]),
        ("exposure.secret", "GET /api/users/{user_id}", "alice", "app.py", lines["get_user_profile"]),
        ("errors.leak", "GET /user", "alice", "app.py", lines["get_user"]),
        ("mass-assignment.privilege", "PUT /api/profile", "alice", "app.py", lines["update_profile"]),
        ("bfla.privileged-operation", "GET /api/admin/users-count", "alice", "app.py", lines["admin_users_count"]),
        ("jwt.no-exp", "GET /api/users/{user_id}", "alice", "app.py", lines["get_user_profile"]),
    }
    static = sorted(
        (f["check"], f"{f['method']} {f['route']}".strip()) for f in report["findings"] if f["family"] == "static"
    )
    assert static == [
        ("static.error-leak", "GET /user"),
        ("static.hardcoded-jwt-secret", ""),
        ("static.password-compare", "POST /login"),
        ("static.plain-http-endpoint", ""),
        ("static.secret-logged", "POST /login"),
        ("static.secret-logged", "POST /login"),
        ("static.tls-verify-off", ""),
        ("static.unscoped-scan", "GET /api/admin/users-count"),
        ("static.update-from-request", "PUT /api/profile"),
        ("static.weak-password-hash", "POST /login"),
    ]


def test_flask_query_parameter_route_is_probed_with_the_owner(flask_report: tuple[int, dict, str]) -> None:
    _, report, _ = flask_report
    f = next(f for f in report["findings"] if f["check"] == "authn.missing")
    assert f["evidence"]["request"]["path"] == "/user?user_id=alice"
    call = f["evidence"]["dynamodb_calls"][0]
    assert (call["operation"], call["table"], call["key"]) == ("GetItem", "users", {"user_id": "alice"})


def test_static_findings_carry_the_code_excerpt(flask_report: tuple[int, dict, str]) -> None:
    _, report, _ = flask_report
    app = (EXAMPLES / "users-flask" / "app.py").read_text().splitlines()
    for f in (f for f in report["findings"] if f["family"] == "static"):
        code = f["evidence"]["code"]
        assert code["file"] == f["file"] == "app.py" and code["line"] == f["line"]
        shown = code["excerpt"].split("…")[0]  # a masked secret ends the comparable part
        assert shown and app[f["line"] - 1].strip().startswith(shown), f["check"]
        assert f["evidence"]["notes"] and f["identity"] is None
    secret = next(f for f in report["findings"] if f["check"] == "static.hardcoded-jwt-secret")
    assert "dev-secret-change-me" not in str(secret)


def test_flask_fixed_example_is_clean(flask_fixed_report: tuple[int, dict, str]) -> None:
    code, report, output = flask_fixed_report
    assert report["findings"] == [], [(f["check"], f["route"]) for f in report["findings"]]
    assert code == 0, output
    assert report["verdict"] == "pass" and report["target"]["operations"] == 7


def test_fastapi_findings_land_on_handler_lines(vulnerable_report: tuple[int, dict, str]) -> None:
    _, report, _ = vulnerable_report
    by_route = decorated_routes(EXAMPLES / "profiles-fastapi" / "app.py")
    assert report["findings"]
    for f in report["findings"]:
        assert f["file"] in ("app.py", "passwords.py") and f["line"], f["check"]
        if f["route"] and f["family"] != "static":  # static findings sit on the flawed line itself
            assert f["line"] == by_route[f"{f['method']} {f['route']}"], f["check"]
