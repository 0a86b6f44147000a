"""secrets-in-logs: the service prints a credential the gate used (CWE-532, OWASP API8).

What it proves
  After every other family ran, the gate reads what the service wrote to stdout/stderr and
  looks for every credential it used during the scan: the identities' and throwaway accounts'
  passwords, every token it held (minted or issued by the login route), API keys, cookies, the
  JWT secret it handed the service, and the dummy AWS secret key next to its name. A value is
  looked for as written and URL-encoded; values shorter than 8 characters are skipped (they
  would match by chance), and a token the gate itself put into a query string
  (`?access_token=`, the authn.token-in-query probe) does not count.

  One finding per kind of credential (`.password`, `.token`, `.api-key`, `.key-material`),
  with up to three of the log lines, the credential redacted in them.

Example finding
  HIGH secrets-in-logs.token: the service printed alice's token in 14 log lines, e.g.
  `GET /users/alice/profile authorization=Bearer eyJhbGciOi…[redacted]`.

Remediation
  Never log credentials: drop or mask the Authorization and Cookie headers and password fields
  in request logging (a logging filter), and never print configuration or environment.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus

from gate.checks.context import ScanContext, Secret
from gate.checks.engine import ScanWide
from gate.checks.static import check_sources, lambda_event_logging, secret_logging, sources
from gate.dynamo.credentials import SERVICE
from gate.findings import FamilyMeta, Finding, Severity
from gate.target.openapi import Operation
from gate.target.probe import Exchange, redact_text

MIN_LENGTH = 8
SHOWN_LINES = 3
_CTRL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]|\x1b\[[0-9;]*[A-Za-z]")
_AWS = re.compile(
    r"(aws_secret_access_key|secret_access_key|secretaccesskey|secret_key)['\"]?\s*[:=]\s*['\"]?"
    + re.escape(SERVICE.secret_access_key)
    + r"\b",
    re.I,
)
_QUERY_PROBE = ("access_token=", "token=", "api_key=")


SECRETS_IN_LOGS = FamilyMeta(
    name="secrets-in-logs",
    cwe=("CWE-532",),
    owasp=("API8:2023",),
    remediation="Never log credentials: mask the Authorization and Cookie headers and password fields in "
    "request logging, and never print configuration or the environment.",
)
METAS = {
    "password": SECRETS_IN_LOGS.check(
        "secrets-in-logs.password",
        title="Password written to the service's log",
        description="The service's output carries a password the gate sent (an identity's or a throwaway "
        "account's), as written or URL-encoded.",
        severity=Severity.HIGH,
    ),
    "token": SECRETS_IN_LOGS.check(
        "secrets-in-logs.token",
        title="Token written to the service's log",
        description="The service's output carries a token the gate held (minted, issued by the login route or a "
        "cookie), outside the gate's own query-string probes.",
        severity=Severity.HIGH,
    ),
    "api-key": SECRETS_IN_LOGS.check(
        "secrets-in-logs.api-key",
        title="API key written to the service's log",
        description="The service's output carries an identity's API key the gate sent.",
        severity=Severity.HIGH,
    ),
    "key-material": SECRETS_IN_LOGS.check(
        "secrets-in-logs.key-material",
        title="Signing secret or AWS secret key written to the service's log",
        description="The service's output carries the JWT secret the gate handed it, or the AWS secret access "
        "key next to its name.",
        severity=Severity.HIGH,
    ),
}


@dataclass(slots=True)
class _Hits:
    owners: list[str] = field(default_factory=list)
    lines: list[tuple[int, str, str]] = field(default_factory=list)  # (line number, line, the secret)


def _secrets(ctx: ScanContext) -> list[Secret]:
    seen: set[str] = set()
    unique = []
    for s in ctx.credentials():
        if len(s.value) >= MIN_LENGTH and s.value not in seen:
            seen.add(s.value)
            unique.append(s)
    return unique


def _forms(value: str) -> list[str]:
    return list(dict.fromkeys([value, quote(value, safe=""), quote_plus(value)]))


def _strip_probe(line: str, value: str) -> str:
    """The line without the gate's own query-string probes of `value`."""
    for prefix in _QUERY_PROBE:
        for form in _forms(value):
            line = line.replace(prefix + form, prefix)
    return line


