"""exposure: responses that carry secrets or other identities' personal data (OWASP API3, CWE-200/213).

What it proves
  The material is each identity's own, legitimate use of the API (its own paths, the requests
  other families already sent are reused), so a finding is about what the operation returns by
  design, not about reaching someone else's item (that is bola).
  `exposure.secret`: the response carries a secret: the value of a seeded sensitive attribute
  (`password_hash`, `api_key`, `mfa_secret`, `reset_token`, ...: the oracle knows every item),
  a JSON field named like a password, hash, secret or private key, or a value shaped like a
  password hash, an AWS access key or a private key. A token or API key in a response is reported
  only when it is a stored one coming back: handing out a fresh one is what login, refresh and
  key-creation endpoints are for.
  `exposure.pii`: a regular identity's response carries another identity's email address (from
  the identities or the seeded items). Privileged identities and admin routes are exempt (the
  latter are bfla's business).

Example finding
  HIGH exposure.secret GET /users/{user_id}/profile alice: response carries password_hash
  ("$argon2id$…", profiles.password_hash of {"user_id": "alice"}).

Remediation
  Return a response model that lists the fields a client may see (FastAPI `response_model`,
  marshmallow `dump_only`), never the raw DynamoDB item; keep hashes and tokens out of it.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

from gate.checks.context import SENSITIVE_ATTR, ScanContext
from gate.checks.engine import Dedup, PerOperation, Probe, Routes
from gate.checks.util import OwnRequest, is_admin_route, legit_owner, own_request, privileged_target
from gate.findings import FamilyMeta, Finding, Severity
from gate.target.openapi import Operation
from gate.target.probe import Exchange

EXPOSURE = FamilyMeta(
    name="exposure",
    owasp=("API3:2023",),
    remediation="Return an explicit response model with only the fields a client may see, never the raw item; "
    "never return hashes, tokens or keys.",
)
SECRET = EXPOSURE.check(
    "exposure.secret",
    title="Response carries a secret",
    description="A response carries a password hash, secret, token or API key.",
    severity=Severity.HIGH,
    cwe=("CWE-200",),
)
PII = EXPOSURE.check(
    "exposure.pii",
    title="Response carries another identity's email",
    description="A response to a regular identity carries another identity's email address.",
    severity=Severity.MEDIUM,
    cwe=("CWE-213",),
)

# Response fields that are secrets by name. Not tokens or API keys: handing a fresh one to its caller is
# what login, refresh and key-creation endpoints are for; a STORED one coming back is caught above.
SECRET_FIELD = re.compile(
    r"(^|_)(pass(word|wd)?|pwd)(_?hash)?$|secret|private_?key|(mfa|totp|otp)_?(secret|seed)|(^|_)salt$", re.I
)
SECRET_SHAPES = re.compile(
    r"\$argon2(id|i|d)\$|\$2[aby]\$\d\d\$|pbkdf2[_:$]sha\d+|\$scrypt\$|\bAKIA[0-9A-Z]{16}\b|"
    r"-----BEGIN [A-Z ]*PRIVATE KEY"
)
_MIN_SECRET = 8  # shorter values are too likely to appear by chance


def _shown(value: str) -> str:
    """A secret as evidence shows it: its length only (no character of it: a prefix narrows a hash)."""
    return f"({len(value)} characters)"


def _walk(node: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield f"{prefix}{k}", v
            yield from _walk(v, f"{prefix}{k}.")
    elif isinstance(node, list):
        for v in node[:200]:
            yield from _walk(v, prefix)


def secrets_in(ctx: ScanContext, ex: Exchange) -> list[str]:
    """Proof lines for each secret the response carries: seeded sensitive values, secret-named fields,
    secret-shaped values (password hashes, AWS access keys, private keys)."""
    return list(found_secrets(ctx, ex).values())


def found_secrets(ctx: ScanContext, ex: Exchange) -> dict[str, str]:
    """{secret value: proof line} (the values are redacted from the evidence)."""
    found: dict[str, str] = {}
    for item in ctx.owned:
        for attr, value in item.item.items():
            sensitive = SENSITIVE_ATTR.search(attr) and isinstance(value, str) and len(value) >= _MIN_SECRET
            if sensitive and value in ex.text:
                found.setdefault(value, f"response carries {attr} {_shown(value)} ({item.table}.{attr} of {item.key})")
    for path, value in _walk(ex.json()):
        if not isinstance(value, str) or len(value) < _MIN_SECRET or value in found:
            continue
        if SECRET_FIELD.search(path.rsplit(".", 1)[-1]) or SECRET_SHAPES.search(value):
            found[value] = f"response carries {path} {_shown(value)}"
    for m in SECRET_SHAPES.finditer(ex.text):
        if not any(m.group(0) in v for v in found):
            found[m.group(0)] = f"response carries a value shaped like a secret {_shown(m.group(0))}"
    return found


def emails_of_others(ctx: ScanContext, own: OwnRequest) -> list[str]:
    me = own.identity
    others: dict[str, str] = {}
    for ident in ctx.identities.values():
        if ident.name != me.name and ident.email and "@" in ident.email:  # a user name is not an address
            others[ident.email] = ident.name
    for item in ctx.owned:
        if item.owner and item.owner != me.name:
            for v in item.item.values():
                if isinstance(v, str) and "@" in v and v != me.email:
                    others.setdefault(v, item.owner)
    text = own.exchange.text
    # the whole address, not a part of a longer one or of a word ("bob" inside "bob dentist" is no address)
    return [
        f"response carries {others[e]}'s email {e}"
        for e in sorted(others)
        if re.search(rf"(?<![\w.+-]){re.escape(e)}(?![\w-]|\.\w)", text, re.I)
    ]


async def _material(ctx: ScanContext, op: Operation) -> list[OwnRequest]:
    """The identities' own requests to `op`: every identity for reads, the legitimate owner for writes."""
    if is_admin_route(ctx, op):
        target = privileged_target(ctx, op)
        owners = [(i, target[1]) for i in ctx.privileged] if target else []
    elif op.method == "GET":
        owners = [(i, None) for i in ctx.identities.values()]
    else:
        owner = legit_owner(ctx, op)
        owners = [owner] if owner else []
    out = []
    for ident, path in owners:
        own = await own_request(ctx, op, ident, path)
        if own is not None and own.exchange.ok:
            out.append(own)
    return out


async def probe(ctx: ScanContext, op: Operation) -> AsyncIterator[Finding]:
    for own in await _material(ctx, op):
        ex, me = own.exchange, own.identity
        found = found_secrets(ctx, ex)
        if found:
            secrets = list(found.values())
            yield ctx.finding(
                SECRET,
                op,
                message=f"{op.id} returns secrets to {me.name}: {secrets[0]}",
                evidence=ctx.evidence(ex, notes=secrets, calls=ex.calls, redact=list(found)),
                identity=me.name,
                roles=ctx.roles(me),
            )
        leaked = [] if me.privileged or is_admin_route(ctx, op) else emails_of_others(ctx, own)
        if leaked:
            yield ctx.finding(
                PII,
                op,
                message=f"{op.id} returns other identities' email addresses to {me.name}",
                evidence=ctx.evidence(ex, notes=leaked, calls=ex.calls),
                identity=me.name,
                roles=ctx.roles(me),
            )


FAMILY = PerOperation(
    meta=EXPOSURE,
    routes=Routes.ALL,  # admin routes too: what they return to the privileged identity
    probes=(Probe(checks=(SECRET, PII), run=probe),),
    dedup=Dedup.FIRST_PER_CHECK,  # the first identity whose own response carries it
)
