"""mass-assignment: body fields outside the schema land in the item (OWASP API3, CWE-915).

What it proves
  A regular identity writes to its OWN item (its own path, so this is never BOLA), or anyone uses a
  public create operation (sign-up), with the operation's request that validated (gate.checks.reach)
  plus privilege fields. The snapshot diff of the probe is the proof: the attribute is in the item
  afterwards, with the value the probe sent; a field the service ignores or overwrites is no finding.
  `mass-assignment.privilege`: privilege or account-state fields (`role`, `is_admin`,
  `is_superuser`, `enabled`, `email_verified`, `plan`, `credits`, ...) landed in an account record
  (see `_accounts`: the `auth.users` table, a table keyed by the identity, a single-table
  `USER#<sub>`/`PROFILE` record, or an item that already carries such a field). They are sent
  whether or not the schema declares them: a declared `role: Literal["user", "admin"] = "user"`
  stored as given is the same flaw as an undeclared one; an enum takes its most privileged value.
  When the write created an account through the login-able sign-up and the scan has an admin
  route, the new account logs in and calls it: its answer is part of the proof. `mass-assignment.owner`: an ownership
  attribute (one that holds the owner's id in the seeded items, e.g. `owner_id`, `user_id`) landed
  with ANOTHER identity's id: the caller created or moved an item into someone else's name.

Example finding
  HIGH mass-assignment.privilege PUT /users/{user_id}/profile alice: item diff: changed profiles
  {"user_id": "alice"}: role None -> "admin", is_admin None -> true.

Remediation
  Validate the body against a model that lists the writable fields and rejects the rest
  (pydantic `extra="forbid"`), build the update from that allow-list, and take the owner from
  the verified token, never from the body.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

from gate.auth.identities import Identity
from gate.auth.login import LoginError, extract_token, login_body
from gate.auth.login import body_kwargs as login_kwargs
from gate.checks._auth import remember
from gate.checks.context import ScanContext
from gate.checks.engine import PerOperation, Probe, Routes
from gate.checks.util import is_admin_route, is_public, privileged_target, sample_body
from gate.findings import FamilyMeta, Finding, Severity
from gate.target.openapi import Operation
from gate.target.probe import Exchange
from gate.target.values import privileged

MASS_ASSIGNMENT = FamilyMeta(name="mass-assignment", cwe=("CWE-915",), owasp=("API3:2023",))
PRIVILEGE = MASS_ASSIGNMENT.check(
    "mass-assignment.privilege",
    title="Privilege field from the body lands in the item",
    description="A privilege field in the body (role, is_admin, is_superuser, enabled, ...), declared or not, was "
    "stored in the caller's account record.",
    severity=Severity.HIGH,
    remediation="Accept only allow-listed fields (pydantic extra='forbid') and build the update from that list; "
    "roles and account state are set by admin operations only.",
)
OWNER = MASS_ASSIGNMENT.check(
    "mass-assignment.owner",
    title="Owner field from the body lands in the item",
    description="A body field naming another identity as the owner (owner_id, user_id, ...) landed in an item.",
    severity=Severity.HIGH,
    remediation="Set the owner attribute from the verified token after validation, never from the body; reject "
    "unknown fields.",
)

GENERIC_OWNER_FIELDS = ("owner_id", "user_id")


# privilege and account-state fields: sent on every write (value: what grants most)
_BOOLEAN = (
    "is_admin",
    "admin",
    "is_superuser",
    "superuser",
    "is_staff",
    "staff",
    "is_active",
    "active",
    "enabled",
    "is_verified",
    "verified",
    "email_confirmed",
    "email_verified",
    "approved",
)
_LISTS = ("roles", "permissions", "scopes", "groups")
_AMOUNTS = ("credits", "balance", "quota")


def _privilege_fields(ctx: ScanContext, op: Operation | None = None) -> dict[str, Any]:
    """Each privilege field and the value sent for it; a field `op`'s schema declares with an enum
    (`role: Literal["user", "admin"]`) gets its most privileged value."""
    role = next((i.role for i in ctx.privileged if i.role), "admin")
    out: dict[str, Any] = {"role": role, "user_role": role, "account_type": role, "plan": "enterprise"}
    out |= dict.fromkeys(_BOOLEAN, True) | {k: [role] for k in _LISTS} | dict.fromkeys(_AMOUNTS, 1_000_000)
    props = ((op.shape.body or {}).get("properties") or {}) if op is not None else {}
    for name in out:
        best = privileged(props[name]) if isinstance(props.get(name), dict) else None
        if best is not None:
            out[name] = best
    return out


def _accounts(ctx: ScanContext, fields: set[str]) -> tuple[set[str], set[tuple[str, str]]]:
    """Where an item is an account, so a privilege field in it grants something: (whole tables,
    single (table, key) records). Whole tables: `auth.users.table`, and tables keyed by one attribute
    whose seeded items are keyed by their owner (`profiles` by `user_id`) or already carry such a
    field. Single records, in tables with a sort key: a seeded item carrying such a field, or a
    single-table account record (`USER#alice` / `PROFILE`). A `role` landing in a blog post (or in
    an order next to the profile record) grants nothing: that is not this check's finding."""
    tables = {ctx.cfg.auth.users.table} if ctx.cfg.auth.users else set()
    records: set[tuple[str, str]] = set()
    by_name = {t.name: t for t in ctx.tables}
    for item in ctx.owned:
        table = by_name.get(item.table)
        if table is None:
            continue
        ident = ctx.identities.get(item.owner or "")
        values = [str(v) for v in item.key.values()]
        if len(table.key) == 1:
            if fields & set(item.item) or (ident is not None and values == [ident.sub]):
                tables.add(item.table)
        elif fields & set(item.item) or (
            ident is not None
            and len(values) == 2
            and ident.sub in values[0].split("#")
            and _RECORD.fullmatch(values[1])
        ):
            records.add((item.table, _key_id(item.key)))
    return tables, records


