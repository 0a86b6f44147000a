"""Reach every operation before any attack: one legitimate request each, repaired until it validates.

A check can only prove what a request gets through: an attack whose body the service rejects with
422 tests the validation, not the authorization behind it. So before the families run, each
operation is called once the way it is meant to be used (gate.checks.util.legit_owner: a regular
identity on its own data, a privileged one on an admin route, anonymous on a public one), with the
request gate.checks.requests builds from its schema and the config. When the answer is 400, 415
or 422, gate.target.repair reads the validation error the framework returned (FastAPI/pydantic
`detail[].loc`, flask-restx, marshmallow, a message naming a field) and the request is sent again
repaired, at most MAX_ATTEMPTS times. The request that reached the operation is the one every
later probe starts from (ScanContext.requests); writes run in `ctx.mutation()`, so the seed is
restored after each.

The result is the report's `coverage`: per operation whether it was reached (2xx), its last status,
the DynamoDB calls the reaching request caused, the attempts and, when it was not reached, why
(the last answer's excerpt). Below `gate.min_coverage` the scan is incomplete: an operation the
gate could not exercise is untested, never fine.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from gate.auth.identities import Identity
from gate.checks.context import ScanContext
from gate.checks.util import OwnRequest, is_admin_route, is_public, legit_owner, touched_db
from gate.target.openapi import Operation
from gate.target.probe import Exchange
from gate.target.repair import repair
from gate.target.values import Built

MAX_ATTEMPTS = 4  # the first request and three repairs
_REPAIRABLE = (400, 415, 422)
_EXCERPT = 160


@dataclass(slots=True)
class Reach:
    operation: str
    reached: bool
    status: int
    dynamodb_calls: int
    attempts: int
    identity: str
    reason: str | None
    skipped: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "reached": self.reached,
            "status": self.status,
            "dynamodb_calls": self.dynamodb_calls,
            "attempts": self.attempts,
            "identity": self.identity,
            "reason": self.reason,
            **({"skipped": True} if self.skipped else {}),
        }


async def learn(ctx: ScanContext) -> None:
    """One legitimate request per operation, repaired until it validates; the results in `ctx.reach`."""
    for op in ctx.operations:
        ctx.reach[op.id] = await _reach(ctx, op)


def _login_reach(ctx: ScanContext, op: Operation) -> Reach | None:
    """The login route was reached by the identities' logins (the scan stops when one fails)."""
    lc = ctx.cfg.auth.login
    if lc is None or (op.method, op.path) != (lc.method, lc.path):
        return None
    logged = [i for i in ctx.identities.values() if i.token or i.cookies]
    if not logged:
        return None
    return Reach(op.id, True, 200, 0, len(logged), ", ".join(i.name for i in logged), None)


def _caller(ctx: ScanContext, op: Operation) -> tuple[Identity | None, str] | str:
    """Who uses `op` legitimately and on which path, or why nobody can."""
    if is_public(ctx, op):
        return None, ctx.sample_path(op)
    got = legit_owner(ctx, op)
    if got is not None:
        return got
    if is_admin_route(ctx, op) and not ctx.privileged:
        return "an admin route, and no identity has a role (identities.<name>.role) to call it with"
    missing = ", ".join(op.path_params) or "a path parameter"
    return f"no identity's fixtures give a value for {missing} (add a fixture owned by an identity, or operations:)"


async def _reach(ctx: ScanContext, op: Operation) -> Reach:
    login = _login_reach(ctx, op)
    if login is not None:
        return login
    caller = _caller(ctx, op)
    if isinstance(caller, str):
        return Reach(op.id, False, 0, 0, 0, "nobody", caller)
    ident, path = caller
    first = ctx.built(op)
    guess = ctx.body_of(op)  # a schema-less body: guessed from the seeded items
    if guess != first.body:
        first = ctx.requests[op.id] = dataclasses.replace(first, body=guess)
    tried = [first]
    others = _others(ctx, op, ident)  # when the meant caller is refused: who else may (bounded, each once)
    ex: Exchange | None = None
    attempts = 0
    while attempts < MAX_ATTEMPTS + len(ctx.identities):
        attempts += 1
        ex, changes = await _send(ctx, op, ident, path)
        if ex.ok:
            if ident is not None:
                _remember(ctx, op, ident, path, ex, changes)
            who = ident.name if ident else "anonymous"
            return Reach(op.id, True, ex.status, len(touched_db(ex.calls)), attempts, who, None)
        fixed = repair(tried[-1], op.shape, ex.status, ex.text) if ex.status in _REPAIRABLE else None
        if fixed is None or fixed in tried:
            fixed = _as_account(ctx, op, tried[-1], ident)  # a reset or a login names an existing account
        if (fixed is None or fixed in tried) and ex.status in (401, 403) and others:
            ident, path = others.pop(0)  # the same request, as another identity
            continue
        if fixed is None or fixed in tried or len(tried) >= MAX_ATTEMPTS:
            break
        tried.append(fixed)
        ctx.requests[op.id] = fixed
        path = ctx.sample_path(op) if ident is None else (ctx.path_for(op, ident) or path)
    assert ex is not None
    ctx.requests[op.id] = tried[0]  # nothing reached it: the checks start from the schema's request
    who = ident.name if ident else "anonymous"
    return Reach(op.id, False, ex.status, len(touched_db(ex.calls)), attempts, who, _why(ctx, ex))


def _others(ctx: ScanContext, op: Operation, ident: Identity | None) -> list[tuple[Identity, str]]:
    """The identities other than the meant caller, each with its own path (an admin route that only regular
    accounts may call, a public route that wants a signed-in caller after all)."""
    out = []
    for other in ctx.identities.values():
        path = ctx.path_for(op, other) if ident is None or other.name != ident.name else None
        if path is not None:
            out.append((other, path))
    return out


