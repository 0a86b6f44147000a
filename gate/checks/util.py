"""Helpers shared by the dynamic checks: sample bodies, fixture-value matching, public routes, and
the identities' own (legitimate) requests that several families share."""

from __future__ import annotations

import asyncio
import copy
import fnmatch
from dataclasses import dataclass
from typing import Any

from gate.auth.identities import Identity
from gate.checks.context import ScanContext
from gate.dynamo.calls import DynamoCall
from gate.dynamo.fixtures import OwnedItem
from gate.target.openapi import Operation
from gate.target.probe import Exchange


def sample_body(op: Operation, ctx: ScanContext) -> Any:
    """The body of `op`'s legitimate request (a copy: probes add fields to it); see ScanContext.body_of."""
    return copy.deepcopy(ctx.body_of(op))


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
    public: set[str] = set()
    if op.method == "GET":  # the framework's documentation pages; a `POST /docs` is an API of its own
        public |= {cfg.service.ready, cfg.openapi or "/openapi.json", "/docs", "/redoc", "/docs/oauth2-redirect"}
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


@dataclass(frozen=True, slots=True)
class OwnRequest:
    """An identity's legitimate request to an operation, and the item changes it made (writes)."""

    identity: Identity
    exchange: Exchange
    changes: list[dict[str, Any]]


async def own_request(
    ctx: ScanContext, op: Operation, identity: Identity, path: str | None = None
) -> OwnRequest | None:
    """`identity` uses `op` as intended (on its own data, or on `path`); sent once per scan and shared.

    Writes run inside `ctx.mutation()`, so they are diffed and the seed is restored afterwards.
    """
    path = ctx.path_for(op, identity) if path is None else path
    if path is None:
        return None
    key = (op.id, identity.name, path)
    fut = ctx.own_cache.get(key)
    if fut is None:
        fut = ctx.own_cache[key] = asyncio.ensure_future(_send_own(ctx, op, identity, path))
    return await fut


async def _send_own(ctx: ScanContext, op: Operation, identity: Identity, path: str) -> OwnRequest:
    label = f"{identity.name} uses {op.id} as intended"
    if op.method == "GET":
        return OwnRequest(identity, await ctx.prober.send("GET", path, identity, label=label), [])
    async with ctx.mutation() as (lane, changes):
        ex = await ctx.send_op(op, path, identity, lane=lane, label=label)
    return OwnRequest(identity, ex, changes)


def privileged_target(ctx: ScanContext, op: Operation) -> tuple[Identity | None, str] | None:
    """(whose data, path) an admin operation is exercised on: the last regular identity's data, so that
    the first regular identity (the attacker of bfla) acts on someone else's; the bare path without
    parameters; None when no regular identity fills the parameters."""
    if not op.path_params:
        return None, op.path
    for victim in reversed(ctx.regular):
        path = ctx.path_for(op, victim)
        if path is not None:
            return victim, path
    return None


def legit_owner(ctx: ScanContext, op: Operation) -> tuple[Identity, str] | None:
    """Who uses `op` legitimately, and on which path: a privileged identity for admin routes, otherwise the
    first regular identity whose fixtures fill the path parameters."""
    if is_admin_route(ctx, op):
        target = privileged_target(ctx, op)
        return (ctx.privileged[0], target[1]) if ctx.privileged and target else None
    for ident in ctx.regular or list(ctx.identities.values()):
        path = ctx.path_for(op, ident)
        if path is not None:
            return ident, path
    return None
