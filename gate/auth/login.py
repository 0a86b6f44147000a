"""The login flow: post an identity's credentials, take the token from the answer; and logout.

`auth.login` names the route, the body (`{email}`, `{password}`, `{sub}`, `{name}` are filled
in) and where the token is: a dotted path into the JSON answer (`data.session.token`, list
indexes allowed: `tokens.0`) or a cookie. A gate that cannot log in has not scanned: every
failure is a ScanError (exit 2) that names the identity, the status and an excerpt of the body.

The same request building and token extraction serve the checks that log in during the scan
(rate-limit, enumeration, account-state, jwt after-logout); they send through the prober.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import httpx

from gate.auth.identities import Identity, attach_token
from gate.config import Config, LoginConfig
from gate.errors import ScanError
from gate.netutil import fetch, verify_for
from gate.target.probe import MAX_BODY, redact_text

EXCERPT = 200
TIMEOUT = 15.0  # seconds for one login exchange in all (connect, headers, body)


class LoginError(Exception):
    """The service did not hand out a token; the message says why in one line."""


def fill(template: Any, values: dict[str, str]) -> Any:
    """The body template with `{email}`, `{password}`, ... replaced, recursively."""
    if isinstance(template, str):
        if template.startswith("{") and template.endswith("}") and template[1:-1] in values:
            return values[template[1:-1]]
        return re.sub(r"{(\w+)}", lambda m: values.get(m.group(1), m.group(0)), template)
    if isinstance(template, dict):
        return {k: fill(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [fill(v, values) for v in template]
    return template


def placeholders(template: Any) -> set[str]:
    if isinstance(template, str):
        return set(re.findall(r"{(\w+)}", template))
    if isinstance(template, dict):
        return set().union(*(placeholders(v) for v in template.values())) if template else set()
    if isinstance(template, list):
        return set().union(*(placeholders(v) for v in template)) if template else set()
    return set()


def body_kwargs(lc: LoginConfig, body: dict[str, Any]) -> dict[str, Any]:
    """`json_body=` or `data=` for the prober, as the config says the route wants it."""
    if lc.form:
        return {"data": {k: str(v) for k, v in body.items()}}
    return {"json_body": body}


def login_body(lc: LoginConfig, *, email: str | None, password: str, sub: str = "", name: str = "") -> dict[str, Any]:
    return fill(lc.body, {"email": email or "", "password": password, "sub": sub, "name": name})


def excerpt(text: str, secrets: list[str]) -> str:
    one = " ".join(redact_text(text, secrets).split())
    return (one[:EXCERPT] + "…") if len(one) > EXCERPT else (one or "(empty body)")


def _masked(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {k: _masked(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_masked(v) for v in doc[:3]]
    if isinstance(doc, str):
        return f"<{len(doc)} chars>"
    return doc


def answer_excerpt(status: int, text: str, secrets: list[str]) -> str:
    """What the error shows of a login answer: a refusal as written; a 2xx JSON only as its shape.

    A 2xx answer may hold the token at a path the config did not name: its strings are never shown.
    """
    if not 200 <= status < 300:
        return excerpt(text, secrets)
    try:
        return excerpt(json.dumps(_masked(json.loads(text))), [])
    except ValueError:
        return excerpt(text, secrets) if len(text) <= 40 else f"({len(text)} characters, not JSON)"


def _dotted(doc: Any, path: str) -> Any:
    cur = doc
    for part in path.split("."):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            return _Missing(part, cur)
    return cur


class _Missing:
    def __init__(self, part: str, parent: Any) -> None:
        self.part = part
        self.parent = parent

    def describe(self) -> str:
        if isinstance(self.parent, dict):
            keys = ", ".join(sorted(map(str, self.parent))[:8]) or "none"
            return f"no key {self.part!r} (keys there: {keys})"
        return f"no {self.part!r} in a {type(self.parent).__name__}"


def set_cookie_value(headers: httpx.Headers | dict[str, str], name: str) -> str | None:
    """The value a response sets for cookie `name` (several Set-Cookie headers may be merged)."""
    values = headers.get_list("set-cookie") if isinstance(headers, httpx.Headers) else [headers.get("set-cookie", "")]
    for raw in values:
        for m in re.finditer(r"(?:^|,)\s*([^=;,\s]+)=([^;,]*)", raw or ""):
            if m.group(1) == name:
                return m.group(2).strip('"')
    return None


def extract_token(lc: LoginConfig, status: int, headers: httpx.Headers | dict[str, str], text: str) -> str:
    """The token of a login answer, or LoginError saying what was wrong."""
    if not 200 <= status < 300:
        hint = {
            404: " (is auth.login.path right?)",
            405: " (is auth.login.method right?)",
            401: " (wrong credentials? the user record needs a hash the service accepts: auth.password_hash)",
            403: " (wrong credentials, or the account is disabled in its fixture?)",
            422: " (the body does not match what the route expects: auth.login.body / form)",
        }.get(status, "")
        raise LoginError(f"answered {status}{hint}")
    if lc.cookie:
        value = set_cookie_value(headers, lc.cookie)
        if not value:
            got = [m.split("=", 1)[0].strip() for m in _cookie_names(headers)]
            raise LoginError(
                f"answered {status} but set no cookie {lc.cookie!r} (auth.login.cookie); "
                f"cookies set: {', '.join(got) or 'none'}"
            )
        return value
    try:
        doc = json.loads(text)
    except ValueError:
        raise LoginError(
            f"answered {status} but the body is not JSON (auth.login.token expects a JSON answer)"
        ) from None
    got = _dotted(doc, lc.token)
    if isinstance(got, _Missing):
        raise LoginError(f"answered {status} but the JSON has no {lc.token!r} (auth.login.token): {got.describe()}")
    if not isinstance(got, str) or not got:
        raise LoginError(f"answered {status} but {lc.token!r} is {type(got).__name__} {got!r:.40}, not a token string")
    return without_scheme(got)


_SCHEMED = re.compile(r"(?i)^(bearer|token|jwt|jws)\s+(\S+)$")


def without_scheme(token: str) -> str:
    """The token itself when the answer carries it with its scheme (`"access_token": "bearer eyJ..."`,
    fastapi-users): the gate sends `<auth.scheme> <token>`, and the JWT checks take the token apart."""
    m = _SCHEMED.match(token.strip())
    return m.group(2) if m else token


def _cookie_names(headers: httpx.Headers | dict[str, str]) -> list[str]:
    values = headers.get_list("set-cookie") if isinstance(headers, httpx.Headers) else [headers.get("set-cookie", "")]
    return [v.split(";", 1)[0] for v in values if v]


def check_identity(cfg: Config, ident: Identity) -> None:
    lc = cfg.auth.login
    assert lc is not None
    need = placeholders(lc.body)
    if "email" in need and not ident.email:
        raise ScanError(f"identities.{ident.name}.email: needed by auth.login.body ({{email}})")


def login_all(cfg: Config, identities: dict[str, Identity], base_url: str) -> None:
    """Log every identity in through the service's own login route; ScanError on any failure."""
    lc = cfg.auth.login
    assert lc is not None
    todo = [i for i in identities.values() if not (cfg.auth.api_key and i.api_key)]
    for ident in todo:
        check_identity(cfg, ident)
    asyncio.run(_login_each(cfg, todo, base_url))


