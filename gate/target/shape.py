"""What a legitimate request to an operation looks like: its parameters and body, as schemas (issue 13).

A probe the service rejects with 422 never reaches the handler, so it proves nothing about access
control. The shape is read once per operation, from the OpenAPI document (3.0, 3.1 or Swagger 2.0)
or from the source when there is none, with every local `$ref` inlined so that `gate.target.values`
can build a value without the document at hand.

This module must not import `gate.target.openapi`: `Operation` carries a `RequestShape`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
_MEDIA_RANK = {JSON: 0, FORM: 1, MULTIPART: 2}
# A recursive schema (a tree node holding its children) is unrolled this many `$ref`s deep, then cut
# to `{}`: enough for any real nesting, bounded for a hostile document.
MAX_REF_DEPTH = 8
# OpenAPI 3: "If in is header and the name field is Accept, Content-Type or Authorization, the
# parameter definition SHALL be ignored." The gate sets those itself.
_IGNORED_HEADERS = {"accept", "content-type", "authorization"}
# Swagger 2.0 non-body parameters carry their schema inline, among other keys (`name`, `in`, ...).
_INLINE_SCHEMA_KEYS = (
    "type",
    "format",
    "enum",
    "default",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "x-example",
)
LOCATIONS = ("path", "query", "header", "cookie")


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    location: str  # "path" | "query" | "header" | "cookie"
    required: bool
    schema: Mapping[str, Any]  # JSON-Schema-like, every $ref already inlined


@dataclass(frozen=True, slots=True)
class RequestShape:
    params: tuple[Param, ...] = ()
    body: Mapping[str, Any] | None = None  # schema of the request body, $refs inlined; None: no body
    body_required: bool = False
    media_types: tuple[str, ...] = ()  # declared, preferred first (see `order_media`)

    @property
    def media(self) -> str:
        """The content type to send: what the service declares first, JSON when it declares nothing."""
        return self.media_types[0] if self.media_types else JSON


# -- $ref inlining ------------------------------------------------------------------------------


class _Inliner:
    """Inlines local `$ref`s of one document, memoised so a schema referenced often is built once.

    The result is a DAG of plain dicts (a shared `$ref` target is one object); nothing mutates it.
    """

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self.doc = doc
        self.memo: dict[tuple[str, int], Any] = {}

    def inline(self, node: Any, depth: int = 0) -> Any:
        if isinstance(node, list):
            return [self.inline(v, depth) for v in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str):
            target = self._follow(ref, depth + 1)
            siblings = {k: self.inline(v, depth) for k, v in node.items() if k != "$ref"}
            # OpenAPI 3.1 allows keywords beside `$ref` (a description, `nullable`): they refine the target
            return {**target, **siblings} if siblings and isinstance(target, dict) else target
        return {k: self.inline(v, depth) for k, v in node.items()}

    def _follow(self, ref: str, depth: int) -> Any:
        if depth > MAX_REF_DEPTH or not ref.startswith("#/"):
            return {}  # too deep (recursive), or another file / URL: never fetched
        key = (ref, depth)
        if key not in self.memo:
            self.memo[key] = {}  # a cycle met while building this entry sees `{}`
            self.memo[key] = self.inline(pointer(self.doc, ref), depth)
        return self.memo[key]


def pointer(doc: Any, ref: str) -> Any:
    """The node a local JSON Pointer (`#/components/schemas/User`, RFC 6901 escapes) names; `{}` if none."""
    cur = doc
    for raw in ref[2:].split("/") if ref != "#" else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(cur, dict):
            cur = cur.get(part, {})
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            return {}
    return cur


# -- helpers shared by the document readers -----------------------------------------------------


def order_media(declared: Iterable[str]) -> tuple[str, ...]:
    """JSON first, then form, then multipart, then the rest as declared: the gate builds JSON best."""
    unique = list(dict.fromkeys(m for m in declared if isinstance(m, str) and m))
    return tuple(sorted(unique, key=lambda m: _MEDIA_RANK.get(m.split(";")[0].strip().lower(), 3)))


def properties(schema: Mapping[str, Any] | None) -> dict[str, Any]:
    """Top-level properties of an object schema, `allOf`/`anyOf`/`oneOf` parts merged (pydantic emits them)."""
    if not isinstance(schema, Mapping):
        return {}
    out = dict(schema.get("properties") or {})
    for combo in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(combo) or ():
            for k, v in properties(part).items():
                out.setdefault(k, v)
    return out


def _merge_params(
    shared: Iterable[Any], own: Iterable[Any], convert: Callable[[Mapping[str, Any]], Param | None]
) -> tuple[Param, ...]:
    """Path-item parameters then the operation's; the operation's win by (name, in)."""
    merged: dict[tuple[str, str], Param] = {}
    for raw in [*shared, *own]:
        param = convert(raw) if isinstance(raw, dict) else None
        if param is not None:
            merged[(param.name, param.location)] = param
    return tuple(merged.values())


def _param(raw: Mapping[str, Any], schema: Mapping[str, Any]) -> Param | None:
    name, location = raw.get("name"), raw.get("in")
    if not isinstance(name, str) or location not in LOCATIONS:
        return None
    if location == "header" and name.lower() in _IGNORED_HEADERS:
        return None
    # a path parameter is always required (OpenAPI: "required: true" MUST be set); trust the template
    required = location == "path" or raw.get("required") is True
    return Param(name=name, location=location, required=required, schema=schema)


# -- OpenAPI 3.0 / 3.1 --------------------------------------------------------------------------


def _param_v3(raw: Mapping[str, Any]) -> Param | None:
    schema = raw.get("schema")
    if not isinstance(schema, dict):  # `content` instead of `schema`: the one media type's schema
        content = raw.get("content") if isinstance(raw.get("content"), dict) else {}
        schema = next((m.get("schema") for m in content.values() if isinstance(m, dict)), None)
    schema = dict(schema) if isinstance(schema, dict) else {}
    for key in ("example", "examples"):  # a parameter's own example is the best value there is
        if key in raw and key not in schema:
            schema[key] = raw[key]
    return _param(raw, schema)


def _body_v3(request_body: Any) -> tuple[Mapping[str, Any] | None, bool, tuple[str, ...]]:
    if not isinstance(request_body, dict):
        return None, False, ()
    content = request_body.get("content") if isinstance(request_body.get("content"), dict) else {}
    media = order_media(content)
    if not media:
        return None, False, ()
    chosen = content.get(media[0])
    schema = chosen.get("schema") if isinstance(chosen, dict) else None
    return (schema if isinstance(schema, dict) else {}), request_body.get("required") is True, media


def _shape_v3(path_item: Mapping[str, Any], operation: Mapping[str, Any]) -> RequestShape:
    params = _merge_params(path_item.get("parameters") or (), operation.get("parameters") or (), _param_v3)
    body, required, media = _body_v3(operation.get("requestBody"))
    return RequestShape(params=params, body=body, body_required=required, media_types=media)


# -- Swagger 2.0 --------------------------------------------------------------------------------


def inline_schema(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A Swagger 2.0 non-body parameter (or its `items`) to a schema: its schema keys sit on it directly."""
    schema: dict[str, Any] = {k: raw[k] for k in _INLINE_SCHEMA_KEYS if k in raw}
    if "x-example" in schema:
        schema["example"] = schema.pop("x-example")
    if schema.get("type") == "file":
        schema.update(type="string", format="binary")
    if isinstance(raw.get("items"), dict):
        schema["items"] = inline_schema(raw["items"])
    return schema


