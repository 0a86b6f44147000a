"""Correct a legitimate request from the validation error the service answered (issue 13).

A schema says what a service accepts only as far as it is declared: services without a document,
hand-written validation, a `constr` the source reader cannot see. The answer to a rejected request
usually says what is wrong; this module reads it and builds the corrected request. Understood:

- FastAPI / pydantic v2 `{"detail": [{"loc": [...], "type": ..., "ctx": {...}}]}` and pydantic v1
  (`value_error.missing`, `type_error.integer`, ...);
- flask-restx `{"errors": {"field": "<jsonschema message>"}, "message": ...}`;
- marshmallow `{"field": ["Missing data for required field."]}` and webargs
  `{"errors": {"json": {...}}}` (also `messages`);
- a plain message naming a field (`missing field 'email'`, `email is required`);
- 415: the body goes as form instead of JSON, or the other way.

Deterministic: the same answer to the same request gives the same correction. None when the answer
says nothing this module can act on, or the correction changes nothing (the caller stops).
"""

from __future__ import annotations

import ast
import copy
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from gate.target.shape import FORM, JSON, RequestShape
from gate.target.values import (
    Built,
    errors,
    example,
    is_form,
    merge_all_of,
    stringify,
)

REPAIRABLE = (400, 422)
UNSUPPORTED_MEDIA = 415
PARAM_PLACES = ("query", "path", "header", "cookie")
_EXPLICIT = ("example", "examples", "default", "const", "enum")
# webargs / flask-smorest location names -> where the value goes
_LOCATIONS = {
    "json": "body",
    "form": "body",
    "json_or_form": "body",
    "files": "body",
    "body": "body",
    "query": "query",
    "querystring": "query",
    "path": "path",
    "view_args": "path",
    "headers": "header",
    "header": "header",
    "cookies": "cookie",
    "cookie": "cookie",
}
_TEXT_KEYS = ("detail", "error", "message", "msg", "description", "title", "errors")


@dataclass(frozen=True, slots=True)
class Issue:
    """One thing the answer says is wrong with the request."""

    where: str | None  # body | query | path | header | cookie; None: the answer does not say
    path: tuple[str | int, ...]  # inside the body, or (parameter name,)
    action: str  # set | drop | media
    hint: Mapping[str, Any]  # a schema the new value must also satisfy; {}: the field's own schema


# -- reading pydantic ---------------------------------------------------------------------------

Hint = Callable[[Mapping[str, Any], str], Mapping[str, Any] | None]


def _fixed(schema: Mapping[str, Any]) -> Hint:
    return lambda ctx, msg: schema


def _ctx(key: str, build: Callable[[Any], Mapping[str, Any]]) -> Hint:
    return lambda ctx, msg: build(ctx[key]) if key in ctx else None


def _bound(keyword: str) -> Callable[[Any], Mapping[str, Any]]:
    return lambda v: {"type": "integer" if isinstance(v, int) else "number", keyword: v}


