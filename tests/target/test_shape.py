"""Request shapes from OpenAPI 3.x, Swagger 2.0 and the source (issue 13)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from gate.target.openapi import Operation, parse
from gate.target.routes import Route
from gate.target.shape import (
    FORM,
    JSON,
    MULTIPART,
    Param,
    RequestShape,
    order_media,
    shape_from_openapi,
    shape_from_source,
)

USER = {
    "type": "object",
    "required": ["email", "role"],
    "properties": {
        "email": {"type": "string", "format": "email"},
        "role": {"$ref": "#/components/schemas/Role"},
        "nick": {"type": "string", "nullable": True},
    },
}
NODE = {  # a tree: each node holds its children
    "type": "object",
    "properties": {"name": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}},
}


def v3_doc() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "components": {
            "schemas": {"User": USER, "Role": {"type": "string", "enum": ["user", "admin"]}},
            "parameters": {"Org": {"name": "org", "in": "query", "required": True, "schema": {"type": "integer"}}},
            "requestBodies": {
                "User": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {"schema": {"type": "object"}},
                        "application/json": {"schema": {"$ref": "#/components/schemas/User"}},
                    },
                }
            },
        },
        "$defs": {"Node": NODE},
        "paths": {
            "/orgs/{org_id}/users": {
                "parameters": [
                    {"name": "org_id", "in": "path", "schema": {"type": "integer"}},
                    {"name": "page", "in": "query", "schema": {"type": "integer"}},
                ],
                "post": {
                    "parameters": [
                        {"$ref": "#/components/parameters/Org"},
                        {"name": "page", "in": "query", "required": True, "schema": {"type": "string"}},
                        {"name": "X-Tenant", "in": "header", "required": True, "schema": {"type": "string"}},
                        {"name": "Authorization", "in": "header", "required": True, "schema": {"type": "string"}},
                    ],
                    "requestBody": {"$ref": "#/components/requestBodies/User"},
                },
                "get": {},
            },
            "/tree": {"put": {"requestBody": {"content": {"application/json": {"schema": {"$ref": "#/$defs/Node"}}}}}},
            "/remote": {
                "patch": {
                    "requestBody": {
                        "content": {"application/x-www-form-urlencoded": {"schema": {"$ref": "other.yaml#/User"}}}
                    }
                }
            },
        },
    }


def test_openapi3_params_merge_with_the_operation_winning_and_refs_inlined() -> None:
    doc = v3_doc()
    item = doc["paths"]["/orgs/{org_id}/users"]
    shape = shape_from_openapi(doc, item, item["post"])
    assert shape.params == (
        Param("org_id", "path", True, {"type": "integer"}),  # a path parameter is required even if not said
        Param("page", "query", True, {"type": "string"}),  # the operation's definition wins
        Param("org", "query", True, {"type": "integer"}),
        Param("X-Tenant", "header", True, {"type": "string"}),  # Authorization is ignored (OpenAPI 3)
    )
    assert shape.media_types == (JSON, MULTIPART)
    assert shape.media == JSON
    assert shape.body_required is True
    assert shape.body == {
        **USER,
        "properties": {**USER["properties"], "role": {"type": "string", "enum": ["user", "admin"]}},
    }
    assert shape.body["properties"]["nick"]["nullable"] is True  # kept: values.py reads it


def test_no_body_and_media_default() -> None:
    doc = v3_doc()
    item = doc["paths"]["/orgs/{org_id}/users"]
    shape = shape_from_openapi(doc, item, item["get"])
    assert shape.body is None and shape.media_types == () and shape.media == JSON
    assert [p.name for p in shape.params] == ["org_id", "page"]


def test_a_recursive_schema_is_cut_and_a_remote_ref_never_followed() -> None:
    doc = v3_doc()
    tree = shape_from_openapi(doc, doc["paths"]["/tree"], doc["paths"]["/tree"]["put"]).body
    depth = 0
    node: Any = tree
    while node:
        depth += 1
        node = node["properties"]["children"]["items"]
    assert node == {} and 6 <= depth <= 10
    remote = shape_from_openapi(doc, doc["paths"]["/remote"], doc["paths"]["/remote"]["patch"])
    assert remote.body == {} and remote.media == FORM


def test_order_media_prefers_json_then_form_then_multipart() -> None:
    assert order_media(["text/plain", MULTIPART, FORM, "application/json"]) == (JSON, FORM, MULTIPART, "text/plain")


SWAGGER = {
    "swagger": "2.0",
    "consumes": ["application/json"],
    "definitions": {"Pet": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}},
    "paths": {
        "/pets": {
            "post": {
                "parameters": [
                    {"name": "pet", "in": "body", "required": True, "schema": {"$ref": "#/definitions/Pet"}},
                    {"name": "limit", "in": "query", "required": True, "type": "integer", "minimum": 1, "maximum": 5},
                    {
                        "name": "tags",
                        "in": "query",
                        "type": "array",
                        "items": {"type": "string", "enum": ["a", "b"]},
                    },
                ]
            }
        },
        "/login": {
            "post": {
                "consumes": ["application/x-www-form-urlencoded", "multipart/form-data"],
                "parameters": [
                    {"name": "username", "in": "formData", "required": True, "type": "string"},
                    {"name": "password", "in": "formData", "required": True, "type": "string", "format": "password"},
                    {"name": "remember", "in": "formData", "type": "boolean"},
                ],
            }
        },
        "/pets/{pet_id}/photo": {
            "parameters": [{"name": "pet_id", "in": "path", "required": True, "type": "string", "format": "uuid"}],
            "put": {"parameters": [{"name": "file", "in": "formData", "required": True, "type": "file"}]},
        },
    },
}


def test_swagger2_body_parameter_and_inline_query_schemas() -> None:
    item = SWAGGER["paths"]["/pets"]
    shape = shape_from_openapi(SWAGGER, item, item["post"])
    assert shape.body == SWAGGER["definitions"]["Pet"]
    assert shape.body_required is True and shape.media == JSON
    assert shape.params == (
        Param("limit", "query", True, {"type": "integer", "minimum": 1, "maximum": 5}),
        Param("tags", "query", False, {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}}),
    )


def test_swagger2_form_data_is_an_object_body_and_a_file_makes_it_multipart() -> None:
    login = shape_from_openapi(SWAGGER, SWAGGER["paths"]["/login"], SWAGGER["paths"]["/login"]["post"])
    assert login.media_types == (FORM, MULTIPART)
    assert login.body == {
        "type": "object",
        "properties": {
            "username": {"type": "string"},
            "password": {"type": "string", "format": "password"},
            "remember": {"type": "boolean"},
        },
        "required": ["username", "password"],
    }
    item = SWAGGER["paths"]["/pets/{pet_id}/photo"]
    photo = shape_from_openapi(SWAGGER, item, item["put"])
    assert photo.media_types == (MULTIPART,)
    assert photo.body["properties"]["file"] == {"type": "string", "format": "binary"}
    assert photo.params == (Param("pet_id", "path", True, {"type": "string", "format": "uuid"}),)


def test_parse_attaches_shapes_and_form_fields() -> None:
    ops = {op.id: op for op in parse(SWAGGER).operations}
    assert ops["POST /login"].body_fields == ("username", "password", "remember")
    assert ops["POST /login"].body_types == (("username", "string"), ("password", "string"), ("remember", "boolean"))
    assert ops["POST /pets"].query_params == ("limit", "tags")
    assert ops["POST /pets"].shape.body_required is True
    v3 = {op.id: op for op in parse(v3_doc()).operations}
    assert v3["POST /orgs/{org_id}/users"].body_fields == ("email", "role", "nick")
    assert v3["POST /orgs/{org_id}/users"].query_params == ("page", "org")


def test_the_shape_is_not_part_of_an_operations_identity() -> None:
    op = Operation(method="GET", path="/a")
    shaped = replace(op, shape=RequestShape(body={"type": "object"}))
    assert op == shaped and hash(op) == hash(shaped) and "shape" not in repr(shaped)
    assert len({op, shaped}) == 1


def test_shape_from_source_takes_everything_it_reads_as_required() -> None:
    shape = shape_from_source(("user_id",), ("page",), (("email", "string"), ("age", "integer")))
    assert shape.params == (
        Param("user_id", "path", True, {"type": "string"}),
        Param("page", "query", True, {"type": "string"}),
    )
    assert shape.body == {
        "type": "object",
        "properties": {"email": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["email", "age"],
    }
    assert shape.media == JSON and shape.body_required
    assert shape_from_source((), (), ()).body is None


def test_route_operation_carries_its_shape() -> None:
    route = Route("POST", "/u/{uid}", "app.py", 3, "create", "flask", ("q",), ("name",), (("name", "string"),))
    shape = route.operation().shape
    assert [p.name for p in shape.params] == ["uid", "q"]
    assert shape.body is not None and shape.body["required"] == ["name"]
    get = replace(route, method="GET").operation().shape
    assert get.body is None
