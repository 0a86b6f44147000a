"""jwt: forged, stale and revoked JSON Web Tokens the service still accepts (CWE-347, CWE-613, CWE-798).

What it proves
  The gate takes a real token of a regular identity and changes one thing at a time. Each
  finding is a protected GET operation (it refuses no credentials and a garbage token, and
  accepts the real token) that answered 2xx to the changed token; the recorder shows the
  DynamoDB read the request caused.

  `jwt.other-key`         signed with a key the service never had: the signature is not
                          verified at all. The other forgeries it then accepts too (alg none,
                          null signature, empty key, swapped sub, expired, ...) are listed in
                          its evidence instead of being reported one by one.
  `jwt.alg-none`          `alg` set to none / None / NONE / nOnE, no signature.
  `jwt.null-signature`    the real header and payload, the signature stripped.
  `jwt.empty-key`         HMAC-signed with an empty key.
  `jwt.alg-confusion`     RS*/ES* service: HS256-signed with its public key as the HMAC secret.
  `jwt.sub-swap`          the real signature kept, the subject changed to another identity.
  `jwt.kid-injection`     `kid` pointing at /dev/null (traversal) or an SQL-like string, signed
                          with the key that lookup yields; only when the same key without the
                          `kid` trick is refused.
  `jwt.jwk-injection`     the attacker's public key embedded in the `jwk` header.
  `jwt.jku-injection`     `jku` pointing at a key set the gate serves on 127.0.0.1 (the gate
                          also records that the service fetched it).
  `jwt.expired`, `jwt.nbf-ignored`, `jwt.no-exp`
                          `exp` an hour ago, `nbf` an hour ahead, or no `exp`: signed with the
                          service's real key (the gate's own for minted tokens, or a cracked
                          one), after a control (the unchanged payload re-signed) was accepted.
  `jwt.weak-secret`       a token the service issued (login flow) verifies with a secret from
                          the shipped wordlist (`gate/data/jwt-secrets.txt` with mutations),
                          cracked offline within a time bound; a token forged with it for
                          another identity is then sent as proof.
  `jwt.after-logout`      a throwaway account logs in, logs out (auth.logout), and its token
                          still opens the protected operation.

Example finding
  CRITICAL jwt.other-key GET /users/{user_id}/profile alice: a token signed with a random key
  answered 200; GetItem profiles {"user_id": "alice"}; also accepted: alg none, null signature.

Remediation
  Verify every token: pin the algorithm list (`algorithms=["HS256"]`), require `exp` (and
  check `nbf`), never take keys from the token (`kid` only as an index into your own key set,
  no `jwk`/`jku`), use a long random secret from the environment, and revoke on logout (a
  denylist of `jti`s, or short-lived tokens with refresh rotation).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from gate.auth import jwtcraft
from gate.auth.identities import Identity, key_material, new_private_key, pem_pair
from gate.checks._auth import (
    Target,
    account_identity,
    account_token,
    op_at,
    proof_line,
    remember,
    scan_accounts,
    send_token,
    targets,
    token_of,
)
from gate.checks.context import ScanContext
from gate.checks.engine import ScanWide
from gate.checks.util import touched_db
from gate.findings import CheckMeta, FamilyMeta, Finding, Severity
from gate.target.probe import Exchange

CRACK_SECONDS = 3.0  # bound of the offline wordlist attack
MAX_TARGETS = 20  # protected operations each forgery is tried on
NONE_SPELLINGS = ("none", "None", "NONE", "nOnE")
KID_TRAVERSAL = "../../../../../../../../../../dev/null"
KID_SQL = "authgate' UNION SELECT 'authgate-kid-key' -- "

JWT = FamilyMeta(
    name="jwt",
    cwe=("CWE-347",),
    owasp=("API2:2023",),
    remediation="Verify the signature with a pinned algorithm list and your own key, "
    "e.g. jwt.decode(token, key, algorithms=['HS256']).",
)
OTHER_KEY = JWT.check(
    "jwt.other-key",
    title="Token signed with another key accepted (signature not verified)",
    description="The real token re-signed with a random key the service never had opened a protected operation.",
    severity=Severity.CRITICAL,
)
ALG_NONE = JWT.check(
    "jwt.alg-none",
    title="Unsigned token (alg none) accepted",
    description="The real claims with alg none (in any spelling) and no signature opened a protected operation.",
    severity=Severity.CRITICAL,
    remediation="Pin the algorithm list when verifying (never include 'none'); reject tokens whose alg is not in it.",
)
NULL_SIG = JWT.check(
    "jwt.null-signature",
    title="Token with its signature stripped accepted",
    description="The real header and payload with an empty signature opened a protected operation.",
    severity=Severity.CRITICAL,
)
EMPTY_KEY = JWT.check(
    "jwt.empty-key",
    title="Token signed with an empty key accepted",
    description="The real claims HMAC-signed with an empty key opened a protected operation.",
    severity=Severity.CRITICAL,
    remediation="Never fall back to an empty or default key; fail closed when the key is missing.",
)
CONFUSION = JWT.check(
    "jwt.alg-confusion",
    title="HS256 token signed with the service's public key accepted",
    description="An RS*/ES* service accepted the real claims HS256-signed with its own public key as the secret.",
    severity=Severity.CRITICAL,
    remediation="Pin the asymmetric algorithm (algorithms=['RS256']); never verify HMAC with a public key.",
)
SUB_SWAP = JWT.check(
    "jwt.sub-swap",
    title="Token with a swapped subject and the old signature accepted",
    description="The real token with its subject changed to another identity, the signature kept, opened "
    "that identity's data.",
    severity=Severity.CRITICAL,
)
KID = JWT.check(
    "jwt.kid-injection",
    title="Key chosen through an injected kid header",
    description="A kid pointing at /dev/null or an SQL-like string, signed with the key that lookup yields, "
    "was accepted while the same key without the kid trick was refused.",
    severity=Severity.CRITICAL,
    cwe=("CWE-347", "CWE-22"),
    remediation="Use kid only as an index into your own key set; never as a file path or in a query.",
)
JWK = JWT.check(
    "jwt.jwk-injection",
    title="Key embedded in the token (jwk header) trusted",
    description="A token signed with the gate's own key, its public half in the jwk header, was accepted.",
    severity=Severity.CRITICAL,
    remediation="Never verify with a key taken from the token; use your own key set.",
)
JKU = JWT.check(
    "jwt.jku-injection",
    title="Key set fetched from a URL in the token (jku header) trusted",
    description="A token signed with the gate's key, its jku header naming a key set the gate serves, was accepted.",
    severity=Severity.CRITICAL,
    cwe=("CWE-347", "CWE-918"),
    remediation="Never fetch keys from a URL in the token; pin your key set's URL in configuration.",
)
EXPIRED = JWT.check(
    "jwt.expired",
    title="Expired token accepted",
    description="A token signed with the service's real key whose exp passed an hour ago was accepted.",
    severity=Severity.HIGH,
    cwe=("CWE-613",),
    remediation="Verify exp (PyJWT does unless verify_exp is off); keep clock leeway to seconds.",
)
NBF = JWT.check(
    "jwt.nbf-ignored",
    title="Token not yet valid (nbf in the future) accepted",
    description="A token signed with the service's real key whose nbf is an hour ahead was accepted.",
    severity=Severity.MEDIUM,
    cwe=("CWE-613",),
    remediation="Verify nbf (and iat) when decoding.",
)
NO_EXP = JWT.check(
    "jwt.no-exp",
    title="Token without exp accepted (never expires)",
    description="A token signed with the service's real key and carrying no exp was accepted: a stolen one "
    "works forever.",
    severity=Severity.MEDIUM,
    cwe=("CWE-613",),
    remediation="Require exp: jwt.decode(..., options={'require': ['exp']}), and issue short-lived tokens.",
)
WEAK = JWT.check(
    "jwt.weak-secret",
    title="Token HMAC secret found in a wordlist",
    description="The HMAC secret of a token the service issued was cracked offline from a wordlist, and a "
    "token forged with it for another identity was accepted.",
    severity=Severity.CRITICAL,
    cwe=("CWE-798", "CWE-521"),
    remediation="Use a long random secret (32+ bytes) from the environment or a secret manager, never a word or "
    "a default.",
)
AFTER_LOGOUT = JWT.check(
    "jwt.after-logout",
    title="Token still accepted after logout",
    description="A throwaway account's token still opened a protected operation after the account logged out.",
    severity=Severity.HIGH,
    cwe=("CWE-613",),
    remediation="Revoke on logout: keep a denylist of jti until exp, or use short-lived tokens with refresh rotation.",
)


@dataclass(frozen=True, slots=True)
class Forgery:
    meta: CheckMeta
    label: str
    token: str
    as_victim: bool = False  # sent to the victim's path (the swapped subject)
    kid_of: str | None = None  # kid-injection: the forgery that must be refused for this one to count


class _Keys:
    """The attacker's own keys for this run (a random HMAC key, an RSA pair)."""

    def __init__(self) -> None:
        self.hmac = secrets.token_bytes(32)
        self.rsa_private, self.rsa_public = pem_pair(new_private_key("RS256"))


