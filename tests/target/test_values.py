"""Schema-valid values and requests (issue 13): unit cases, then a real FastAPI app that must answer 2xx."""

# No `from __future__ import annotations`: FastAPI reads the handlers' annotations at run time, and the
# app's models are local to a function (so the test skips cleanly without email-validator).
import re
from typing import Any

import pytest

from gate.target.openapi import Operation, parse
from gate.target.shape import FORM, JSON, MULTIPART, Param, RequestShape
from gate.target.values import (
    PASSWORD,
    Built,
    build,
    errors,
    example,
    number,
    pattern_string,
    privileged,
    stringify,
)


@pytest.mark.parametrize(
    ("schema", "name", "expected"),
    [
        ({"type": "string"}, "title", "authgate-probe-title"),
        ({"type": "string", "format": "email"}, "owner", "authgate-probe-owner@example.com"),
        ({"type": "string"}, "contact_email", "authgate-probe-contact-email@example.com"),
        ({}, "password", PASSWORD),
        ({"type": "string"}, "created_at", "2030-01-15T12:00:00Z"),
        ({"type": "string"}, "birth_date", "2030-01-15"),
        ({"type": "string", "format": "date"}, "x", "2030-01-15"),
        ({"type": "string", "format": "ipv4"}, "x", "192.0.2.10"),
        ({"type": "string", "example": "hello"}, "x", "hello"),
        ({"type": "string", "examples": ["first", "second"]}, "x", "first"),
        ({"type": "string", "examples": {"one": {"value": "v1"}}}, "x", "v1"),
        ({"type": "string", "default": None}, "x", "authgate-probe-x"),  # None default: the type is not nullable
        ({"type": "string", "nullable": True, "default": None}, "x", None),
        ({"const": "fixed"}, "x", "fixed"),
        ({"enum": [None, "b", "c"]}, "x", "b"),
        ({"type": ["null", "integer"]}, "x", 7),
        ({"anyOf": [{"type": "null"}, {"type": "integer", "minimum": 10}]}, "x", 10),
        (
            {"allOf": [{"type": "object", "required": ["a"]}, {"properties": {"a": {"type": "boolean"}}}]},
            "",
            {"a": False},
        ),
        ({"type": "string", "minLength": 20}, "ab", "authgate-probe-abxxx"),
        ({"type": "string", "maxLength": 5}, "ab", "authg"),
        ({"type": "string", "pattern": "^[A-Z]{3}-\\d{4}$"}, "code", "AAA-5555"),
        ({"type": "string", "pattern": "probe"}, "code", "authgate-probe-code"),  # unanchored: the label matches
        ({"type": "integer", "minimum": 1, "maximum": 3}, "x", 1),
        ({"type": "integer", "minimum": 10, "multipleOf": 5}, "x", 10),
        ({"type": "integer", "maximum": 5}, "x", 5),
        ({"type": "integer", "exclusiveMaximum": 5}, "x", 4),  # 3.1 numeric form
        ({"type": "integer", "maximum": 5, "exclusiveMaximum": True}, "x", 4),  # 3.0 boolean form
        ({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}, "x", 0.5),
        ({"type": "number"}, "x", 7.5),
        ({"type": "array", "items": {"type": "integer"}, "minItems": 3, "uniqueItems": True}, "x", [7, 8, 9]),
        ({"type": "array", "items": {"enum": ["a", "b"]}, "minItems": 2, "uniqueItems": True}, "x", ["a", "b"]),
        (
            {
                "type": "object",
                "required": ["id", "name"],
                "properties": {"id": {"type": "integer", "readOnly": True}, "name": {}, "opt": {}},
            },
            "",
            {"name": "authgate-probe-name"},
        ),
    ],
)
def test_example(schema: dict[str, Any], name: str, expected: Any) -> None:
    assert example(schema, name) == expected
    assert example(schema, name) == expected  # deterministic


def test_every_format_value_is_valid_where_jsonschema_checks_it() -> None:
    for fmt in ("email", "uuid", "date", "date-time", "ipv4", "ipv6", "time", "hostname"):
        schema = {"type": "string", "format": fmt}
        assert errors(schema, example(schema, "field")) == [], fmt
    uid = example({"type": "string", "format": "uuid"}, "user")
    assert uid == example({"type": "string", "format": "uuid"}, "user") != example({"format": "uuid"}, "other")