_V2: dict[str, Hint] = {
    "missing": _fixed({}),
    "string_too_short": _ctx("min_length", lambda n: {"type": "string", "minLength": n}),
    "string_too_long": _ctx("max_length", lambda n: {"type": "string", "maxLength": n}),
    "enum": _ctx("expected", lambda e: {"enum": parse_choices(e)}),
    "literal_error": _ctx("expected", lambda e: {"enum": parse_choices(e)}),
    "int_parsing": _fixed({"type": "integer"}),
    "int_type": _fixed({"type": "integer"}),
    "int_from_float": _fixed({"type": "integer"}),
    "float_parsing": _fixed({"type": "number"}),
    "float_type": _fixed({"type": "number"}),
    "decimal_parsing": _fixed({"type": "number"}),
    "greater_than": _ctx("gt", _bound("exclusiveMinimum")),
    "greater_than_equal": _ctx("ge", _bound("minimum")),
    "less_than": _ctx("lt", _bound("exclusiveMaximum")),
    "less_than_equal": _ctx("le", _bound("maximum")),
    "multiple_of": _ctx("multiple_of", lambda m: {"multipleOf": m}),
    "bool_parsing": _fixed({"type": "boolean"}),
    "bool_type": _fixed({"type": "boolean"}),
    "uuid_parsing": _fixed({"type": "string", "format": "uuid"}),
    "uuid_type": _fixed({"type": "string", "format": "uuid"}),
    "date_parsing": _fixed({"type": "string", "format": "date"}),
    "date_type": _fixed({"type": "string", "format": "date"}),
    "date_from_datetime_parsing": _fixed({"type": "string", "format": "date"}),
    "date_from_datetime_inexact": _fixed({"type": "string", "format": "date"}),
    "datetime_parsing": _fixed({"type": "string", "format": "date-time"}),
    "datetime_type": _fixed({"type": "string", "format": "date-time"}),
    "datetime_from_date_parsing": _fixed({"type": "string", "format": "date-time"}),
    "time_parsing": _fixed({"type": "string", "format": "time"}),
    "string_pattern_mismatch": _ctx("pattern", lambda p: {"type": "string", "pattern": p}),
    "string_type": _fixed({"type": "string"}),
    "dict_type": _fixed({"type": "object"}),
    "model_type": _fixed({"type": "object"}),
    "model_attributes_type": _fixed({"type": "object"}),
    "dataclass_type": _fixed({"type": "object"}),
    "list_type": _fixed({"type": "array"}),
    "tuple_type": _fixed({"type": "array"}),
    "set_type": _fixed({"type": "array"}),
    "too_short": _ctx("min_length", lambda n: {"type": "array", "minItems": n}),
    "too_long": _ctx("max_length", lambda n: {"type": "array", "maxItems": n}),
    "url_parsing": _fixed({"type": "string", "format": "uri"}),
    "url_scheme": _fixed({"type": "string", "format": "uri"}),
    "url_type": _fixed({"type": "string", "format": "uri"}),
    "url_syntax_violation": _fixed({"type": "string", "format": "uri"}),
    "value_error": lambda ctx, msg: {"type": "string", "format": "email"} if "email" in msg.lower() else None,
}
_V1: dict[str, Hint] = {
    "value_error.missing": _fixed({}),
    "type_error.none.not_allowed": _fixed({}),
    "type_error.integer": _fixed({"type": "integer"}),
    "type_error.float": _fixed({"type": "number"}),
    "type_error.bool": _fixed({"type": "boolean"}),
    "type_error.str": _fixed({"type": "string"}),
    "type_error.dict": _fixed({"type": "object"}),
    "type_error.list": _fixed({"type": "array"}),
    "value_error.email": _fixed({"type": "string", "format": "email"}),
    "type_error.enum": _ctx("enum_values", lambda e: {"enum": list(e)}),
    "value_error.const": _ctx("permitted", lambda e: {"enum": list(e)}),
    "value_error.any_str.min_length": _ctx("limit_value", lambda n: {"type": "string", "minLength": n}),
    "value_error.any_str.max_length": _ctx("limit_value", lambda n: {"type": "string", "maxLength": n}),
    "value_error.number.not_gt": _ctx("limit_value", _bound("exclusiveMinimum")),
    "value_error.number.not_ge": _ctx("limit_value", _bound("minimum")),
    "value_error.number.not_lt": _ctx("limit_value", _bound("exclusiveMaximum")),
    "value_error.number.not_le": _ctx("limit_value", _bound("maximum")),
    "value_error.number.not_multiple": _ctx("multiple_of", lambda m: {"multipleOf": m}),
    "value_error.list.min_items": _ctx("limit_value", lambda n: {"type": "array", "minItems": n}),
    "value_error.uuid": _fixed({"type": "string", "format": "uuid"}),
    "type_error.uuid": _fixed({"type": "string", "format": "uuid"}),
    "value_error.date": _fixed({"type": "string", "format": "date"}),
    "value_error.datetime": _fixed({"type": "string", "format": "date-time"}),
    "value_error.str.regex": _ctx("pattern", lambda p: {"type": "string", "pattern": p}),
    "value_error.url": _fixed({"type": "string", "format": "uri"}),
    "value_error.url.scheme": _fixed({"type": "string", "format": "uri"}),
}
_DROP = {"extra_forbidden", "value_error.extra"}
_MEDIA = {"json_invalid", "json_type", "value_error.jsondecode"}  # the body did not parse as JSON
_WHOLE_BODY_MEDIA = {"model_type", "model_attributes_type", "dict_type", "type_error.dict"}


def parse_choices(expected: Any) -> list[Any]:
    """pydantic's `ctx.expected`: `'a' or 'b'`, `1, 2 or 3` -> ['a', 'b'], [1, 2, 3]."""
    if isinstance(expected, list):
        return expected
    parts = re.split(r",\s*|\s+or\s+", str(expected).strip())
    return [_choice(p) for p in parts if p.strip()]