def _claims(tok: jwtcraft.Parsed, **change: Any) -> dict[str, Any]:
    out = dict(tok.payload)
    for k, v in change.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = v
    return out


def _forgeries(ctx: ScanContext, tok: jwtcraft.Parsed, victim: Identity | None, keys: _Keys, jku: str) -> list[Forgery]:
    hdr = {k: v for k, v in tok.header.items() if k not in ("kid", "jwk", "jku", "x5u", "x5c")}
    asym = not tok.alg.startswith("HS")
    other_alg = tok.alg if asym else tok.alg or "HS256"
    other_key = keys.rsa_private if other_alg.startswith("RS") else keys.hmac
    if asym and not other_alg.startswith("RS"):  # ES*/PS*: a fresh key of the same kind
        other_key = pem_pair(new_private_key(other_alg))[0]
    hs = "HS256" if asym else tok.alg
    out = [Forgery(OTHER_KEY, f"signed with a random {other_alg} key", jwtcraft.encode(hdr, tok.payload, other_key))]
    out += [
        Forgery(ALG_NONE, f"alg {a!r}, no signature", jwtcraft.encode({**hdr, "alg": a}, tok.payload))
        for a in NONE_SPELLINGS
    ]
    out.append(Forgery(NULL_SIG, "signature stripped", f"{tok.parts[0]}.{tok.parts[1]}."))
    out.append(Forgery(EMPTY_KEY, f"{hs} with an empty key", jwtcraft.encode({**hdr, "alg": hs}, tok.payload, b"")))
    km = key_material(ctx.cfg, ctx.secret) if ctx.cfg.auth.jwt and ctx.secret else None
    if asym and km and km.public_pem and jwtcraft.verifies(tok, km.public_pem):
        for pem in (km.public_pem, km.public_pem.strip()):
            out.append(
                Forgery(
                    CONFUSION,
                    "HS256 with the public key as secret",
                    jwtcraft.encode({**hdr, "alg": "HS256"}, tok.payload, pem),
                )
            )
    if victim is not None:
        sub_claim = ctx.cfg.auth.jwt.subject_claim if ctx.cfg.auth.jwt else "sub"
        swapped = jwtcraft.encode(hdr, _claims(tok, **{sub_claim: victim.sub}), signature=tok.signature)
        out.append(Forgery(SUB_SWAP, f"subject swapped to {victim.name}, old signature", swapped, as_victim=True))
    out.append(
        Forgery(
            KID,
            "kid traversal to /dev/null, empty key",
            jwtcraft.encode({**hdr, "alg": "HS256", "kid": KID_TRAVERSAL}, tok.payload, b""),
            kid_of=EMPTY_KEY.id,
        )
    )
    out.append(
        Forgery(
            KID,
            "SQL-like kid",
            jwtcraft.encode({**hdr, "alg": "HS256", "kid": KID_SQL}, tok.payload, b"authgate-kid-key"),
        )
    )
    jwk = jwtcraft.public_jwk(keys.rsa_public, "authgate")
    out.append(
        Forgery(
            JWK,
            "attacker key in the jwk header",
            jwtcraft.encode({**hdr, "alg": "RS256", "kid": "authgate", "jwk": jwk}, tok.payload, keys.rsa_private),
        )
    )
    out.append(
        Forgery(
            JKU,
            "jku pointing at the gate's key set",
            jwtcraft.encode({**hdr, "alg": "RS256", "kid": "authgate", "jku": jku}, tok.payload, keys.rsa_private),
        )
    )
    return out


