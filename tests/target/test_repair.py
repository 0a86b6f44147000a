"""Requests corrected from validation answers (issue 13): real FastAPI and Flask apps, then literal answers."""

# No `from __future__ import annotations`: FastAPI reads the handlers' annotations at run time, and the
# app's models are local to a function (so the test skips cleanly without email-validator).
import json
from typing import Any

import pytest

from gate.target.repair import parse_choices, repair
from gate.target.shape import FORM, JSON, MULTIPART, RequestShape, shape_from_source
from gate.target.values import PASSWORD, Built, build, errors

ATTEMPTS = 4  # what the caller allows


def send(client: Any, method: str, template: str, built: Built) -> tuple[int, str]:
    kwargs: dict[str, Any] = {"query_string" if hasattr(client, "application") else "params": built.query}
    kwargs["headers"] = dict(built.headers)
    if built.body is not None:
        if built.media == JSON:
            kwargs["json"] = built.body
        else:
            kwargs["data"] = built.body
            kwargs["headers"]["Content-Type"] = built.media
    path = template.format(**built.path)
    answer = client.open(path, method=method, **kwargs) if hasattr(client, "application") else None
    if answer is not None:
        return answer.status_code, answer.get_data(as_text=True)
    answer = client.request(method, path, **kwargs)
    return answer.status_code, answer.text


def until_accepted(client: Any, method: str, template: str, shape: RequestShape) -> tuple[int, list[int], Built]:
    """Send, repair from the answer, send again: at most ATTEMPTS repairs, as the caller does."""
    built = build(shape)
    statuses: list[int] = []
    for _ in range(ATTEMPTS + 1):
        status, text = send(client, method, template, built)
        statuses.append(status)
        if status < 300:
            return status, statuses, built
        fixed = repair(built, shape, status, text)
        if fixed is None:
            break
        built = fixed
    return statuses[-1], statuses, built


# -- FastAPI: pydantic v2 answers ---------------------------------------------------------------


def fastapi_client() -> Any:
    pytest.importorskip("email_validator")
    pytest.importorskip("multipart")
    from datetime import date
    from enum import IntEnum
    from typing import Annotated, Literal
    from uuid import UUID

    from fastapi import FastAPI, Form, Header, Query
    from fastapi.testclient import TestClient
    from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

    class Priority(IntEnum):
        LOW = 1
        HIGH = 3

    class Ticket(BaseModel):
        model_config = ConfigDict(extra="forbid")
        title: str = Field(min_length=30)
        owner: EmailStr
        priority: Priority
        due: date
        kind: Literal["bug", "feature"]
        ref: UUID
        code: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}-\d{4}$")]
        tags: list[str] = Field(min_length=2)
        count: int = Field(ge=10, multiple_of=5)
        flag: bool

    app = FastAPI()

    @app.post("/tickets", status_code=201)
    def create(ticket: Ticket, page: Annotated[int, Query(ge=1)]) -> dict[str, str]:
        return {"ok": ticket.title}

    @app.post("/login")
    def login(username: Annotated[EmailStr, Form()], password: Annotated[str, Form(min_length=8)]) -> dict[str, str]:
        return {"user": username}

    @app.get("/items/{item_id}")
    def item(
        item_id: int, kind: Annotated[Literal["a", "b"], Query()], x_token: Annotated[str, Header(min_length=10)]
    ) -> dict[str, str]:
        return {"kind": kind}

    return TestClient(app)


def test_fastapi_body_errors_are_repaired_until_2xx() -> None:
    client = fastapi_client()
    # as routes.py reads the source: no types beyond JSON's, `kind` and the query parameter not seen,
    # `nick` a field the model forbids
    fields = ("title", "owner", "priority", "due", "ref", "code", "nick", "flag")
    shape = shape_from_source((), (), [*((f, "string") for f in fields), ("tags", "array"), ("count", "integer")])
    status, statuses, built = until_accepted(client, "POST", "/tickets", shape)
    assert status == 201, statuses
    assert statuses[0] == 422 and len(statuses) <= ATTEMPTS + 1
    body = built.body
    assert "nick" not in body and body["kind"] == "bug" and body["priority"] == 1
    assert body["owner"] == "authgate-probe-owner@example.com" and body["due"] == "2030-01-15"
    assert body["count"] == 10 and len(body["tags"]) == 2 and body["code"] == "AAA-5555"
    assert built.query == {"page": "7"}


def test_fastapi_form_endpoint_sent_json_switches_to_a_form() -> None:
    client = fastapi_client()
    shape = shape_from_source((), (), [("username", "string"), ("password", "string")])
    status, statuses, built = until_accepted(client, "POST", "/login", shape)
    assert status == 200, statuses
    assert built.media == FORM
    assert built.body == {"username": "authgate-probe-username@example.com", "password": PASSWORD}