async def _login_each(cfg: Config, todo: list[Identity], base_url: str) -> None:
    """Every identity at once: a service that hashes with bcrypt spends a quarter second on each login, and
    checks them side by side in its worker threads (issue 17). The first failure in identity order is the
    one reported, whichever answered first."""
    async with httpx.AsyncClient(
        base_url=base_url, follow_redirects=False, verify=verify_for(base_url), limits=httpx.Limits(max_connections=8)
    ) as client:
        got = await asyncio.gather(*(_login_one(cfg, client, ident) for ident in todo), return_exceptions=True)
    for outcome in got:
        if isinstance(outcome, BaseException):
            raise outcome


async def _login_one(cfg: Config, client: httpx.AsyncClient, ident: Identity) -> None:
    lc = cfg.auth.login
    assert lc is not None
    assert ident.password is not None  # the config requires it with auth.login
    body = login_body(lc, email=ident.email, password=ident.password, sub=ident.sub, name=ident.name)
    kwargs = body_kwargs(lc, body)
    where = f"login as {ident.name}: {lc.method} {lc.path}"
    if "json_body" in kwargs:
        request = client.build_request(lc.method, lc.path, json=kwargs["json_body"])
    else:
        request = client.build_request(lc.method, lc.path, data=kwargs["data"])
    try:
        resp = await fetch(client, request, seconds=TIMEOUT, max_bytes=MAX_BODY)
    except httpx.HTTPError as exc:
        raise ScanError(f"{where} failed: {type(exc).__name__}: {exc}") from None
    try:
        token = extract_token(lc, resp.status_code, resp.headers, resp.text)
    except LoginError as exc:
        shown = answer_excerpt(resp.status_code, resp.text, [ident.password])
        raise ScanError(f"{where} {exc}; body: {shown}") from None
    attach_token(cfg, ident, token)