@dataclass(frozen=True, slots=True)
class Timed:
    """Expiry forgeries signed with `key`, and their control: the unchanged payload re-signed."""

    control: str
    forgeries: list[Forgery]


def _timed(tok: jwtcraft.Parsed, key: Any) -> Timed:
    now = int(time.time())
    hdr = dict(tok.header)
    exp = tok.payload.get("exp")
    fresh = exp if isinstance(exp, int | float) and exp > now + 60 else now + 900

    def f(meta: CheckMeta, label: str, **change: Any) -> Forgery:
        return Forgery(meta, label, jwtcraft.encode(hdr, _claims(tok, **change), key))

    return Timed(
        control=jwtcraft.encode(hdr, _claims(tok, exp=fresh), key),
        forgeries=[
            f(EXPIRED, "exp one hour ago", exp=now - 3600, iat=now - 7200),
            f(NBF, "nbf one hour ahead", nbf=now + 3600, exp=max(fresh, now + 7200)),
            f(NO_EXP, "no exp claim", exp=None),
        ],
    )


@contextlib.asynccontextmanager
async def _jwks_server(jwks: dict[str, Any]) -> AsyncIterator[tuple[str, list[str]]]:
    """Serve `jwks` on 127.0.0.1 for the jku forgery; yields (url, request lines seen)."""
    hits: list[str] = []
    body = json.dumps(jwks).encode()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await asyncio.wait_for(reader.readline(), 2)
            hits.append(line.decode(errors="replace").strip()[:200])
            for _ in range(100):
                if (await asyncio.wait_for(reader.readline(), 2)) in (b"\r\n", b"\n", b""):
                    break
            head = (
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode() + body)
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/.well-known/jwks.json", hits
    finally:
        server.close()
        await server.wait_closed()


