"""OpenAPI autodiscovery (issue 14): with `openapi` at its default the gate tries where frameworks serve the
document, then falls back to the source route map with a note; an explicit `openapi:` that fails is an error.
Real WSGI servers on 127.0.0.1."""

from __future__ import annotations

import importlib.util
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, Response
from werkzeug.serving import make_server

from gate.config import Config
from gate.errors import ScanError
from gate.target import openapi
from gate.target.routes import attach
from gate.target.scope import walk
from tests.conftest import APPS

VIEWS = APPS / "restx_views"
TRIED = (
    "/openapi.json, /swagger.json, /openapi.yaml, /apispec_1.json, /v3/api-docs, /api/openapi.json, /api/swagger.json"
)


@contextmanager
def serving(app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


def config(**top: Any) -> Config:
    base = {
        "version": 1,
        "service": {"url": "http://127.0.0.1:1"},
        "identities": {"a": {"sub": "a"}, "b": {"sub": "b"}},
    }
    return Config.model_validate({**base, **top})


def flask_app(routes: dict[str, Callable[[], Any]]) -> Flask:
    app = Flask("discovery")
    for path, view in routes.items():
        app.add_url_rule(path, path, view)
    return app


def views_app() -> Any:
    spec = importlib.util.spec_from_file_location("restx_views_app", VIEWS / "app.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.app


def test_flask_restx_swagger_is_found_and_its_base_path_applied() -> None:
    with serving(views_app()) as url:
        spec = openapi.discover(config(), VIEWS, url)
    assert spec.source == "/api/swagger.json"
    assert spec.notes[0] == "openapi: not configured; the document served at /api/swagger.json is read"
    # Swagger 2.0 `basePath: /api` is where the routes are served: the operations carry it
    assert sorted(op.id for op in spec.operations) == [
        "GET /api/orders/",
        "GET /api/orders/{order_id}",
        "GET /api/ping",
        "GET /api/staff/orders",
        "PUT /api/orders/{order_id}",
    ]
    located = attach(spec, walk(VIEWS, VIEWS))  # and the source map gives each its Resource method's line
    assert {op.id: (op.file, op.line) for op in located.operations}["GET /api/orders/{order_id}"] == ("app.py", 61)


def test_a_yaml_document_is_found() -> None:
    doc = (
        "openapi: 3.0.0\ninfo: {title: t, version: '1'}\n"
        "paths:\n  /ping:\n    get:\n      responses: {'200': {description: ok}}\n"
    )
    with serving(flask_app({"/openapi.yaml": lambda: Response(doc, mimetype="application/yaml")})) as url:
        spec = openapi.discover(config(), VIEWS, url)
    assert (spec.source, [op.id for op in spec.operations]) == ("/openapi.yaml", ["GET /ping"])


def test_without_a_document_the_source_is_the_operation_list_and_a_note_says_what_was_tried() -> None:
    with serving(flask_app({"/health": lambda: "ok"})) as url:
        spec = openapi.discover(config(), VIEWS, url)
    assert spec.operations == []
    tried = ", ".join(f"{p} 404" for p in openapi.DISCOVERY)
    assert spec.notes == [
        f"openapi: not configured and no document found ({tried}): operations read from the Python source; "
        "set `openapi:` to the document's path or file, or `openapi: null` to say there is none"
    ]
    located = attach(spec, walk(VIEWS, VIEWS))
    assert located.source == "Python source"
    assert located.notes[0] == spec.notes[0]
    assert len(located.operations) == 6 and located.files == ["app.py"]


def test_a_page_answering_200_everywhere_is_no_document() -> None:
    app = Flask("spa")
    app.add_url_rule("/<path:anything>", "any", lambda anything: "<html>app</html>")
    with serving(app) as url:
        spec = openapi.discover(config(), VIEWS, url)
    assert spec.operations == [] and "/openapi.json answered 200, no `paths`" in spec.notes[0]
    json_app = flask_app({"/openapi.json": lambda: {"status": "ok"}})
    with serving(json_app) as url:
        assert "/openapi.json answered 200, no `paths`" in openapi.discover(config(), VIEWS, url).notes[0]
    with serving(flask_app({"/openapi.json": lambda: Response("{not json", mimetype="application/json")})) as url:
        assert "/openapi.json answered 200, not JSON or YAML" in openapi.discover(config(), VIEWS, url).notes[0]


def test_the_search_shares_one_time_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    def slow() -> str:
        time.sleep(2)
        return "late"

    monkeypatch.setattr(openapi, "FETCH_SECONDS", 0.5)
    app = flask_app({p: slow for p in ("/openapi.json", "/swagger.json")})
    t0 = time.monotonic()
    with serving(app) as url:
        spec = openapi.discover(config(), VIEWS, url)
    assert time.monotonic() - t0 < 2
    assert "/openapi.json failed (Overdue)" in spec.notes[0]
    assert "/v3/api-docs not tried (time budget spent)" in spec.notes[0]


def test_an_explicit_openapi_that_fails_is_an_error() -> None:
    with serving(flask_app({"/health": lambda: "ok"})) as url:
        with pytest.raises(ScanError, match=r"openapi: GET /openapi.json answered 404"):
            openapi.discover(config(openapi="/openapi.json"), VIEWS, url)
        assert openapi.discover(config(openapi=None), VIEWS, url).source == "routes"


def test_a_swagger_file_in_the_repository_gets_its_base_path(tmp_path: Path) -> None:
    doc = {"swagger": "2.0", "basePath": "/v1/", "paths": {"/items/{id}": {"get": {"responses": {}}}}}
    (tmp_path / "swagger.json").write_text(json.dumps(doc))
    spec = openapi.discover(config(openapi="swagger.json"), tmp_path, None)
    assert [op.id for op in spec.operations] == ["GET /v1/items/{id}"]


def test_discovery_lists_every_place_it_looks() -> None:
    assert ", ".join(openapi.DISCOVERY) == TRIED