def test_fastapi_path_query_and_header_errors() -> None:
    client = fastapi_client()
    shape = shape_from_source(("item_id",), ("kind",), ())
    status, statuses, built = until_accepted(client, "GET", "/items/{item_id}", shape)
    assert status == 200, statuses
    assert built.path == {"item_id": "7"} and built.query == {"kind": "a"}
    assert built.headers == {"x-token": "authgate-probe-x-token"}


# -- Flask: plain messages and 415 --------------------------------------------------------------


def flask_client() -> Any:
    from flask import Flask, abort, jsonify, request

    app = Flask(__name__)

    @app.post("/signup")
    def signup() -> Any:
        data = request.get_json()  # Flask answers 415 itself when the body is not JSON
        if "email" not in data:
            return jsonify(error="missing field 'email'"), 400
        if "plan" not in data:
            return "plan is required", 400
        if "page" not in request.args:
            return jsonify(message="Missing required parameter: page"), 400
        return jsonify(ok=True), 201

    @app.post("/upload")
    def upload() -> Any:
        if not request.form:
            abort(415)
        return jsonify(ok=request.form["name"])

    return app.test_client()


def test_flask_plain_messages_add_the_fields_they_name() -> None:
    shape = RequestShape(body={"type": "object", "required": ["name"], "properties": {}}, media_types=(FORM,))
    status, statuses, built = until_accepted(flask_client(), "POST", "/signup", shape)
    assert status == 201, statuses
    assert statuses == [415, 400, 400, 400, 201]
    assert built.media == JSON
    assert built.body == {
        "name": "authgate-probe-name",
        "email": "authgate-probe-email@example.com",
        "plan": "authgate-probe-plan",
    }
    assert built.query == {"page": "authgate-probe-page"}


def test_flask_415_switches_json_to_a_form() -> None:
    shape = shape_from_source((), (), [("name", "string")])
    status, statuses, built = until_accepted(flask_client(), "POST", "/upload", shape)
    assert (status, statuses, built.media, built.body) == (200, [415, 200], FORM, {"name": "authgate-probe-name"})


# -- literal answers of other frameworks ----------------------------------------------------------

TYPED = RequestShape(
    body={
        "type": "object",
        "required": ["email", "role"],
        "properties": {
            "email": {"type": "string", "format": "email"},
            "role": {"type": "string", "enum": ["user", "admin"]},
            "age": {"type": "integer", "minimum": 18},
            "address": {"type": "object", "properties": {"zip": {"type": "string", "pattern": "^\\d{5}$"}}},
        },
    },
    media_types=(JSON,),
)
UNTYPED = shape_from_source((), (), [("name", "string")])


def body_of(shape: RequestShape, body: Any, answer: Any, status: int = 400) -> Any:
    built = Built(query={}, headers={}, cookies={}, body=body, media=JSON)
    fixed = repair(built, shape, status, json.dumps(answer) if not isinstance(answer, str) else answer)
    return None if fixed is None else fixed.body


def test_flask_restx_jsonschema_messages() -> None:
    answer = {
        "errors": {
            "email": "'email' is a required property",
            "age": "'x' is not of type 'integer'",
            "role": "'root' is not one of ['user', 'admin']",
            "address.zip": "'1' does not match '^\\\\d{5}$'",
            "name": "'ab' is too short",
        },
        "message": "Input payload validation failed",
    }
    sent = {"role": "root", "age": "x", "address": {"zip": "1"}, "name": "ab"}
    fixed = body_of(TYPED, sent, answer)
    assert fixed == {
        "email": "authgate-probe-email@example.com",
        "age": 18,
        "role": "user",
        "address": {"zip": "55555"},
        "name": "authgate-probe-name",  # `is too short` gives no length: at least 8, twice what was sent
    }
    assert errors(TYPED.body, {k: v for k, v in fixed.items() if k != "name"}) == []
    root = {"errors": {"": "'email' is a required property"}, "message": "Input payload validation failed"}
    assert body_of(UNTYPED, {"name": "n"}, root) == {"name": "n", "email": "authgate-probe-email@example.com"}