def _attacker(ctx: ScanContext) -> tuple[Identity, jwtcraft.Parsed] | None:
    for ident in sorted(ctx.identities.values(), key=lambda i: i.privileged):
        parsed = jwtcraft.parse(ident.token) if ident.token else None
        if parsed is not None:
            return ident, parsed
    return None


def _victim(ctx: ScanContext, attacker: Identity) -> Identity | None:
    owners = {o.owner for o in ctx.owned if o.owner}
    others = [i for i in ctx.identities.values() if i.name != attacker.name and i.sub != attacker.sub]
    others.sort(key=lambda i: (i.privileged, i.name not in owners))
    return others[0] if others else None


async def _crack(ctx: ScanContext, tok: jwtcraft.Parsed) -> jwtcraft.Cracked | None:
    """The token's HMAC secret from the wordlist, plus words of this service (its tables, its folder)."""
    words = jwtcraft.wordlist()
    words += [t.name for t in ctx.tables] + [ctx.root.name] + [ctx.root.name + "-secret", ctx.root.name + "_secret"]
    cracked, _tried, _spent = await asyncio.to_thread(jwtcraft.crack, tok, words, CRACK_SECONDS)
    return cracked


def _gate_key(ctx: ScanContext, tok: jwtcraft.Parsed) -> Any | None:
    """The gate's own signing key, when the service's token verifies with it (minted, or JWT_SECRET used)."""
    if ctx.cfg.auth.jwt is not None and ctx.secret:
        km = key_material(ctx.cfg, ctx.secret)
        if jwtcraft.verifies(tok, km.verifying_key):
            return km.signing_key
    return None


class _Run:
    """One run of the family: the targets, what each forgery did on each, what was reported."""

    def __init__(self, ctx: ScanContext, attacker: Identity, victim: Identity | None) -> None:
        self.ctx = ctx
        self.attacker = attacker
        self.victim = victim
        self.reported: set[str] = set()
        self.jku_hits: list[str] = []
        self.key_note = ""

    async def send(self, t: Target, f: Forgery) -> Exchange:
        who, path = self.attacker, t.path
        if f.as_victim and self.victim is not None:
            who = self.victim
            path = self.ctx.path_for(t.op, self.victim) or t.path
        return await send_token(self.ctx, "GET", path, who, f.token, label=f"forged token: {f.label}")

    async def control(self, t: Target, timed: Timed) -> Exchange:
        label = "the real payload re-signed (control)"
        return await send_token(self.ctx, "GET", t.path, self.attacker, timed.control, label=label)

    def finding(self, f: Forgery, t: Target, ex: Exchange, extra: list[str] | None = None) -> Finding:
        notes = [
            f"{f.label}: {proof_line(ex)}",
            f"control: no credentials and a garbage token were refused; "
            f"{self.attacker.name}'s real token answered {t.accepted.status}",
        ]
        if f.meta is SUB_SWAP and self.victim is not None:
            notes.insert(
                1, f"the service acted as {self.victim.name} for a token whose signature is {self.attacker.name}'s"
            )
        if f.meta is JKU and self.jku_hits:
            notes.insert(1, f"the service fetched the gate's key set: {self.jku_hits[0]}")
        notes += extra or []
        self.reported.add(f.meta.id)
        return self.ctx.finding(
            f.meta,
            t.op,
            message=f"{t.op.id} accepted a forged token ({f.label})",
            evidence=self.ctx.evidence(ex, calls=touched_db(ex.calls) or ex.calls, notes=notes),
            identity=self.attacker.name,
            victim=self.victim.name if f.as_victim and self.victim else None,
            roles=self.ctx.roles(self.attacker, self.victim if f.as_victim else None),
        )


