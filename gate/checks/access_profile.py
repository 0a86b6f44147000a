"""The access profile: per operation, the DynamoDB calls its legitimate user's request made.

For each operation the legitimate user (a privileged identity for admin routes, otherwise the
first regular identity whose fixtures fill the path) uses it once: the request is the one the
checks already sent (`own_request` is shared), so the profile costs a request only for operations
no check used as intended. For each call: table, index, operation, and for each key attribute
where its value came from:

  identity           the caller's subject, email or a value only its own seeded items hold
  request            a path/query parameter or a body field of the request (`from` says which)
  identity+request   both: the path names the caller. When the same caller's request for another
                     identity's path (a bola probe) was recorded, that call settles it: the key
                     followed the path (`request`) or stayed the caller's (`identity`)
  other              neither: a constant or a value the service computed (a generated id)

A Scan has no key (`"key": []`): it reads every owner's items. The report's `access_profile` is
this list; it is the material for comparing a pull request with its base (a key that moved from
`identity` to `request` is an authorization change worth a look).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from gate.auth.identities import Identity
from gate.checks.context import ScanContext
from gate.checks.util import is_admin_route, is_public, legit_owner, own_request
from gate.dynamo.calls import DynamoCall
from gate.target.openapi import Operation
from gate.target.probe import Exchange

_NAME = r"#?[A-Za-z_][\w.]*"
_CLAUSE = re.compile(
    rf"begins_with\s*\(\s*(?P<bw>{_NAME})\s*,\s*(?P<bwv>:\w+)\s*\)"
    rf"|(?P<bt>{_NAME})\s+BETWEEN\s+(?P<btv>:\w+)\s+AND\s+:\w+"
    rf"|(?P<cmp>{_NAME})\s*(?:=|<=|>=|<|>)\s*(?P<cmpv>:\w+)",
    re.I,
)
_DATA_OPS = {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem"}
_DATA_OPS |= {"TransactGetItems", "TransactWriteItems"}


def key_values(call: DynamoCall, key_names: dict[str, list[str]]) -> list[tuple[str, Any]]:
    """(attribute, value) of the key a call addressed: Key, the Item's key, or the key condition."""
    if call.key:
        return list(call.key.items())
    if call.key_condition:
        out = []
        for m in _CLAUSE.finditer(call.key_condition):
            name = m.group("bw") or m.group("bt") or m.group("cmp")
            ref = m.group("bwv") or m.group("btv") or m.group("cmpv")
            out.append((call.names.get(name, name), call.values.get(ref)))
        return out
    out = []
    for written in call.writes:  # PutItem items, batch/transact keys
        for table in (call.table or "").split(","):
            names = key_names.get(table, [])
            if names and all(n in written for n in names):
                out += [(n, written[n]) for n in names]
                break
    return out


def request_fields(op: Operation, ex: Exchange) -> dict[str, str]:
    """The request's values by field: `path user_id`, `query topic`, `body owner_id` -> value."""
    out: dict[str, str] = {}
    parts = urlsplit(ex.path)
    template = op.path.strip("/").split("/")
    for seg_t, seg in zip(template, parts.path.strip("/").split("/"), strict=False):
        if seg_t.startswith("{") and seg_t.endswith("}"):
            out[f"path {seg_t[1:-1]}"] = unquote(seg)
    for k, v in parse_qsl(parts.query):
        out[f"query {k}"] = v
    try:
        sent = json.loads(ex.request_body) if ex.request_body else None
    except ValueError:
        sent = None
    if isinstance(sent, dict):
        for k, v in sent.items():
            if isinstance(v, str | int) and not isinstance(v, bool):
                out[f"body {k}"] = str(v)
    return out


def _identity_values(ctx: ScanContext, me: Identity) -> dict[str, str]:
    """Values only this identity holds: sub, email, and seeded values no other identity shares."""
    out = {me.sub: "sub"}
    if me.email:
        out[me.email] = "email"
    holders: dict[str, set[str]] = {}
    for item in ctx.owned:
        for v in item.item.values():
            if isinstance(v, str):
                holders.setdefault(v, set()).add(item.owner or "")
    for item in ctx.items_of(me):
        for k, v in item.item.items():
            if isinstance(v, str) and holders.get(v) == {me.name}:
                out.setdefault(v, f"{item.table}.{k}")
    return out