def scan_lines(ctx: ScanContext, lines: list[str]) -> dict[str, _Hits]:
    secrets = _secrets(ctx)
    hits: dict[str, _Hits] = {}
    forms = {s.value: _forms(s.value) for s in secrets}
    for n, raw in enumerate(lines, 1):
        line = _CTRL.sub("", raw)
        for s in secrets:
            found = any(f in line for f in forms[s.value])
            if found and any(f in _strip_probe(line, s.value) for f in forms[s.value]):
                h = hits.setdefault(s.kind, _Hits())
                h.lines.append((n, line, s.value))
                if s.owner not in h.owners:
                    h.owners.append(s.owner)
        if _AWS.search(line):
            h = hits.setdefault("key-material", _Hits())
            h.lines.append((n, line, SERVICE.secret_access_key))
            if "the AWS secret access key" not in h.owners:
                h.owners.append("the AWS secret access key")
    return hits


def _shown(ctx: ScanContext, line: str, secret: str) -> str:
    keep = 10 if secret.startswith("eyJ") else 0
    text = redact_text(line, [secret], keep=keep)
    if secret == SERVICE.secret_access_key:
        text = _AWS.sub(lambda m: m.group(0)[: -len(secret)] + "…[redacted]", line)
    text = ctx.redact(text)
    return text if len(text) <= 300 else text[:299] + "…"


def _carrier(ctx: ScanContext, secret: str) -> Exchange | None:
    """The first request that carried the credential in a header or body (not the gate's own
    query-string probes, which do not count as the service's fault)."""
    for ex in ctx.prober.exchanges:
        if secret in " ".join([ex.request_body or "", *ex.request_headers.values()]):
            return ex
    return None


async def _log_statements(ctx: ScanContext) -> list[Finding]:
    """Where the service's source writes credentials to a log: the static secret-logged rule over the source
    the static family parsed (whether or not that rule is excluded: here it only places the finding); a Lambda
    handler logging its whole event (static.lambda-event-logged) writes the Authorization header."""
    found = check_sources(await sources(ctx), (secret_logging, lambda_event_logging))  # a Lambda's whole event too
    return [f for f in found if f.file and f.line]


def _statement_for(statements: list[Finding], op: Operation | None) -> dict[str, Any]:
    """The logging statement that printed the carrier's credential: the one in its handler, else one in
    its handler's file, else the only one there is; nothing when that cannot be told."""
    picks = [
        [s for s in statements if op is not None and (s.method, s.route) == (op.method, op.path)],
        [s for s in statements if op is not None and s.file == op.file],
        statements if len(statements) == 1 else [],
    ]
    best = next((p for p in picks if p), [])
    return {"file": best[0].file, "line": best[0].line} if best else {}


async def run(ctx: ScanContext) -> AsyncIterator[Finding]:
    if ctx.service_logs is None:
        return
    lines = list(ctx.service_logs())
    if not lines:
        if ctx.cfg.service.url:
            ctx.notes.append("secrets-in-logs: the service runs elsewhere (service.url), its output is not seen")
        return
    hits = sorted(scan_lines(ctx, lines).items())
    statements = await _log_statements(ctx) if hits else []
    for kind, h in hits:
        meta = METAS[kind]
        if not ctx.enabled(meta.id):
            continue
        # Proof: the gate's own request that carried the credential, and the log lines that repeat it.
        carrier = _carrier(ctx, h.lines[0][2])
        op = ctx.operation_for(carrier.method, carrier.path) if carrier else None
        where = _statement_for(statements, op)
        shown = [f"line {n}: {_shown(ctx, line, secret)}" for n, line, secret in h.lines[:SHOWN_LINES]]
        # whose: the scan's identities in config order, then the rest (throwaway accounts, keys): the same names
        # whatever order the probes ran in
        rank = {name: i for i, name in enumerate(ctx.identities)}
        h.owners.sort(key=lambda o: (rank.get(o, len(rank)), o))
        whose = ", ".join(h.owners[:3]) + (f" and {len(h.owners) - 3} more" if len(h.owners) > 3 else "")
        what = kind.replace("-", " ")
        yield meta.finding(
            message=f"the service printed the {what} of {whose} in {len(h.lines)} log lines",
            evidence=ctx.evidence(
                carrier,
                calls=[],
                log=shown,
                notes=[f"{len(h.lines)} of {len(lines)} log lines carry the {what} of {whose} (shown redacted)"]
                + (
                    [f"the credential reached the service in {carrier.method} {ctx.redact(carrier.path)}"]
                    if carrier
                    else []
                ),
            ),
            parameter=kind,
            identity=h.owners[0] if h.owners[0] in ctx.identities else None,
            file=where.get("file", op.file if op else None),
            line=where.get("line", op.line if op else None),
        )


FAMILY = ScanWide(meta=SECRETS_IN_LOGS, checks=tuple(METAS.values()), run=run)
