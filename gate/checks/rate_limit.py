"""rate-limit: the credential endpoint takes unlimited failed logins (CWE-307, OWASP API4).

What it proves
  The gate sends `checks.rate_limit.attempts` (default 30) failed logins to `checks.rate_limit.path`
  (default: `auth.login.path`), one after the other,
  within `checks.rate_limit.seconds` (default 5), for a throwaway account (`authgate-ratelimit`,
  seeded with `auth.users`; else an address no account has), never for an identity the scan
  still needs. A finding when the answers were plain refusals (400, 401 or 403; at least 80 % of
  them and at least 10) and none throttled: no 429, no Retry-After, no 423, no "too many
  attempts" or lockout message. Mostly other answers (404, 5xx) mean the attempts never reached a
  credential check: a note, no finding. When the throwaway account can log in, it
  logs in once before (control) and once after the failures: if the correct password still
  works, there is no lockout either, and the evidence says so.

  The attempts run in `ctx.mutation()`, so failed-attempt counters the service writes to
  DynamoDB are restored afterwards; this family runs after every other that logs in.

Example finding
  MEDIUM rate-limit.credentials POST /login: 30 failed logins in 0.2 s, all 401, no 429 or
  Retry-After; the correct password then still logged in (200).

Remediation
  Limit failed attempts per account and per client (e.g. 10 per 5 minutes), answer 429 with
  Retry-After, and slow down or lock out repeated failures; keep the limit in a shared store
  (DynamoDB with a TTL, Redis) when the service runs on several instances.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import Counter
from collections.abc import AsyncIterator

from gate.auth.identities import Identity
from gate.auth.users import unknown_email
from gate.checks._auth import account_identity, login, op_at, remember, scan_accounts, throttled
from gate.checks.context import ScanContext
from gate.checks.engine import ScanWide
from gate.findings import FamilyMeta, Finding, Severity

MIN_ATTEMPTS = 10  # fewer unthrottled attempts (time ran out) prove nothing
REFUSALS = {400, 401, 403}  # what a failed login answers; anything else is not a failed login
MOST = 0.8  # share of the answers that must be refusals: a stray 500 does not hide a missing limit

RATE_LIMIT = FamilyMeta(name="rate-limit", cwe=("CWE-307",), owasp=("API4:2023",))
CREDENTIALS = RATE_LIMIT.check(
    "rate-limit.credentials",
    title="Unlimited failed logins",
    description="The credential endpoint answered every one of many failed logins without throttling.",
    severity=Severity.MEDIUM,
    remediation="Limit failed attempts per account and per client, answer 429 with Retry-After, and lock out "
    "or slow down repeated failures (in a store shared by every instance).",
)


async def run(ctx: ScanContext) -> AsyncIterator[Finding]:
    lc = ctx.cfg.auth.login
    rl = ctx.cfg.checks.rate_limit
    if lc is None:
        path = rl.path or "/login"
        if any(op.path == path for op in ctx.operations):
            ctx.notes.append(f"rate-limit: {path} is not configured as auth.login (its body is unknown); not run")
        return
    path = rl.path or lc.path
    acct = scan_accounts(ctx).get("ratelimit")
    if acct is not None:
        who = account_identity(acct)
    else:
        who = Identity(name="authgate-nobody", sub="authgate-nobody", role=None, email=unknown_email(ctx.cfg))
    op = op_at(ctx, lc.method, path)
    digest = hmac.new((ctx.secret or "").encode(), b"rate-limit", hashlib.sha256).hexdigest()
    statuses: Counter[int] = Counter()
    async with ctx.mutation() as (lane, _changes):
        before = None
        if acct is not None and acct.can_login:
            before = await login(ctx, who, acct.password, label="correct password (control)", lane=lane)
            if before.token is None:
                before = None
        t0 = time.monotonic()
        last = None
        for i in range(rl.attempts):
            if time.monotonic() - t0 > rl.seconds:
                break
            password = f"Wrong-{digest[:12]}-{i}"
            remember(ctx, "password", who.name, password)
            label = f"failed login {i + 1} of {rl.attempts}"
            attempt = await login(ctx, who, password, label=label, lane=lane, path=path)
            last = attempt.exchange
            statuses[last.status] += 1
            why = throttled(last)
            if why or attempt.token is not None:
                return  # throttled (or, oddly, logged in with a wrong password: not this check's finding)
        spent = time.monotonic() - t0
        after = None
        if before is not None and acct is not None:
            after = await login(ctx, who, acct.password, label="correct password after the failures", lane=lane)
    sent = sum(statuses.values())
    if last is None or sent < min(rl.attempts, MIN_ATTEMPTS):
        ctx.notes.append(f"rate-limit: only {sent} attempts fit in {rl.seconds:g} s; not judged")
        return
    if after is not None and after.token is None:
        return  # locked out: the correct password stopped working
    refused = sum(n for s, n in statuses.items() if s in REFUSALS)
    # mostly 404s or 500s: the attempts never reached a credential check
    if refused < max(min(rl.attempts, MIN_ATTEMPTS), MOST * sent):
        odd = sorted(s for s in statuses if s not in REFUSALS)
        ctx.notes.append(f"rate-limit: {path} answered {odd} to failed logins, not a refusal; not judged")
        return
    counts = ", ".join(f"{n}x {s}" for s, n in sorted(statuses.items()))
    notes = [
        f"{sent} failed logins for {who.email} in {spent:.1f} s: {counts}; no 429, no Retry-After, no lockout message",
    ]
    if after is not None:
        notes.append(f"then the correct password still logged in ({after.exchange.status}): no lockout")
    yield ctx.finding(
        CREDENTIALS,
        op,
        message=f"{op.id} took {sent} failed logins in {spent:.1f} s without throttling",
        evidence=ctx.evidence(last, notes=notes),
        identity=who.name,
        roles="anonymous",
    )


FAMILY = ScanWide(meta=RATE_LIMIT, checks=(CREDENTIALS,), run=run)