@pytest.mark.parametrize(
    "pattern",
    [r"^[a-f0-9]{8}$", r"^(ab|cd)+-\w{2,3}\s?$", r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", r"^(x)(?P<y>y)(?P=y)$", r"^\D\W$"],
)
def test_pattern_strings_match(pattern: str) -> None:
    assert re.search(pattern, pattern_string(pattern, "authgate-probe"))


def test_pattern_with_a_length_bound_and_an_unsupported_construct() -> None:
    assert len(pattern_string(r"^[a-z]+$", "authgate-probe", 10, 12)) in range(10, 13)
    assert pattern_string(r"^(?=x)x$", "authgate-probe") == "authgate-probe"  # lookahead: falls back to the label


def test_numbers() -> None:
    assert number({"multipleOf": 0.25, "minimum": 8}, integer=False) == 8
    assert number({"minimum": 7, "exclusiveMinimum": True}, integer=True) == 8


def test_recursion_is_capped() -> None:
    node: dict[str, Any] = {"type": "object", "required": ["child"], "properties": {}}
    node["properties"]["child"] = node  # a cycle in memory: the depth cap ends it
    value = example(node)
    depth = 0
    while value:
        value, depth = value["child"], depth + 1
    assert depth == 10


def test_errors_convert_openapi_30() -> None:
    assert errors({"type": "string", "nullable": True, "example": 3}, None) == []
    assert errors({"type": "integer", "minimum": 3, "exclusiveMinimum": True}, 3) == [
        "$: 3 is less than or equal to the minimum of 3"
    ]
    found = errors({"type": "object", "properties": {"e": {"type": "string", "format": "email"}}}, {"e": "nope"})
    assert found == ["$.e: 'nope' is not a 'email'"]
    read_only = {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer", "readOnly": True}}}
    assert errors(read_only, {}) == []  # OpenAPI: a required readOnly property is required in responses only
    assert all(len(e) <= 200 for e in errors({"enum": ["x" * 300]}, "y"))


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"enum": ["viewer", "editor", "admin"]}, "admin"),
        ({"enum": ["user", "SuperAdmin", "admin"]}, "SuperAdmin"),
        ({"anyOf": [{"const": "member"}, {"const": "org_owner"}, {"type": "null"}]}, "org_owner"),
        ({"enum": [1, 2, 3]}, 3),
        ({"type": "boolean"}, True),
        ({"type": "array", "items": {"enum": ["user", "staff"]}}, ["staff"]),
        ({"enum": ["red", "blue"]}, None),
        ({"type": "string"}, None),
    ],
)
def test_privileged(schema: dict[str, Any], expected: Any) -> None:
    assert privileged(schema) == expected


def test_build_required_params_by_location_and_a_form_body() -> None:
    shape = RequestShape(
        params=(
            Param("org_id", "path", True, {"type": "integer"}),
            Param("user_id", "path", True, {"type": "string", "format": "uuid"}),
            Param("page", "query", True, {"type": "integer"}),
            Param("flag", "query", True, {"type": "boolean"}),
            Param("tags", "query", True, {"type": "array", "items": {"type": "string"}, "minItems": 2}),
            Param("limit", "query", False, {"type": "integer"}),
            Param("X-Tenant", "header", True, {"type": "string"}),
            Param("session", "cookie", True, {"type": "string"}),
        ),
        body={"type": "object", "required": ["n", "ok"], "properties": {"n": {"type": "integer"}, "ok": {}}},
        media_types=(FORM, MULTIPART),
    )
    built = build(shape, {"org_id": 42})
    assert built == Built(
        query={"page": "7", "flag": "false", "tags": "authgate-probe-tags,authgate-probe-tags"},
        headers={"X-Tenant": "authgate-probe-X-Tenant"},
        cookies={"session": "authgate-probe-session"},
        body={"n": "7", "ok": "authgate-probe-ok"},
        media=FORM,
        path={"org_id": "42", "user_id": built.path["user_id"]},
    )
    assert build(RequestShape()).body is None and build(RequestShape()).media == JSON
    assert build(RequestShape(body={})).body == {}
    assert stringify({"b": 1, "a": [True]}) == '{"a": [true], "b": 1}'