def _choice(text: str) -> Any:
    text = text.strip().rstrip(".")
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _pydantic(detail: list[Any]) -> Iterator[Issue]:
    for err in detail:
        if not isinstance(err, Mapping) or not isinstance(err.get("loc"), list):
            continue
        loc = [p for p in err["loc"] if isinstance(p, str | int)]
        kind, msg = str(err.get("type", "")), str(err.get("msg", ""))
        ctx = err.get("ctx") if isinstance(err.get("ctx"), Mapping) else {}
        where = loc[0] if loc and loc[0] in ("body", *PARAM_PLACES) else None
        path = tuple(loc[1:] if where else loc)
        if kind in _DROP:
            yield Issue(where, path, "drop", {})
        elif kind in _MEDIA or (kind in _WHOLE_BODY_MEDIA and where == "body" and not path):
            yield Issue("body", (), "media", {})
        elif (reader := _V2.get(kind) or _V1.get(kind)) is not None and (hint := reader(ctx, msg)) is not None:
            yield Issue(where, path, "set", hint)


# -- reading messages (jsonschema, marshmallow, plain) -------------------------------------------

# (message pattern, what it asks for); a hint builder gets the match and the value that was sent
Rule = tuple[re.Pattern[str], Callable[[re.Match[str], Any], tuple[str, Mapping[str, Any]] | None]]


def _length(current: Any, low: int | None, high: int | None) -> tuple[str, Mapping[str, Any]]:
    """A length bound for a list or a string, whichever was sent."""
    if isinstance(current, list):
        bounds = {"minItems": low, "maxItems": high}
        return "set", {"type": "array", **{k: v for k, v in bounds.items() if v is not None}}
    bounds = {"minLength": low, "maxLength": high}
    return "set", {"type": "string", **{k: v for k, v in bounds.items() if v is not None}}


def _size(current: Any) -> int:
    return len(current) if isinstance(current, str | list) else 0


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None


def _set(schema: Mapping[str, Any]) -> Callable[[re.Match[str], Any], tuple[str, Mapping[str, Any]]]:
    return lambda m, cur: ("set", schema)


