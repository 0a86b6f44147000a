"""API Gateway's route matching: path parameters, greedy parameters, and its preference between routes."""

from __future__ import annotations

from pathlib import Path

from gate.serverless.model import App, Route


def app(*routes: Route) -> App:
    return App(kind="sam", path=Path("t.yaml"), root=Path("."), routes=list(routes))


def test_parameters_are_one_segment_and_a_greedy_one_takes_the_rest() -> None:
    r = Route("GET", "/notes/{owner_id}/{note_id}", "F")
    assert r.match("GET", "/notes/alice/n-1") == {"owner_id": "alice", "note_id": "n-1"}
    assert r.match("GET", "/notes/alice") is None
    assert r.match("POST", "/notes/alice/n-1") is None
    proxy = Route("ANY", "/api/{proxy+}", "F")
    assert proxy.match("DELETE", "/api/a/b/c") == {"proxy": "a/b/c"}
    assert proxy.match("GET", "/api/") is None


def test_a_literal_route_beats_a_parameter_a_method_beats_any_and_greedy_comes_last() -> None:
    routes = app(
        Route("ANY", "/{proxy+}", "Proxy"),
        Route("GET", "/items/{id}", "ById"),
        Route("GET", "/items/latest", "Latest"),
        Route("ANY", "/items/{id}", "AnyById"),
    )
    assert routes.route_for("GET", "/items/latest")[0].function == "Latest"
    assert routes.route_for("GET", "/items/7")[0].function == "ById"
    assert routes.route_for("PUT", "/items/7")[0].function == "AnyById"
    assert routes.route_for("GET", "/other/x")[0].function == "Proxy"
    assert app(Route("GET", "/a", "A")).route_for("GET", "/b") is None


def test_route_keys_are_api_gateways() -> None:
    assert Route("ANY", "/{proxy+}", "F").key == "ANY /{proxy+}"
