"""The local gateway end to end: real HTTP in, the event a real worker (in the sandbox) got, its answer out."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator

import jwt
import pytest

from gate.config import parse_config
from gate.serverless import project, tokens
from tests.serverless.conftest import SLS_APPS, UNUSED_DYNAMODB, Served, serve


@pytest.fixture(scope="module")
def rest() -> Iterator[Served]:
    with serve(SLS_APPS / "rest", "template.yaml") as s:
        yield s


def echoed(resp) -> dict:  # type: ignore[no-untyped-def]
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_cognito_route_gets_the_verified_claims_and_the_rest_event(rest: Served) -> None:
    got = echoed(rest.get("/echo/42?q=1&q=2", headers=rest.headers["alice"]))
    ev = got["event"]
    assert ev["resource"] == "/echo/{id}" and ev["pathParameters"] == {"id": "42"}
    assert ev["multiValueQueryStringParameters"] == {"q": ["1", "2"]}
    claims = ev["requestContext"]["authorizer"]["claims"]
    assert claims["sub"] == "alice" and claims["email"] == "alice@example.test" and claims["token_use"] == "id"
    assert isinstance(claims["exp"], str)  # API Gateway hands claims over as strings
    assert ev["requestContext"]["stage"] == "v1" and ev["requestContext"]["path"] == "/v1/echo/42"
    assert got["env"] == {"STAGE_NAME": "stage-dev", "FLAG": "true", "AWS_ENDPOINT_URL_DYNAMODB": UNUSED_DYNAMODB}
    assert got["function"] == "EchoFn" and 0 < got["remaining"] <= 5000


def test_rest_cognito_takes_the_bare_token(rest: Served) -> None:
    assert rest.cfg.auth.scheme == ""  # the identities send it bare, as a Cognito authorizer wants
    token = rest.headers["alice"]["Authorization"]
    assert rest.get("/echo/1", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_missing_forged_and_expired_tokens_get_api_gateways_401(rest: Served) -> None:
    assert rest.get("/echo/1").status_code == 401
    assert rest.get("/echo/1").json() == {"message": "Unauthorized"}
    token = rest.headers["alice"]["Authorization"]
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = jwt.encode(claims, "a-guessed-secret-of-thirty-two-bytes!", algorithm="HS256")
    assert rest.get("/echo/1", headers={"Authorization": forged}).status_code == 401
    header, payload, _ = token.split(".")
    assert rest.get("/echo/1", headers={"Authorization": f"{header}.{payload}."}).status_code == 401
    none = jwt.encode({**claims, "exp": int(time.time()) - 60}, None, algorithm="none")
    assert rest.get("/echo/1", headers={"Authorization": none}).status_code == 401


def test_answers_keep_single_and_multi_value_headers(rest: Served) -> None:
    resp = rest.get("/echo/1", headers=rest.headers["bob"])
    assert resp.headers["x-single"] == "one" and resp.headers.get_list("x-multi") == ["a", "b"]


def test_the_worker_stays_warm_and_prints_to_the_log(rest: Served) -> None:
    first = echoed(rest.get("/echo/1", headers=rest.headers["bob"]))["calls"]
    assert echoed(rest.get("/echo/2", headers=rest.headers["bob"]))["calls"] == first + 1
    assert any("echo call" in line and "EchoFn" in line for line in rest.gw.log_lines())


def test_an_opted_out_route_needs_no_token_and_a_missing_route_is_rests_403(rest: Served) -> None:
    ev = echoed(rest.client.post("/open", content=b"\x00\xff", headers={"content-type": "image/png"}))["event"]
    assert ev["isBase64Encoded"] is True and "authorizer" not in ev["requestContext"]
    resp = rest.get("/nowhere")
    assert resp.status_code == 403 and resp.json() == {"message": "Missing Authentication Token"}


def test_lambda_token_authorizer_policy_and_context(rest: Served) -> None:
    ev = echoed(rest.get("/keyed", headers={"X-Gate": "allow-me"}))["event"]
    assert ev["requestContext"]["authorizer"] == {"principalId": "gate-user", "tier": "gold", "n": 3}
    denied = rest.get("/keyed", headers={"X-Gate": "deny-me"})
    assert denied.status_code == 403 and "explicit deny" in denied.text
    assert rest.get("/keyed", headers={"X-Gate": "wrong"}).status_code == 401  # raise Exception("Unauthorized")
    assert rest.get("/keyed").status_code == 401  # no identity source: not even invoked


def test_http_api_simple_lambda_authorizer(rest: Served) -> None:
    ev = echoed(rest.get("/simple", headers={"X-Key": "open-sesame"}))["event"]
    assert ev["version"] == "2.0" and ev["requestContext"]["authorizer"] == {"lambda": {"who": "friend"}}
    resp = rest.get("/simple", headers={"X-Key": "nope"})
    assert resp.status_code == 403 and resp.json() == {"message": "Forbidden"}


def test_http_api_payload_1(rest: Served) -> None:
    ev = echoed(rest.get("/h/7"))["event"]
    assert (
        ev["version"] == "1.0" and ev["pathParameters"] == {"id": "7"} and ev["requestContext"]["stage"] == "$default"
    )


def test_flask_in_awsgi_through_the_proxy_route(rest: Served) -> None:
    resp = rest.get("/legacy/items/abc?q=x")
    assert resp.status_code == 200 and resp.json() == {"item_id": "abc", "q": "x"}
    resp = rest.client.post("/legacy/items", json={"name": "n"})
    assert resp.status_code == 201 and resp.json() == {"created": {"name": "n"}}


def test_a_function_past_its_timeout_is_killed_and_answers_rests_502(rest: Served) -> None:
    t0 = time.monotonic()
    resp = rest.get("/slow")
    assert resp.status_code == 502 and resp.json() == {"message": "Internal server error"}
    assert time.monotonic() - t0 < 2.5  # Timeout: 1


def test_a_crashed_worker_is_started_again(rest: Served) -> None:
    assert rest.get("/crash").status_code == 502
    assert rest.get("/crash").status_code == 502  # a fresh init, the same crash: still an answer
    assert rest.get("/echo/1", headers=rest.headers["alice"]).status_code == 200


def test_http_api_jwt_authorizer_checks_issuer_audience_and_bearer() -> None:
    with serve(SLS_APPS / "sls", "serverless.yml") as s:
        assert s.cfg.auth.jwt is not None and s.cfg.auth.jwt.algorithm == tokens.ALGORITHM
        got = s.get("/orders/o-1", headers=s.headers["alice"])
        assert got.status_code == 200, got.text
        assert got.json() == {"table": "orders-dev", "sub": "alice", "params": {"order_id": "o-1"}}
        assert s.get("/orders/o-1").status_code == 401
        bare = s.headers["alice"]["Authorization"].removeprefix("Bearer ")
        assert s.get("/orders/o-1", headers={"Authorization": bare}).status_code == 200  # the prefix is optional
        assert s.get("/public/orders").json()["sub"] is None
        assert s.get("/nowhere").status_code == 404


def test_chalice_app_served_with_its_authorizers() -> None:
    with serve(SLS_APPS / "chalice_app", ".chalice/config.json") as s:
        got = s.get("/tasks/t1", headers=s.headers["bob"])
        assert got.status_code == 200, got.text
        assert got.json() == {"task_id": "t1", "sub": "bob"}
        assert s.get("/tasks/t1").status_code == 401
        assert s.get("/keyed", headers={"Authorization": "let-me-in"}).json() == {"principal": "keyholder"}
        assert s.get("/keyed", headers={"Authorization": "other"}).status_code == 403
        assert s.get("/health").json() == {"ok": True}


def test_the_gateways_key_never_reaches_the_functions(rest: Served) -> None:
    got = echoed(rest.get("/echo/1", headers=rest.headers["alice"]))
    assert tokens.KEY_ENV not in json.dumps(got)


def test_a_configured_auth_jwt_keeps_its_algorithm_and_still_gets_the_authorizers_claims() -> None:
    cfg = parse_config(
        {
            "version": 1,
            "service": {"template": "serverless.yml"},
            "auth": {"jwt": {"algorithm": "HS256", "secret_env": "JWT_SECRET"}},
            "identities": {"alice": {"sub": "alice"}, "bob": {"sub": "bob"}},
        }
    )
    played = tokens.with_tokens(cfg, project.load(cfg, SLS_APPS / "sls"))
    assert played.auth.jwt == cfg.auth.jwt and played.auth.scheme == "Bearer"
    assert played.identities["alice"].claims["iss"] == "https://issuer.example.test/orders"
    assert played.identities["alice"].claims["aud"] == "orders-web"
    keys = tokens.verifying_keys(played, "s" * 48)
    assert keys is not None and keys.algorithm == "HS256" and keys.key == "s" * 48


def test_workers_run_in_the_sandbox_and_are_gone_after_stop() -> None:
    with serve(SLS_APPS / "sls", "serverless.yml") as s:
        workers = [w for lane in s.gw.lanes for w in lane.workers.values()]
        procs = [w.proc for w in workers if w.proc is not None]
        assert len(procs) == len(workers) == 2  # warm from the start: both functions' handlers imported
        box_root = str(workers[0].box.root)
        assert all(str(w.cwd).startswith(box_root) for w in workers)  # the sandbox's copy, not the workspace
        if os.geteuid() == 0 and workers[0].box.uid is not None:
            assert all(os.stat(f"/proc/{p.pid}").st_uid == workers[0].box.uid for p in procs if p.poll() is None)
    assert all(p.poll() is not None for p in procs)