# -- a realistic FastAPI application ------------------------------------------------------------


def fastapi_app() -> Any:
    pytest.importorskip("email_validator")
    pytest.importorskip("multipart")
    from datetime import date, datetime
    from enum import IntEnum
    from typing import Annotated, Literal
    from uuid import UUID

    from fastapi import Cookie, Depends, FastAPI, Form, Header, Query
    from fastapi.security import OAuth2PasswordRequestForm
    from pydantic import BaseModel, ConfigDict, EmailStr, Field, HttpUrl, StringConstraints

    class Priority(IntEnum):
        LOW = 1
        MID = 2
        HIGH = 3

    class Address(BaseModel):
        street: str
        zip: Annotated[str, StringConstraints(pattern=r"^\d{5}$")]

    class Ticket(BaseModel):
        model_config = ConfigDict(extra="forbid")
        title: str = Field(min_length=3, max_length=40)
        owner: EmailStr
        priority: Priority
        due: date
        kind: Literal["bug", "feature"]
        note: str | None = None
        address: Address
        tags: list[str] = Field(min_length=2)
        code: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}-\d{4}$")]
        ratio: float = Field(gt=0, lt=1)
        count: int = Field(ge=10, multiple_of=5)
        ref: UUID
        at: datetime
        site: HttpUrl
        watchers: list[Address] = Field(min_length=1)
        role: Literal["user", "admin"] = "user"

    class Out(BaseModel):
        id: int
        title: str

    app = FastAPI()

    @app.post("/orgs/{org_id}/tickets", status_code=201)
    def create(
        org_id: int,
        ticket: Ticket,
        page: Annotated[int, Query(ge=1, le=3)],
        x_tenant: Annotated[str, Header()],
        session: Annotated[str, Cookie()],
    ) -> dict[str, str]:
        return {"ok": ticket.title}

    @app.post("/token")
    def token(form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> dict[str, str]:
        return {"access_token": form.username}

    @app.post("/login")
    def login(username: Annotated[EmailStr, Form()], password: Annotated[str, Form(min_length=8)]) -> dict[str, str]:
        return {"user": username}

    @app.get("/items/{item_id}")
    def item(
        item_id: UUID, kind: Annotated[Literal["a", "b"], Query()], since: Annotated[date, Query()]
    ) -> dict[str, str]:
        return {"kind": kind}

    @app.get("/search")
    def search(tags: Annotated[list[str], Query(min_length=1)], limit: int = 10) -> list[str]:
        return tags

    @app.put("/notes/{note_id}")
    def note(note_id: int, body: Out) -> Out:
        return body

    return app


def send(client: Any, op: Operation, built: Built) -> Any:
    path = op.path.format(**built.path)
    kwargs: dict[str, Any] = {"params": built.query, "headers": built.headers}
    if built.body is not None:
        kwargs["json" if built.media == JSON else "data"] = built.body
    client.cookies.clear()
    for name, value in built.cookies.items():
        client.cookies.set(name, value)
    return client.request(op.method, path, **kwargs)


def test_every_fastapi_route_gets_a_schema_valid_request_and_answers_2xx() -> None:
    from fastapi.testclient import TestClient

    app = fastapi_app()
    spec = parse(app.openapi())
    assert {op.id for op in spec.operations} == {
        "POST /orgs/{org_id}/tickets",
        "POST /token",
        "POST /login",
        "GET /items/{item_id}",
        "GET /search",
        "PUT /notes/{note_id}",
    }
    client = TestClient(app)
    for op in spec.operations:
        for p in op.shape.params:
            assert errors(p.schema, example(p.schema, p.name)) == [], (op.id, p.name)
        if op.shape.body is not None:
            assert errors(op.shape.body, example(op.shape.body)) == [], op.id
        built = build(op.shape)
        answer = send(client, op, built)
        assert 200 <= answer.status_code < 300, (op.id, answer.status_code, answer.text)
    login = next(op for op in spec.operations if op.id == "POST /login")
    assert login.shape.media == FORM and login.body_fields == ("username", "password")
    assert build(login.shape).body == {"username": "authgate-probe-username@example.com", "password": PASSWORD}