_PASSWORD = re.compile(r"(?i)pass(word|wd)?$|^pwd$")
_EMAIL = re.compile(r"(?i)e_?mail(_address)?$")
_ACCOUNT = re.compile(r"(?i)^(user_?name|login|handle|user_?id|account(_?id|_?name)?)$")


def _as_account(ctx: ScanContext, op: Operation, built: Built, ident: Identity | None) -> Built | None:
    """`built` with its account fields (e-mail, user name, password) set to an identity's own: a password
    reset, a login route the config does not name, or a lookup answers 2xx only for an account that
    exists. The caller's own account, or the first regular identity's on a public operation."""
    me = ident or next((i for i in ctx.regular if i.password), None)
    if me is None:
        return None

    def value(name: str) -> str | None:
        if _PASSWORD.search(name) and me.password:
            return me.password
        if _EMAIL.search(name) and me.email:
            return me.email
        if _ACCOUNT.fullmatch(name):
            return str(ctx.param_value(name, me) or me.sub)
        return None

    body = built.body
    if isinstance(body, dict):
        body = {k: (value(k) or v) if isinstance(v, str | type(None)) else v for k, v in body.items()}
        login_like = any(_EMAIL.search(k) or _ACCOUNT.fullmatch(k) for k in body)
        if login_like and me.password and not any(_PASSWORD.search(k) for k in body):
            body["password"] = me.password  # a login-like body the schema says nothing of
    query = {k: value(k) or v for k, v in built.query.items()}
    if body == built.body and query == built.query:
        return None
    return Built(query=query, headers=built.headers, cookies=built.cookies, body=body, media=built.media)


async def _send(
    ctx: ScanContext, op: Operation, ident: Identity | None, path: str
) -> tuple[Exchange, list[dict[str, Any]]]:
    label = f"{ident.name if ident else 'anonymous'} uses {op.id} as intended"
    if op.method == "GET":
        return await ctx.send_op(op, path, ident, label=label), []
    async with ctx.mutation() as (lane, changes):
        ex = await ctx.send_op(op, path, ident, lane=lane, label=label)
    return ex, changes


def _remember(
    ctx: ScanContext, op: Operation, ident: Identity, path: str, ex: Exchange, changes: list[dict[str, Any]]
) -> None:
    """The reaching request is this identity's own request to `op`: the families share it, never resend it."""
    fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    fut.set_result(OwnRequest(ident, ex, changes))
    ctx.own_cache.setdefault((op.id, ident.name, path), fut)


def _why(ctx: ScanContext, ex: Exchange) -> str:
    if ex.error:
        return ctx.redact(ex.error)[:_EXCERPT]
    body = " ".join(ctx.redact(ex.text).split())
    return f"answered {ex.status}: {body[:_EXCERPT]}" + ("…" if len(body) > _EXCERPT else "")


def coverage(ctx: ScanContext, enders: list[Operation]) -> list[Reach]:
    """Every operation's entry, the session enders (logout) and `checks.skip` included, by operation id.

    An operation no legitimate request reached in `learn` still counts as reached when an identity's
    own request reached it later (another identity's data filled its path)."""
    out = dict(ctx.reach)
    for (op_id, _name, _path), fut in ctx.own_cache.items():
        entry = out.get(op_id)
        if entry is None or entry.reached or not fut.done() or fut.cancelled() or fut.exception() is not None:
            continue
        own = fut.result()
        if own is not None and own.exchange.ok:
            ex = own.exchange
            out[op_id] = Reach(
                op_id, True, ex.status, len(touched_db(ex.calls)), entry.attempts + 1, own.identity.name, None
            )
    for op in enders:
        # a logout route is never called with the scan's identities; jwt.after-logout calls it with a throwaway
        # account when it can (auth.users, in the shard holding the login): not counted when nothing called it
        sent = [ex for ex in ctx.prober.exchanges if ex.method == op.method and op.matches(ex.path)]
        ok = [ex for ex in sent if ex.ok]
        last = (ok or sent or [None])[-1]
        reason = None if ok else "it ends the session: only jwt.after-logout calls it, with a throwaway account"
        out[op.id] = Reach(
            op.id,
            bool(ok),
            last.status if last else 0,
            len(touched_db(last.calls)) if last else 0,
            len(sent),
            (last.identity or "anonymous") if last else "nobody",
            reason,
            skipped=not sent,
        )
    for op_id, why in ctx.cfg.checks.skip.items():
        out[op_id] = Reach(op_id, False, 0, 0, 0, "nobody", f"skipped (checks.skip): {why}", skipped=True)
    return [out[k] for k in sorted(out)]


def problems(entries: list[Reach], min_coverage: float) -> list[str]:
    """Why the scan is incomplete: below `gate.min_coverage`, each operation not reached and the fix."""
    counted = [e for e in entries if not e.skipped]
    if not counted:
        return []
    reached = sum(1 for e in counted if e.reached)
    if reached >= min_coverage * len(counted) - 1e-9:
        return []
    out = [
        f"coverage {reached}/{len(counted)} operations is below gate.min_coverage {min_coverage:g}: "
        "an operation no legitimate request reached was not tested"
    ]
    for e in counted:
        if not e.reached:
            out.append(
                f"{e.operation} was not reached ({e.reason or e.status}): give the values it needs in "
                f'`operations: {{"{e.operation}": {{body: ..., query: ...}}}}`, or add it to `checks.skip` '
                "with a reason"
            )
    return out