def _key_id(key: dict[str, Any]) -> str:
    return json.dumps(key, sort_keys=True, default=str)


# sort-key values that name an account's own record in a single-table design, not one of its items
_RECORD = re.compile(r"(?i)#?(profile|user|account|meta(data)?|details|settings|me)")


def _owner_attrs(ctx: ScanContext) -> dict[str, set[str]]:
    """Per table, the attributes that hold the owner's id in its seeded items (`posts`: owner_id)."""
    out: dict[str, set[str]] = {}
    for item in ctx.owned:
        ident = ctx.identities.get(item.owner or "")
        if ident is not None:
            out.setdefault(item.table, set()).update(k for k, v in item.item.items() if v == ident.sub)
    return out


def _owner_fields(ctx: ScanContext) -> list[str]:
    """Body fields to try: every table's owner attributes plus the usual names."""
    return sorted(set(GENERIC_OWNER_FIELDS).union(*_owner_attrs(ctx).values()))


def _key_names(ctx: ScanContext) -> set[str]:
    return {k for t in ctx.tables for k in t.key}


def _landed(changes: list[dict[str, Any]], sent: dict[str, Any]) -> list[tuple[dict[str, Any], list[str]]]:
    """(change, attributes) where a sent attribute is in the created/changed item with the sent value."""
    out = []
    for c in changes:
        after = c.get("after") or {}  # a changed item's `after` holds only the changed attributes
        hit = sorted(a for a in after if a in sent and after[a] == sent[a])
        if hit:
            out.append((c, hit))
    return out


async def _send(
    ctx: ScanContext, op: Operation, me: Identity, path: str, body: dict[str, Any], label: str
) -> tuple[Exchange, list[dict[str, Any]]]:
    async with ctx.mutation() as (lane, changes):
        ex = await ctx.send_op(op, path, me, body=body, lane=lane, label=label)
    return ex, changes


def _describe(change: dict[str, Any], attrs: list[str]) -> str:
    before = change.get("before") or {}
    after = change.get("after") or {}
    vals = ", ".join(f"{a} {before.get(a)!r} -> {after.get(a)!r}" for a in attrs)
    return f"item diff: {change['change']} {change['table']} {change['key']}: {vals}"


def _writer(ctx: ScanContext, op: Operation) -> tuple[Identity, str] | None:
    """One regular identity writing to its own item is enough: the flaw is the handler's, not the caller's."""
    me = next((i for i in ctx.regular if ctx.path_for(op, i) is not None), None)
    path = ctx.path_for(op, me) if me is not None else None
    return (me, path) if me is not None and path is not None else None


def _with(body: Any, extra: dict[str, Any]) -> dict[str, Any]:
    """The operation's own body with `extra` fields over it (a body that is not an object is replaced)."""
    return {**body, **extra} if isinstance(body, dict) else dict(extra)


async def _privilege(ctx: ScanContext, op: Operation) -> AsyncIterator[Finding]:
    if is_admin_route(ctx, op):
        return  # a privileged caller setting roles is what admin routes are for (bfla guards who calls them)
    writer = (None, ctx.sample_path(op)) if is_public(ctx, op) else _writer(ctx, op)
    if writer is None or _is_login(ctx, op):
        return
    me, path = writer
    who = me.name if me else "anonymous"
    keys = _key_names(ctx) | set(op.path_params)
    extra = {k: v for k, v in _privilege_fields(ctx, op).items() if k not in keys}
    body = _with(sample_body(op, ctx), extra)
    label = f"{who} adds privilege fields to {'a sign-up' if me is None else 'its own write'}"
    async with ctx.mutation() as (lane, _changes):
        ex = await ctx.send_op(op, path, me, body=body, lane=lane, label=label)
        tables, records = _accounts(ctx, set(extra))
        changes_now = await ctx.changes_so_far()
        mine = [
            (c, a)
            for c, a in _landed(changes_now, extra)
            if (c["table"] in tables or (c["table"], _key_id(c["key"])) in records)
            and (c["change"] == "created" or (me is not None and ctx.owner_of(c["table"], c["key"]) == me.name))
        ]
        escalated = await _escalate(ctx, lane, body, mine) if mine and me is None else []
    if not mine:
        return
    changed = [c for c, _ in mine]
    attrs = sorted({a for _, a_list in mine for a in a_list})
    whose = "a new account" if me is None else "its own item"
    yield ctx.finding(
        PRIVILEGE,
        op,
        message=f"{who} set {', '.join(attrs)} on {whose} through {op.id} (answered {ex.status})",
        evidence=ctx.evidence(
            ex,
            calls=[*ex.calls, *(c for e in escalated for c in e.calls)],
            changes=changed or changes_now,
            notes=[_describe(c, a) for c, a in mine] + [_escalation_note(e) for e in escalated],
        ),
        identity=me.name if me else None,
        roles=ctx.roles(me),
    )


