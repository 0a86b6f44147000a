"""The variable parts of an operation's legitimate request: built from its schema, with the config's values.

`gate.target.values.build` makes a request from the operation's schema (every required parameter
and body field with a value that satisfies it). Over that, `operations:` in the config puts the
values a user supplies (an object body is merged field by field, anything else replaces it), and
they must still fit the schema: a value that cannot is a ScanError naming the operation and the
field, before any request is sent. gate/checks/reach.py then repairs what the service's own
validation errors ask for, and keeps the request that worked for every later probe.
"""

from __future__ import annotations

from typing import Any

from gate.config import Config
from gate.errors import ScanError
from gate.target.openapi import Operation
from gate.target.values import Built, build, errors

FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
# headers a request never takes from the schema: the identity's credential, and what the body sets
_OWN_HEADERS = {"content-type", "content-length", "cookie", "host"}


def configured(cfg: Config, op: Operation) -> Built:
    """`op`'s request from its schema, with `operations.<op>` of the config over it."""
    built = build(op.shape)
    auth = cfg.auth.header.lower()
    headers = {k: v for k, v in built.headers.items() if k.lower() not in _OWN_HEADERS | {auth}}
    body = built.body
    oc = cfg.operations.get(op.id)
    if oc is None:
        return Built(query=built.query, headers=headers, cookies=built.cookies, body=body, media=built.media)
    if oc.body is not None:
        body = {**body, **oc.body} if isinstance(body, dict) and isinstance(oc.body, dict) else oc.body
    query = {**built.query, **{k: _text(v) for k, v in oc.query.items()}}
    given = {h.lower() for h in oc.headers}  # header names are case-insensitive: the config's replace the schema's
    out = Built(
        query=query,
        headers={**{k: v for k, v in headers.items() if k.lower() not in given}, **oc.headers},
        cookies={**built.cookies, **oc.cookies},
        body=body,
        media=built.media,
    )
    _check(op, out)
    return out


def _check(op: Operation, built: Built) -> None:
    """The config's values must fit the operation's schema: a clear error now, not a 422 on every probe."""
    problems: list[str] = []
    if op.shape.body is not None and built.body is not None:
        problems += [f"body {p}" for p in errors(op.shape.body, built.body)]
    for param in op.shape.params:
        if param.location == "query" and param.name in built.query:
            value = _typed(param.schema, built.query[param.name])
            problems += [f"query {param.name}: {p}" for p in errors(param.schema, value)]
    if problems:
        raise ScanError(
            f"operations.{op.id}: the values given do not fit the operation's schema: {'; '.join(problems[:3])}"
        )


def _typed(schema: Any, text: str) -> Any:
    """A query string value as the schema's type (`?page=2` is the integer 2 to a validator)."""
    kind = schema.get("type") if isinstance(schema, dict) else None
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
    except ValueError:
        return text
    if kind == "boolean":
        return {"true": True, "false": False}.get(text.lower(), text)
    return text


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_text(v) for v in value)
    return str(value)


def body_kwargs(op: Operation, media: str, body: Any) -> dict[str, Any]:
    """Prober.send's keyword for `body` in `media`: JSON, a form, or multipart (binary fields as files)."""
    if body is None:
        return {}
    if media == FORM and isinstance(body, dict):
        return {"data": {k: _text(v) for k, v in body.items() if v is not None}}
    if media == MULTIPART and isinstance(body, dict):
        props = (op.shape.body or {}).get("properties") or {}
        files = {k for k, s in props.items() if isinstance(s, dict) and s.get("format") == "binary"}
        return {
            "multipart": {
                k: (f"authgate-{k}.txt" if k in files else None, _text(v)) for k, v in body.items() if v is not None
            }
        }
    return {"json_body": body}
