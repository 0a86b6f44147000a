"""Helpers shared by the authentication checks (jwt, account-state, enumeration, rate-limit).

Not a check family. Everything here sends through `ctx.prober`, and remembers every credential it
uses in `ctx.remembered` (kind, whose, value) so the evidence redacts it and secrets-in-logs looks
for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from gate.auth.identities import Identity, credentials, mint
from gate.auth.login import LoginError, body_kwargs, extract_token, login_body
from gate.auth.users import Account, accounts
from gate.checks.context import ScanContext, Secret
from gate.checks.util import is_admin_route, is_public, touched_db
from gate.target.openapi import Operation
from gate.target.probe import Exchange

GARBAGE_TOKEN = "authgate.garbage.token"  # not a token at all: every check that sends one uses this
MAX_CANDIDATES = 24  # protected GET operations looked at per identity


def remember(ctx: ScanContext, kind: str, owner: str, value: str | None) -> None:
    """Record a credential the gate used: redacted in evidence, searched for in the service's logs."""
    if not value:
        return
    if all(s.value != value for s in ctx.remembered):
        ctx.remembered.append(Secret(kind, owner, value))
    if value not in ctx.extra_redactions:
        ctx.extra_redactions.append(value)


def op_at(ctx: ScanContext, method: str, path: str) -> Operation:
    """The operation of the spec at (method, path), or a bare one when the spec does not list it."""
    return ctx.operation_for(method, path) or Operation(method=method.upper(), path=path)


def account_identity(acct: Account) -> Identity:
    return Identity(name=acct.name, sub=acct.sub, role=None, email=acct.email, password=acct.password)


def scan_accounts(ctx: ScanContext) -> dict[str, Account]:
    accts = accounts(ctx.cfg, ctx.secret or "") if ctx.secret else {}
    for a in accts.values():
        remember(ctx, "password", a.name, a.password)
    return accts


async def send_token(
    ctx: ScanContext,
    method: str,
    path: str,
    who: Identity,
    token: str | None,
    *,
    label: str,
    lane: int | None = None,
    params: dict[str, str] | None = None,
) -> Exchange:
    """A request carrying `token` the way the service expects tokens (header or cookie), nothing else."""
    headers, cookies = credentials(ctx.cfg, token) if token is not None else ({}, {})
    return await ctx.prober.send(
        method,
        path,
        who,
        headers=headers,
        cookies=cookies,
        params=params,
        label=label,
        lane=lane,
        use_identity_auth=False,
    )


@dataclass(slots=True)
class LoginAttempt:
    exchange: Exchange
    token: str | None
    error: str | None


async def login(
    ctx: ScanContext,
    who: Identity,
    password: str,
    *,
    label: str,
    lane: int | None = None,
    path: str | None = None,
) -> LoginAttempt:
    """One login through the service's route (auth.login, or `path` with its body); the token, or why not."""
    lc = ctx.cfg.auth.login
    assert lc is not None
    body = login_body(lc, email=who.email, password=password, sub=who.sub, name=who.name)
    ex = await ctx.prober.send(
        lc.method, path or lc.path, who, use_identity_auth=False, label=label, lane=lane, **body_kwargs(lc, body)
    )
    try:
        token = extract_token(lc, ex.status, ex.response_headers, ex.text)
    except LoginError as exc:
        return LoginAttempt(ex, None, str(exc))
    remember(ctx, "token", who.name, token)
    return LoginAttempt(ex, token, None)


async def account_token(ctx: ScanContext, acct: Account, *, lane: int | None = None) -> LoginAttempt | str | None:
    """A token for a throwaway account: its login (auth.login), else minted; None when neither works."""
    ident = account_identity(acct)
    if ctx.cfg.auth.login is not None:
        if not acct.can_login:
            return None
        return await login(ctx, ident, acct.password, label=f"log in as {acct.name}", lane=lane)
    if ctx.cfg.auth.jwt is not None and ctx.secret:
        token = mint(ctx.cfg, ctx.secret, acct.sub, {})
        remember(ctx, "token", acct.name, token)
        return token
    return None


def token_of(got: LoginAttempt | str | None) -> str | None:
    return got if isinstance(got, str) else (got.token if got is not None else None)


@dataclass(frozen=True, slots=True)
class Target:
    """A GET operation that refuses anonymous and garbage credentials and accepts `who`'s token."""

    op: Operation
    path: str
    accepted: Exchange  # the same request with the real token


def candidate_ops(ctx: ScanContext) -> list[Operation]:
    ops = [op for op in ctx.operations if op.method == "GET" and not is_public(ctx, op) and not is_admin_route(ctx, op)]
    return sorted(ops, key=lambda op: (not op.path_params, op.path))


async def _refused(ctx: ScanContext, path: str, lane: int | None) -> bool:
    """Whether `path` refuses both no credentials and a garbage token (cached per path)."""
    if path not in ctx.refuses:
        anon = await ctx.prober.send("GET", path, None, label="no credentials (control)", lane=lane)
        refused = not anon.ok
        if refused and ctx.cfg.auth.api_key is None:
            junk = await send_token(
                ctx,
                "GET",
                path,
                Identity("anonymous", "", None),
                GARBAGE_TOKEN,
                label="garbage token (control)",
                lane=lane,
            )
            refused = not junk.ok
        ctx.refuses[path] = refused
    return ctx.refuses[path]


async def targets(ctx: ScanContext, who: Identity, token: str, *, limit: int, lane: int | None = None) -> list[Target]:
    """Protected GET operations `who`'s token opens; those that read items from DynamoDB first."""
    out: list[Target] = []
    for op in candidate_ops(ctx)[:MAX_CANDIDATES]:
        path = ctx.path_for(op, who)
        if path is None or not await _refused(ctx, path, lane):
            continue
        ex = await send_token(ctx, "GET", path, who, token, label=f"{who.name}'s real token (control)", lane=lane)
        if ex.ok:
            out.append(Target(op, path, ex))
    out.sort(key=lambda t: (not any(c.count for c in touched_db(t.accepted.calls)), not t.accepted.has_data()))
    return out[:limit]


def proof_line(ex: Exchange) -> str:
    """`answered 200; GetItem profiles {...} -> 1 item` for a note."""
    calls = touched_db(ex.calls)
    tail = "; ".join(c.summary() for c in calls[:3])
    return f"{ex.method} {ex.path} answered {ex.status}" + (f"; {tail}" if tail else "")


def item_state(item: dict[str, Any] | None, attrs: list[str]) -> str:
    if item is None:
        return "no item"
    parts = [f"{a} = {item[a]!r}" if a in item else f"no attribute {a}" for a in attrs]
    return ", ".join(parts)


_THROTTLE = re.compile(r"too many|rate.?limit|locked|lockout|try again later|captcha|slow down", re.I)


def throttled(ex: Exchange) -> str | None:
    """Why this answer says "slow down" (429, Retry-After, 423, a lockout message), or None."""
    if ex.status == 429:
        return "429 Too Many Requests"
    if "retry-after" in ex.response_headers:
        return f"Retry-After: {ex.response_headers['retry-after'][:20]}"
    if ex.status == 423:
        return "423 Locked"
    m = _THROTTLE.search(ex.text[:2000]) if ex.status >= 400 else None
    return f"{ex.status} saying {m.group(0)!r}" if m else None