def _is_login(ctx: ScanContext, op: Operation) -> bool:
    lc = ctx.cfg.auth.login
    return lc is not None and (op.method, op.path) == (lc.method, lc.path)


async def _escalate(ctx: ScanContext, lane: int, body: Any, mine: list[Any]) -> list[Exchange]:
    """The account a sign-up just created with privilege fields logs in (auth.login, with the e-mail or
    user name and the password the sign-up sent) and calls an admin route: (login, admin call)."""
    lc = ctx.cfg.auth.login
    admin = next((o for o in ctx.operations if is_admin_route(ctx, o) and not is_public(ctx, o)), None)
    if lc is None or lc.cookie or admin is None or not isinstance(body, dict):
        return []
    email_attr = ctx.cfg.auth.users.email if ctx.cfg.auth.users else "email"
    login = body.get(email_attr) or body.get("email") or body.get("username")
    password = next((v for k, v in body.items() if "pass" in k.lower() and isinstance(v, str)), None)
    target = privileged_target(ctx, admin)
    if not login or password is None or target is None:
        return []
    sent = login_body(lc, email=str(login), password=password, sub=str(body.get("username") or login), name="signup")
    ex = await ctx.prober.send(
        lc.method, lc.path, None, lane=lane, label="the new account logs in", **login_kwargs(lc, sent)
    )
    try:
        token = extract_token(lc, ex.status, ex.response_headers, ex.text)
    except LoginError:
        return []
    remember(ctx, "token", "the account the sign-up escalated", token)
    auth = {ctx.cfg.auth.header: f"{ctx.cfg.auth.scheme} {token}".strip()}
    label = f"the new account calls the admin route {admin.id}"
    call = await ctx.send_op(admin, target[1], None, headers=auth, lane=lane, label=label, use_identity_auth=False)
    return [ex, call] if call.ok else []


def _escalation_note(ex: Exchange) -> str:
    calls = "; ".join(c.summary() for c in ex.calls if c.operation not in ("DescribeTable", "ListTables"))
    return f"{ex.label}: {ex.method} {ex.path} answered {ex.status}" + (f" ({calls})" if calls else "")


async def _owner(ctx: ScanContext, op: Operation) -> AsyncIterator[Finding]:
    if is_public(ctx, op) or is_admin_route(ctx, op):
        return  # as before: the caller's own writes on user routes
    if (writer := _writer(ctx, op)) is None:
        return
    me, path = writer
    victim = next((i for i in sorted(ctx.identities.values(), key=lambda i: i.privileged) if i.name != me.name), None)
    fields = [f for f in _owner_fields(ctx) if f not in op.body_fields and f not in op.path_params]
    if victim is None or not fields:
        return
    extra = dict.fromkeys(fields, victim.sub)
    body = _with(sample_body(op, ctx), extra)
    ex, changes = await _send(ctx, op, me, path, body, f"{me.name} names {victim.name} as the owner in its write")
    # an ownership attribute of THAT table (from its seeded items; the usual names for a table without seeds)
    owner_attrs = _owner_attrs(ctx)
    hits = [
        (c, [a for a in attrs if a in owner_attrs.get(c["table"], GENERIC_OWNER_FIELDS)])
        for c, attrs in _landed(changes, extra)
    ]
    hits = [(c, a) for c, a in hits if a]
    if not hits:
        return
    attrs = sorted({a for _, a_list in hits for a in a_list})
    yield ctx.finding(
        OWNER,
        op,
        message=f"{me.name} wrote an item owned by {victim.name} through {op.id} ({', '.join(attrs)} from the body)",
        evidence=ctx.evidence(ex, changes=[c for c, _ in hits], notes=[_describe(c, a) for c, a in hits]),
        identity=me.name,
        victim=victim.name,
        roles=ctx.roles(me, victim),
    )


FAMILY = PerOperation(
    meta=MASS_ASSIGNMENT,
    routes=Routes.ALL,  # public sign-ups too; admin routes and the login are left out by the probes
    probes=(
        Probe(checks=(PRIVILEGE,), run=_privilege, body=True),
        Probe(checks=(OWNER,), run=_owner, body=True),
    ),
)