async def _per_target(
    run: _Run, t: Target, forged: list[Forgery], timed: Timed | None, unverified: Timed | None
) -> AsyncIterator[Finding]:
    """The forgeries on one target. `unverified`: expiry forgeries for a service that checks no signature."""
    ctx = run.ctx
    other, rest = forged[0], forged[1:]
    ex = await run.send(t, other)
    if ex.ok and ctx.enabled(other.meta.id):  # excluded (accepted by the team): every forgery on its own
        if other.meta.id in run.reported:
            return
        also: dict[str, list[str]] = {}
        pick = timed or unverified
        for f in rest + (pick.forgeries if pick else []):
            got = await run.send(t, f)
            if got.ok:
                also.setdefault(f.meta.id, []).append(f.label)
        listed = ", ".join(
            f"{check} ({'; '.join(labels)})" if len(labels) > 1 else f"{check} ({labels[0]})"
            for check, labels in also.items()
        )
        note = f"accepted here too (the same root cause): {listed}" if also else None
        yield run.finding(other, t, ex, [note] if note else None)
        return
    accepted: dict[str, bool] = {}
    controls = {f.kid_of for f in rest if f.kid_of}
    for f in rest:
        needed = f.meta.id in controls and f.meta.id not in accepted
        if (f.meta.id in run.reported or not ctx.enabled(f.meta.id)) and not needed:
            continue
        if f.kid_of and accepted.get(f.kid_of):
            continue  # the plain key is accepted too: the kid did not choose it
        got = await run.send(t, f)
        accepted[f.meta.id] = accepted.get(f.meta.id, False) or got.ok
        if got.ok and f.meta.id not in run.reported and ctx.enabled(f.meta.id):
            yield run.finding(f, t, got)
    if timed and not all(m.id in run.reported for m in (EXPIRED, NBF, NO_EXP)):
        control = await run.control(t, timed)
        if not control.ok:
            return
        for f in timed.forgeries:
            if f.meta.id in run.reported or not ctx.enabled(f.meta.id):
                continue
            got = await run.send(t, f)
            if got.ok:
                note = f"signed with {run.key_note}; the unchanged payload re-signed answered {control.status}"
                yield run.finding(f, t, got, [note])


async def _weak_secret(run: _Run, tok: jwtcraft.Parsed, cracked: jwtcraft.Cracked, t: Target) -> Finding:
    ctx = run.ctx
    lc = ctx.cfg.auth.login
    assert lc is not None
    remember(ctx, "key-material", "service", cracked.secret)
    victim = run.victim or run.attacker
    sub_claim = ctx.cfg.auth.jwt.subject_claim if ctx.cfg.auth.jwt else "sub"
    now = int(time.time())
    forged = jwtcraft.encode(
        tok.header, _claims(tok, **{sub_claim: victim.sub, "iat": now, "exp": now + 600}), cracked.secret
    )
    remember(ctx, "token", victim.name, forged)  # valid wherever that secret is real: redacted like any token
    path = ctx.path_for(t.op, victim) or t.path
    ex = await send_token(
        ctx, "GET", path, victim, forged, label=f"token forged for {victim.name} with the cracked secret"
    )
    notes = [
        f"a token {lc.method} {lc.path} issued to {run.attacker.name} verifies with a {len(cracked.secret)}-character "
        f"secret from the wordlist (candidate {cracked.tried}, cracked offline in {cracked.seconds:.2f} s)",
        f"a token forged with it for {victim.name}: {proof_line(ex)}",
    ]
    run.reported.add(WEAK.id)
    return ctx.finding(
        WEAK,
        op_at(ctx, lc.method, lc.path),
        message=f"the tokens {lc.path} issues are signed with a guessable secret",
        evidence=ctx.evidence(ex, calls=touched_db(ex.calls), notes=notes),
        identity=run.attacker.name,
        victim=victim.name if victim is not run.attacker else None,
        roles=ctx.roles(run.attacker),
    )