def _param_v2(raw: Mapping[str, Any]) -> Param | None:
    return _param(raw, inline_schema(raw))


def _shape_v2(doc: Mapping[str, Any], path_item: Mapping[str, Any], operation: Mapping[str, Any]) -> RequestShape:
    declared = [*(path_item.get("parameters") or ()), *(operation.get("parameters") or ())]
    raw = [p for p in declared if isinstance(p, dict)]
    bodies = {(p.get("name"), p.get("in")): p for p in raw if p.get("in") in ("body", "formData")}
    consumes = operation.get("consumes", doc.get("consumes")) or ()
    body_param = next((p for p in bodies.values() if p["in"] == "body"), None)
    forms = [p for p in bodies.values() if p["in"] == "formData" and isinstance(p.get("name"), str)]
    params = _merge_params(path_item.get("parameters") or (), operation.get("parameters") or (), _param_v2)
    if body_param is not None:
        schema = body_param.get("schema") if isinstance(body_param.get("schema"), dict) else {}
        media = order_media(consumes) or (JSON,)
        return RequestShape(params, schema, body_param.get("required") is True, media)
    if forms:
        return RequestShape(
            params, _form_schema(forms), any(p.get("required") is True for p in forms), _form_media(forms, consumes)
        )
    return RequestShape(params=params)


def _form_schema(forms: list[Mapping[str, Any]]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {p["name"]: inline_schema(p) for p in forms},
        "required": [p["name"] for p in forms if p.get("required") is True],
    }


def _form_media(forms: list[Mapping[str, Any]], consumes: Iterable[str]) -> tuple[str, ...]:
    """A file field can only go as multipart; otherwise the form types `consumes` names, urlencoded first."""
    declared = [m for m in consumes if isinstance(m, str) and m.split(";")[0].strip() in (FORM, MULTIPART)]
    if any(p.get("type") == "file" for p in forms):
        return (MULTIPART,)
    return order_media(declared) or (FORM,)


# -- entry points -------------------------------------------------------------------------------


def shape_from_openapi(
    doc: Mapping[str, Any], path_item: Mapping[str, Any], operation: Mapping[str, Any]
) -> RequestShape:
    """The request shape of one operation of an OpenAPI 3.x or Swagger 2.0 document, `$ref`s inlined."""
    inliner = _Inliner(doc)
    item = inliner.inline(dict(path_item))
    op = inliner.inline(dict(operation))
    if str(doc.get("swagger", "")).startswith("2"):
        return _shape_v2(doc, item, op)
    return _shape_v3(item, op)


def shape_from_source(
    path_params: Iterable[str], query_params: Iterable[str], body_types: Iterable[tuple[str, str]]
) -> RequestShape:
    """The shape of an operation read from the source: all it reads is taken as required, a JSON body.

    The source rarely says what is optional, and sending a parameter the handler ignores costs nothing
    while leaving out one it needs gets a 400/422.
    """
    params = [Param(n, "path", True, {"type": "string"}) for n in path_params]
    params += [Param(n, "query", True, {"type": "string"}) for n in query_params]
    fields = dict(body_types)
    if not fields:
        return RequestShape(params=tuple(params))
    body = {"type": "object", "properties": {f: {"type": t} for f, t in fields.items()}, "required": list(fields)}
    return RequestShape(params=tuple(params), body=body, body_required=True, media_types=(JSON,))