_NUM = r"(-?\d+(?:\.\d+)?)"
_RULES: tuple[Rule, ...] = (
    # jsonschema (flask-restx)
    (re.compile(r"is not of type '(\w+)'"), lambda m, cur: ("set", {"type": m[1]})),
    (re.compile(r"is not one of (\[.*\])"), lambda m, cur: ("set", {"enum": _literal(m[1]) or []})),
    (re.compile(r"does not match ('.*')$"), lambda m, cur: ("set", {"type": "string", "pattern": _literal(m[1])})),
    (re.compile(r"is not a '([\w-]+)'"), lambda m, cur: ("set", {"type": "string", "format": m[1]})),
    (re.compile(r"is too short"), lambda m, cur: _length(cur, max(8, 2 * _size(cur)), None)),
    (re.compile(r"is too long"), lambda m, cur: _length(cur, None, max(1, _size(cur) // 2))),
    (re.compile(rf"less than or equal to the minimum of {_NUM}"), lambda m, cur: _num("exclusiveMinimum", m[1])),
    (re.compile(rf"less than the minimum of {_NUM}"), lambda m, cur: _num("minimum", m[1])),
    (re.compile(rf"greater than or equal to the maximum of {_NUM}"), lambda m, cur: _num("exclusiveMaximum", m[1])),
    (re.compile(rf"greater than the maximum of {_NUM}"), lambda m, cur: _num("maximum", m[1])),
    # marshmallow
    (re.compile(r"^Missing data for required field|^Field may not be null"), _set({})),
    (re.compile(r"^Unknown field"), lambda m, cur: ("drop", {})),
    (re.compile(r"^Not a valid integer"), _set({"type": "integer"})),
    (re.compile(r"^Not a valid number"), _set({"type": "number"})),
    (re.compile(r"^Not a valid boolean"), _set({"type": "boolean"})),
    (re.compile(r"^Not a valid e-?mail", re.I), _set({"type": "string", "format": "email"})),
    (re.compile(r"^Not a valid UUID"), _set({"type": "string", "format": "uuid"})),
    (re.compile(r"^Not a valid datetime"), _set({"type": "string", "format": "date-time"})),
    (re.compile(r"^Not a valid date"), _set({"type": "string", "format": "date"})),
    (re.compile(r"^Not a valid time"), _set({"type": "string", "format": "time"})),
    (re.compile(r"^Not a valid URL"), _set({"type": "string", "format": "uri"})),
    (re.compile(r"^Not a valid string"), _set({"type": "string"})),
    (re.compile(r"^Not a valid list"), _set({"type": "array"})),
    (re.compile(r"^Not a valid mapping|^Invalid input type"), _set({"type": "object"})),
    (re.compile(r"^Must be one of: (.*)\.$"), lambda m, cur: ("set", {"enum": parse_choices(m[1])})),
    (re.compile(r"^Length must be between (\d+) and (\d+)"), lambda m, cur: _length(cur, int(m[1]), int(m[2]))),
    (re.compile(r"^Shorter than minimum length (\d+)"), lambda m, cur: _length(cur, int(m[1]), None)),
    (re.compile(r"^Longer than maximum length (\d+)"), lambda m, cur: _length(cur, None, int(m[1]))),
    (re.compile(rf"greater than or equal to {_NUM}"), lambda m, cur: _num("minimum", m[1])),
    (re.compile(rf"less than or equal to {_NUM}"), lambda m, cur: _num("maximum", m[1])),
)


def _num(keyword: str, text: str) -> tuple[str, Mapping[str, Any]]:
    value = float(text) if "." in text else int(text)
    return "set", {"type": "integer" if isinstance(value, int) else "number", keyword: value}


_REQUIRED_PROPERTY = re.compile(r"'([^']+)' is a required property")
_UNEXPECTED = re.compile(r"\('([^']+)' (?:was|were) unexpected\)")
_FIELD = r"['\"`]?([A-Za-z_][\w.\-]*)['\"`]?"
_NAMED_MISSING = (
    re.compile(
        rf"missing (?:required )?(?:field|parameter|param|property|argument|key|value)s?(?: for)?:?\s+{_FIELD}", re.I
    ),
    re.compile(rf"required (?:field|parameter|param|property|argument|key)s?:?\s+{_FIELD}", re.I),
    re.compile(rf"^{_FIELD}(?: field| parameter| param)? (?:is|are) (?:required|missing)", re.I),
    re.compile(rf"{_FIELD} (?:field |parameter )?(?:is|are) (?:required|missing)", re.I),
    re.compile(rf"^{_FIELD} or {_FIELD}\b.*\brequired", re.I),  # "display_name or bio (strings) required"
)
# "unknown fields: body, email, topic": a handler with an allow-list names what it refused
_UNKNOWN_LIST = re.compile(
    r"(?:unknown|unexpected|unrecognized|extra|not allowed)\s+(?:fields?|keys?|properties|parameters?)\s*:?\s*"
    r"([A-Za-z_][\w\-]*(?:\s*,\s*[A-Za-z_][\w\-]*)*)",
    re.I,
)


def _dropped(msg: str, built: Built) -> list[Issue]:
    """The fields a plain message lists as refused, among those the body carries."""
    m = _UNKNOWN_LIST.search(msg)
    body = built.body if isinstance(built.body, Mapping) else {}
    names = [n.strip() for n in m[1].split(",")] if m else []
    return [Issue("body", (n,), "drop", {}) for n in names if n in body]


def _message_issue(where: str | None, path: tuple[str | int, ...], msg: str, current: Any) -> Issue | None:
    """One message about the field at `path` (a flask-restx / marshmallow leaf) as an issue."""
    if found := _REQUIRED_PROPERTY.search(msg):  # jsonschema names the missing child, at the parent's path
        child = found[1]
        return Issue(where, (*path, child) if not path or path[-1] != child else path, "set", {})
    if found := _UNEXPECTED.search(msg):
        return Issue(where, (*path, found[1]), "drop", {})
    for rx, build in _RULES:
        if (m := rx.search(msg)) is not None and (got := build(m, current)) is not None:
            return Issue(where, path, got[0], got[1])
    return None


def _plain_issue(msg: str, body_taking: bool) -> Issue | None:
    """A free-text message that names a missing field: where it goes is guessed from the words used."""
    for rx in _NAMED_MISSING:
        if (m := rx.search(msg)) is not None:
            lowered = msg.lower()
            where = "query" if "query" in lowered or "param" in lowered or not body_taking else "body"
            if "header" in lowered:
                where = "header"
            return Issue(where, tuple(_split_path(m[1])), "set", {})
    return None


def _split_path(key: str) -> list[str | int]:
    return [int(p) if p.isdigit() else p for p in key.split(".") if p]


def _leaves(node: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(field path, message) of a nested error mapping (marshmallow: lists of messages, indexes as keys)."""
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, list):
        for item in node:
            yield from _leaves(item, path)
    elif isinstance(node, Mapping):
        for key, value in node.items():
            yield from _leaves(value, (*path, *_split_path(str(key))))


def _where_of(msg: str) -> str | None:
    lowered = msg.lower()
    if "query string" in lowered and "body" not in lowered:
        return "query"
    return "header" if "header" in lowered else None


def _field_issues(errors: Mapping[str, Any], built: Built) -> Iterator[Issue]:
    """flask-restx `errors`, marshmallow's flat mapping, webargs' mapping by location."""
    located = bool(errors) and all(k in _LOCATIONS for k in errors)
    for key, value in errors.items():
        base_where = _LOCATIONS[key] if located else None
        for path, msg in _leaves(value, () if located else tuple(_split_path(str(key)))):
            where = base_where or _where_of(msg)
            current = _current(built, where or "body", path)
            issue = _message_issue(where, path, msg, current)
            if issue is not None:
                yield issue


def issues(text: str, built: Built, body_taking: bool) -> list[Issue]:
    """Everything the answer says is wrong, in the order it says it."""
    try:
        data = json.loads(text)
    except ValueError:
        data = text
    if isinstance(data, Mapping) and isinstance(data.get("detail"), list):
        return list(_pydantic(data["detail"]))
    if isinstance(data, Mapping):
        nested = next((data[k] for k in ("errors", "messages") if isinstance(data.get(k), Mapping)), None)
        if nested is None and not any(k in _TEXT_KEYS for k in data):
            nested = data  # marshmallow's own mapping: field -> messages
        found = list(_field_issues(nested, built)) if nested is not None else []
        if found:
            return found
        texts = [str(data[k]) for k in _TEXT_KEYS if isinstance(data.get(k), str)]
    else:
        texts = [str(data)]
    dropped = [i for t in texts for i in _dropped(t, built)]
    return dropped or [i for t in texts if (i := _plain_issue(t, body_taking)) is not None][:1]


# -- applying -----------------------------------------------------------------------------------


def _param_schema(shape: RequestShape, where: str, name: str) -> Mapping[str, Any] | None:
    for p in shape.params:
        if p.location == where and (p.name == name or (where == "header" and p.name.lower() == name.lower())):
            return p.schema
    return None


def _body_schema(shape: RequestShape, path: tuple[str | int, ...]) -> Mapping[str, Any]:
    """The schema of the body field at `path`; {} where the shape says nothing."""
    node: Any = shape.body or {}
    for part in path:
        node = merge_all_of(node) if isinstance(node, Mapping) else {}
        alts = [a for k in ("anyOf", "oneOf") for a in node.get(k) or () if isinstance(a, Mapping)]
        node = next((a for a in alts if a.get("type") != "null"), node) if alts else node
        if isinstance(part, int):
            prefix = node.get("prefixItems") or []
            node = prefix[part] if part < len(prefix) else node.get("items") or {}
        else:
            node = (node.get("properties") or {}).get(part, {})
    return node if isinstance(node, Mapping) else {}


def _current(built: Built, where: str, path: tuple[str | int, ...]) -> Any:
    node: Any = built.body if where == "body" else _params(built, where)
    for part in path:
        in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if not (in_list or (isinstance(node, Mapping) and part in node)):
            return None
        node = node[part]
    return node


def _params(built: Built, where: str) -> dict[str, str]:
    return {"query": built.query, "path": built.path, "header": built.headers, "cookie": built.cookies}[where]


def _place(issue: Issue, shape: RequestShape, body_taking: bool) -> str:
    """Where a value goes when the answer does not say: a declared parameter of that name, else the body."""
    if issue.where is not None:
        return issue.where
    name = str(issue.path[0]) if issue.path else ""
    for where in PARAM_PLACES:
        if _param_schema(shape, where, name) is not None:
            return where
    return "body" if body_taking else "query"


def _new_value(shape: RequestShape, where: str, path: tuple[str | int, ...], hint: Mapping[str, Any], old: Any) -> Any:
    """The field's schema where the shape has one, refined by the answer's hint when that alone is not enough."""
    name = str(next((p for p in reversed(path) if isinstance(p, str)), ""))
    declared = _body_schema(shape, path) if where == "body" else _param_schema(shape, where, name) or {}
    if not hint:
        return example(declared, name)
    from_schema = example(declared, name) if declared else None
    if from_schema is not None and from_schema != old and not errors(hint, from_schema):
        return from_schema
    base = {k: v for k, v in declared.items() if k not in _EXPLICIT}
    return example({**base, **hint}, name)


def _put(container: Any, path: tuple[str | int, ...], value: Any, drop: bool) -> Any:
    """`container` with the value at `path` set (or removed), intermediate objects created; a copy."""
    if not path:
        return None if drop else value
    head, rest = path[0], path[1:]
    if isinstance(head, int):
        items = list(container) if isinstance(container, list) else []
        if head >= len(items):
            if drop:
                return items
            items.extend([None] * (head + 1 - len(items)))
        if drop and not rest:
            del items[head]
        else:
            items[head] = _put(items[head], rest, value, drop)
        return items
    obj = dict(container) if isinstance(container, Mapping) else {}
    if drop and not rest:
        obj.pop(head, None)
    elif not (drop and head not in obj):
        obj[head] = _put(obj.get(head), rest, value, drop)
    return obj


def _apply(built: Built, shape: RequestShape, issue: Issue, body_taking: bool) -> Built:
    if issue.action == "media":
        return switch_media(built, shape)
    where = _place(issue, shape, body_taking)
    drop = issue.action == "drop"
    old = _current(built, where, issue.path)
    if where == "body":
        return _apply_body(built, shape, issue, drop, old)
    if not issue.path:
        return built
    name = str(issue.path[0])
    params = dict(_params(built, where))
    if drop:
        params.pop(name, None)
    else:
        params[name] = stringify(_new_value(shape, where, issue.path[:1], issue.hint, old))
    field = {"query": "query", "path": "path", "header": "headers", "cookie": "cookies"}[where]
    return replace(built, **{field: params})


def _apply_body(built: Built, shape: RequestShape, issue: Issue, drop: bool, old: Any) -> Built:
    if not issue.path and not drop:  # the whole body is missing
        body = example(shape.body, "") if shape.body else {}
        return replace(built, body=_as_media(body, built.media))
    value = None if drop else _new_value(shape, "body", issue.path, issue.hint, old)
    if is_form(built.media):  # a form is flat: a nested field goes as its top-level value
        path = issue.path[:1]
        if len(issue.path) > 1 and not drop:
            value = _put(_current(built, "body", path), issue.path[1:], value, drop)
        body = _put(built.body or {}, path, None if value is None else stringify(value), drop)
    else:
        body = _put(copy.deepcopy(built.body) if built.body is not None else {}, issue.path, value, drop)
    return replace(built, body=body)


def _as_media(body: Any, media: str) -> Any:
    if is_form(media):
        return {k: stringify(v) for k, v in body.items()} if isinstance(body, Mapping) else {}
    return body


def switch_media(built: Built, shape: RequestShape) -> Built:
    """JSON -> the form type the shape declares (urlencoded if none); a form -> JSON, typed again by the schema."""
    if is_form(built.media):
        typed = example(shape.body, "") if shape.body else None
        body = {**(built.body or {}), **typed} if isinstance(typed, dict) else built.body
        return replace(built, body=body if body is not None else {}, media=JSON)
    media = next((m for m in shape.media_types if is_form(m)), FORM)
    return replace(built, body=_as_media(built.body if built.body is not None else {}, media), media=media)


def _missing_but_sent(issue: Issue, built: Built) -> bool:
    """A body field reported missing that was sent: the body went in a media type the service did not read."""
    return (
        issue.action == "set"
        and not issue.hint
        and issue.where in ("body", None)
        and bool(issue.path)
        and _current(built, "body", issue.path) is not None
    )


def repair(built: Built, shape: RequestShape, status: int, text: str) -> Built | None:
    """The corrected request, or None when the answer does not say what to change (the caller stops)."""
    if status == UNSUPPORTED_MEDIA:
        return switch_media(built, shape)
    if status not in REPAIRABLE:
        return None
    body_taking = shape.body is not None or built.body is not None
    found = issues(text, built, body_taking)
    if found and all(_missing_but_sent(i, built) for i in found):
        found = [Issue("body", (), "media", {})]
    fixed = built
    for issue in found:
        if issue.action == "media" and fixed.media != built.media:
            continue  # one switch per answer, however many errors point at it
        fixed = _apply(fixed, shape, issue, body_taking)
    return fixed if fixed != built else None