async def _after_logout(ctx: ScanContext) -> Finding | None:
    lo = ctx.cfg.auth.logout
    if lo is None:
        return None
    acct = scan_accounts(ctx).get("logout")
    if acct is None:
        ctx.notes.append("jwt.after-logout: needs auth.users (a throwaway account to log out); not tested")
        return None
    ident = account_identity(acct)
    got = await account_token(ctx, acct)
    token = token_of(got)
    if token is None:
        ctx.notes.append(f"jwt.after-logout: the throwaway account {acct.name} could not get a token; not tested")
        return None
    found = await targets(ctx, ident, token, limit=1)
    if not found:
        return None
    t = found[0]
    async with ctx.mutation() as (lane, _changes):
        out = await send_token(ctx, lo.method, lo.path, ident, token, label="logout", lane=lane)
        after = (
            await send_token(ctx, "GET", t.path, ident, token, label="the same token after logout", lane=lane)
            if out.ok
            else None
        )
    if after is None:
        ctx.notes.append(f"jwt.after-logout: {lo.method} {lo.path} answered {out.status}; not tested")
        return None
    if not after.ok:
        return None
    notes = [
        f"after {lo.method} {lo.path} answered {out.status}, the same token: {proof_line(after)}",
        f"before the logout {acct.name}'s token answered {t.accepted.status} on {t.accepted.path}",
    ]
    return ctx.finding(
        AFTER_LOGOUT,
        op_at(ctx, lo.method, lo.path),
        message=f"a token stays valid after {lo.method} {lo.path}",
        evidence=ctx.evidence(after, calls=touched_db(after.calls), notes=notes),
        identity=acct.name,
        roles="regular",
    )


async def run(ctx: ScanContext) -> AsyncIterator[Finding]:
    found = _attacker(ctx)
    if found is None:
        if ctx.cfg.auth.jwt or ctx.cfg.auth.login:
            ctx.notes.append("jwt: no identity holds a JWT (opaque tokens or API keys); token attacks not run")
        return
    attacker, tok = found
    victim = _victim(ctx, attacker)
    run_ = _Run(ctx, attacker, victim)
    tgts = await targets(ctx, attacker, attacker.token or "", limit=MAX_TARGETS)
    if not tgts:
        ctx.notes.append(f"jwt: no protected GET operation accepted {attacker.name}'s token; token attacks not run")
        return
    cracked = None
    key = _gate_key(ctx, tok)
    run_.key_note = "the key the gate handed the service"
    issued = ctx.cfg.auth.login is not None and tok.alg.startswith("HS")
    if key is None and issued and ctx.enabled(WEAK.id):
        cracked = await _crack(ctx, tok)
        key, run_.key_note = (cracked.secret, "the cracked secret") if cracked else (None, "")
    keys = await asyncio.to_thread(_Keys)
    jwks = {"keys": [jwtcraft.public_jwk(keys.rsa_public, "authgate")]}
    async with _jwks_server(jwks) as (jku, hits):
        run_.jku_hits = hits
        forged = _forgeries(ctx, tok, victim, keys, jku)
        timed = _timed(tok, key) if key is not None else None
        for t in [timed.control, *(f.token for f in timed.forgeries)] if timed else []:
            remember(ctx, "token", attacker.name, t)  # validly signed: redacted like any real token
        any_key = keys.hmac if tok.alg.startswith("HS") else keys.rsa_private if tok.alg.startswith("RS") else None
        unverified = _timed(tok, any_key) if any_key is not None else None
        for t in tgts:
            async for f in _per_target(run_, t, forged, timed, unverified):
                yield f
    if cracked is not None:
        yield await _weak_secret(run_, tok, cracked, tgts[0])
    if ctx.enabled(AFTER_LOGOUT.id):
        f = await _after_logout(ctx)
        if f is not None:
            yield f


FAMILY = ScanWide(
    meta=JWT,
    checks=(
        OTHER_KEY,
        ALG_NONE,
        NULL_SIG,
        EMPTY_KEY,
        CONFUSION,
        SUB_SWAP,
        KID,
        JWK,
        JKU,
        EXPIRED,
        NBF,
        NO_EXP,
        WEAK,
        AFTER_LOGOUT,
    ),
    run=run,
)
