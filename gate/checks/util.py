"""Helpers shared by the dynamic checks: sample bodies, fixture-value matching, public routes."""

from __future__ import annotations

import fnmatch
from typing import Any

from gate.checks.context import ScanContext
from gate.dynamo.fixtures import OwnedItem
from gate.dynamo.recorder import DynamoCall
from gate.openapi import Operation

_SAMPLES = {"integer": 7, "number": 7.5, "boolean": True, "array": [], "object": {}}


def sample_body(op: Operation, ctx: ScanContext | None = None, marker: str = "authgate-probe") -> dict[str, Any] | None:
    """A body that fits the operation's schema, with recognisable string values.

    A schema-less body (`body: dict`) gets the non-key string attributes of the seeded items, the
    fields such a handler most likely writes.
    """
    if not op.has_body:
        return None
    body: dict[str, Any] = {}
    for name, typ in op.body_types:
        body[name] = _SAMPLES.get(typ, f"{marker}-{name}")
    if not body and ctx is not None:
        keys = {k for t in ctx.tables for k in t.key} | set(op.path_params)
        for item in ctx.owned:
            for name, value in item.item.items():
                if isinstance(value, str) and name not in keys and "password" not in name and name != "role":
                    body.setdefault(name, f"{marker}-{name}")
        body = dict(list(sorted(body.items()))[:4])
    return body


def is_admin_route(ctx: ScanContext, op: Operation) -> bool:
    """Routes whose path, tags or config say only privileged identities may call them (bfla's domain)."""
    cfg = ctx.cfg
    if any(fnmatch.fnmatchcase(op.id, pat) or fnmatch.fnmatchcase(op.path, pat) for pat in cfg.checks.admin_paths):
        return True
    words = {w.lower() for w in op.path.replace("-", "/").replace("_", "/").split("/")} | {t.lower() for t in op.tags}
    return bool(words & {"admin", "admins", "internal", "staff", "superuser", "ops"})


def is_public(ctx: ScanContext, op: Operation) -> bool:
    """Credential endpoints and operations the config declares public are meant to be anonymous."""
    cfg = ctx.cfg
    public = {cfg.service.ready, cfg.openapi or "/openapi.json", "/docs", "/redoc", "/docs/oauth2-redirect"}
    if cfg.auth.login:
        public |= {cfg.auth.login.path, cfg.auth.login.reset_path or ""}
    if op.path in public:
        return True
    return any(fnmatch.fnmatchcase(op.id, pat) or fnmatch.fnmatchcase(op.path, pat) for pat in cfg.checks.public)


def values_in(text: str, item: OwnedItem, exclude: set[str]) -> list[str]:
    """The item's identifying values that appear in a response body (minus `exclude`)."""
    return [v for v in item.values() if v not in exclude and v in text]


def foreign_items(ctx: ScanContext, calls: list[DynamoCall], me: str) -> list[tuple[DynamoCall, str]]:
    """(call, owner) for each item a call returned that belongs to another identity."""
    out = []
    for call in calls:
        for item in call.items:
            owner = ctx.owner_of(call.table, item)
            if owner and owner != me:
                out.append((call, owner))
    return out


def touched_db(calls: list[DynamoCall]) -> list[DynamoCall]:
    """Calls that read or wrote data (not DescribeTable/ListTables)."""
    return [c for c in calls if c.operation not in ("DescribeTable", "ListTables", "DescribeEndpoints")]
