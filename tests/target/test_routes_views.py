"""Class-based handlers on the route map: flask-restx/flask-restful `Resource`s and Flask `MethodView`s,
one handler per HTTP method at its own `def` line (issue 14)."""

from __future__ import annotations

import ast
from pathlib import Path

from gate.target.routes import route_map
from tests.conftest import APPS

VIEWS = APPS / "restx_views"


def method_line(path: Path, cls: str, name: str) -> int:
    tree = ast.parse(path.read_text())
    body = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls).body
    return next(n.lineno for n in body if isinstance(n, ast.FunctionDef) and n.name == name)


def test_resources_and_method_views_map_each_method_to_its_def_line() -> None:
    app = VIEWS / "app.py"
    got = {(r.method, r.path, r.file, r.line, r.handler, r.framework) for r in route_map(VIEWS, VIEWS).routes}

    def row(method: str, path: str, cls: str) -> tuple[str, str, str, int, str, str]:
        name = method.lower()
        return (method, path, "app.py", method_line(app, cls, name), f"{cls}.{name}", "flask")

    assert got == {
        # Blueprint /api + Api + api.namespace("orders") (path: /orders)
        row("GET", "/api/orders/{order_id}", "Order"),
        row("PUT", "/api/orders/{order_id}", "Order"),
        row("GET", "/api/orders/", "OrderList"),
        # Namespace("staff-only") added with path="/staff": the path given wins over the name
        row("GET", "/api/staff/orders", "AllOrders"),
        # api.add_resource(Ping, "/ping")
        row("GET", "/api/ping", "Ping"),
        # app.add_url_rule(..., view_func=Receipt.as_view("receipt"))
        row("GET", "/receipts/{order_id}", "Receipt"),
    }


def test_restful_add_resource_init_app_and_namespace_defaults(tmp_path: Path) -> None:
    (tmp_path / "resources.py").write_text(
        "from flask_restful import Resource\n\n"
        "class Thing(Resource):\n"
        "    def get(self, thing_id):\n        return {}\n\n"
        "    def delete(self, thing_id):\n        return {}\n\n"
        "    def helper(self):\n        return 1\n"
    )
    (tmp_path / "app.py").write_text(
        "from flask import Flask\nfrom flask_restful import Api\nfrom flask_restx import Namespace, Resource\n"
        "from resources import Thing\n\n"
        "app = Flask(__name__)\napi = Api(prefix='/v2')\n"
        "api.add_resource(Thing, '/things/<int:thing_id>', '/t/<thing_id>')\n"
        "api.init_app(app)\n"
        "notes = Namespace('notes')\napi.add_namespace(notes)\n\n"
        "@notes.route('/<note_id>')\nclass Note(Resource):\n    async def patch(self, note_id):\n        return {}\n"
    )
    got = {(r.method, r.path, r.file, r.handler) for r in route_map(tmp_path, tmp_path).routes}
    assert got == {
        ("GET", "/v2/things/{thing_id}", "resources.py", "Thing.get"),
        ("DELETE", "/v2/things/{thing_id}", "resources.py", "Thing.delete"),
        ("GET", "/v2/t/{thing_id}", "resources.py", "Thing.get"),
        ("DELETE", "/v2/t/{thing_id}", "resources.py", "Thing.delete"),
        ("PATCH", "/v2/notes/{note_id}", "app.py", "Note.patch"),  # a Namespace's path defaults to /<name>
    }


def test_restx_payload_is_the_body(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "from flask import Flask\nfrom flask_restx import Api, Resource\n\n"
        "app = Flask(__name__)\napi = Api(app)\n\n"
        "@api.route('/users')\nclass Users(Resource):\n"
        "    def post(self):\n        return {'name': api.payload['name'], 'mail': api.payload.get('email')}\n"
    )
    (route,) = route_map(tmp_path, tmp_path).routes
    assert (route.id, route.body_fields) == ("POST /users", ("name", "email"))