def _settle(
    ctx: ScanContext,
    op: Operation,
    me: Identity,
    call: DynamoCall,
    attr: str,
    fields: list[str],
    key_names: dict[str, list[str]],
) -> str | None:
    """Settle `identity+request` by a recorded request of `me` where one of `fields` carried another value
    (a bola probe, an errors provocation): the key followed it (`request`) or stayed the caller's (`identity`)."""
    own = _identity_values(ctx, me)
    for ex in ctx.prober.exchanges:
        if ex.identity != me.name or ex.method != op.method or not op.matches(ex.path):
            continue
        sent = request_fields(op, ex)
        changed = {f: sent[f] for f in fields if f in sent and sent[f] not in own}
        if not changed:
            continue
        for other in ex.calls:
            if (other.operation, other.table, other.index) != (call.operation, call.table, call.index):
                continue
            for name, value in key_values(other, key_names):
                if name == attr and str(value) in changed.values():
                    return "request"
                if name == attr and str(value) in own and len(changed) == len(fields):
                    return "identity"  # every field that carried the value changed; the key did not
    return None


def profile_call(
    ctx: ScanContext, op: Operation, me: Identity, ex: Exchange, call: DynamoCall, key_names: dict[str, list[str]]
) -> dict[str, Any]:
    mine, sent = _identity_values(ctx, me), request_fields(op, ex)
    key: list[dict[str, Any]] = []
    for attr, value in key_values(call, key_names):
        v = str(value)
        fields = sorted(f for f, got in sent.items() if got == v)
        if v in mine and fields:
            source = _settle(ctx, op, me, call, attr, fields, key_names) or "identity+request"
        else:
            source = "identity" if v in mine else "request" if fields else "other"
        origin = ([f"identity {mine[v]}"] if v in mine else []) + fields
        entry = {"attribute": attr, "source": source, "from": ", ".join(origin) or None}
        if entry not in key:  # a batch repeats the attribute for each key
            key.append(entry)
    out: dict[str, Any] = {"operation": call.operation, "table": call.table, "key": key}
    if call.index:
        out["index"] = call.index
    if call.filter:
        out["filter"] = True
    if call.error:
        out["error"] = call.error
    return out


async def build(ctx: ScanContext) -> list[dict[str, Any]]:
    key_names = {t.name: list(t.key) for t in ctx.tables}
    out: list[dict[str, Any]] = []
    for op in sorted(ctx.operations, key=lambda o: (o.path, o.method)):
        owner = legit_owner(ctx, op)
        entry: dict[str, Any] = {"operation": op.id, "public": is_public(ctx, op)}
        if owner is None or ctx.recorder is None:
            if ctx.recorder is None:
                why = "the service's DynamoDB calls are not recorded (service.url)"
            elif is_admin_route(ctx, op) and not ctx.privileged:
                why = "an admin operation, and no identity has a role"
            else:
                why = "no identity's fixtures fill the path parameters"
            out.append(entry | {"note": f"not profiled: {why}"})
            continue
        me, path = owner
        own = await own_request(ctx, op, me, path)
        assert own is not None
        ex = own.exchange
        calls = [profile_call(ctx, op, me, ex, c, key_names) for c in ex.calls if c.operation in _DATA_OPS]
        entry |= {"identity": me.name, "status": ex.status, "calls": _dedupe(calls)}
        out.append(entry)
    return out


def _dedupe(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for c in calls:
        if c not in out:
            out.append(c)
    return out


async def record(ctx: ScanContext) -> list[str]:
    """Build the profile into `ctx.access_profile`; returns errors (a failure never hides findings)."""
    try:
        ctx.access_profile = await build(ctx)
    except Exception as exc:  # the profile is a report section: its failure makes the scan incomplete
        return [f"access profile failed: {type(exc).__name__}: {exc}"]
    return []