def test_marshmallow_and_webargs_messages() -> None:
    flat = {"email": ["Missing data for required field."], "nick": ["Unknown field."], "age": ["Not a valid integer."]}
    assert body_of(TYPED, {"nick": "n", "age": "a", "role": "user"}, flat, 422) == {
        "age": 18,
        "role": "user",
        "email": "authgate-probe-email@example.com",
    }
    webargs = {
        "errors": {
            "json": {
                "role": ["Must be one of: user, admin."],
                "name": ["Length must be between 30 and 32."],
                "id": ["Not a valid UUID."],
                "items": {"0": {"day": ["Not a valid date."]}},
            },
            "query": {"page": ["Missing data for required field."]},
        }
    }
    built = Built(
        query={}, headers={}, cookies={}, body={"role": "x", "name": "n", "id": "1", "items": [{}]}, media=JSON
    )
    fixed = repair(built, UNTYPED, 422, json.dumps(webargs))
    assert fixed is not None
    assert fixed.body["role"] == "user" and 30 <= len(fixed.body["name"]) <= 32
    assert errors({"format": "uuid"}, fixed.body["id"]) == [] and fixed.body["items"] == [{"day": "2030-01-15"}]
    assert fixed.query == {"page": "authgate-probe-page"}
    smorest = {
        "code": 422,
        "status": "Unprocessable Entity",
        "messages": {"json": {"mail": ["Not a valid email address."]}},
    }
    assert body_of(UNTYPED, {"mail": "m"}, smorest, 422) == {"mail": "authgate-probe-mail@example.com"}
    assert body_of(UNTYPED, {"n": 1}, {"n": ["Shorter than minimum length 3."]}) == {"n": "authgate-probe-n"}


def test_pydantic_v1_answers() -> None:
    answer = {
        "detail": [
            {"loc": ["body", "email"], "msg": "field required", "type": "value_error.missing"},
            {"loc": ["body", "age"], "msg": "value is not a valid integer", "type": "type_error.integer"},
            {
                "loc": ["body", "role"],
                "msg": "value is not a valid enumeration member; permitted: 'user', 'admin'",
                "type": "type_error.enum",
                "ctx": {"enum_values": ["user", "admin"]},
            },
            {"loc": ["body", "extra"], "msg": "extra fields not permitted", "type": "value_error.extra"},
            {
                "loc": ["query", "limit"],
                "msg": "ensure this value is less than or equal to 50",
                "type": "value_error.number.not_le",
                "ctx": {"limit_value": 50},
            },
        ]
    }
    built = Built(
        query={"limit": "100"}, headers={}, cookies={}, body={"age": "a", "role": "x", "extra": 1}, media=JSON
    )
    fixed = repair(built, UNTYPED, 422, json.dumps(answer))
    assert fixed is not None
    assert fixed.body == {"age": 7, "role": "user", "email": "authgate-probe-email@example.com"}
    assert fixed.query == {"limit": "7"}


def test_pydantic_v2_whole_body_and_nested_locations() -> None:
    missing_body = {"detail": [{"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}]}
    assert body_of(TYPED, None, missing_body, 422) == {"email": "authgate-probe-email@example.com", "role": "user"}
    wrong_media = {"detail": [{"type": "json_invalid", "loc": ["body", 0], "msg": "JSON decode error", "ctx": {}}]}
    form = Built(query={}, headers={}, cookies={}, body={"email": "e"}, media=FORM)
    switched = repair(form, TYPED, 422, json.dumps(wrong_media))
    assert switched is not None and switched.media == JSON and switched.body["role"] == "user"
    nested = {
        "detail": [
            {
                "type": "greater_than",
                "loc": ["body", "lines", 1, "qty"],
                "msg": "Input should be greater than 0",
                "input": 0,
                "ctx": {"gt": 0},
            },
            {"type": "url_parsing", "loc": ["body", "site"], "msg": "Input should be a valid URL", "ctx": {}},
        ]
    }
    assert body_of(UNTYPED, {"lines": [{"qty": 1}, {"qty": 0}]}, nested, 422) == {
        "lines": [{"qty": 1}, {"qty": 7}],
        "site": "https://example.com/authgate-probe-site",
    }


def test_nothing_to_act_on_is_none() -> None:
    assert body_of(UNTYPED, {"name": "n"}, {"message": "Input payload validation failed"}) is None
    assert body_of(UNTYPED, {"name": "n"}, "<html>Bad Request</html>") is None
    assert body_of(UNTYPED, {"name": "n"}, {"detail": "Not authenticated"}, 401) is None
    multipart = RequestShape(body={"type": "object"}, media_types=(MULTIPART,))
    built = Built(query={}, headers={}, cookies={}, body={"a": 1}, media=JSON)
    assert repair(built, multipart, 415, "") == Built({}, {}, {}, {"a": "1"}, MULTIPART)


@pytest.mark.parametrize(
    ("expected", "choices"),
    [("'a' or 'b'", ["a", "b"]), ("1, 2 or 3", [1, 2, 3]), ("'low', 'mid' or 'high'", ["low", "mid", "high"])],
)
def test_parse_choices(expected: str, choices: list[Any]) -> None:
    assert parse_choices(expected) == choices
