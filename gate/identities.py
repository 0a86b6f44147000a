"""Credentials per identity: minted JWTs (the gate sets the service's secret), login flow, API keys."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import jwt

from gate.config import Config


@dataclass(slots=True)
class Identity:
    name: str
    sub: str
    role: str | None
    email: str | None = None
    password: str | None = None
    token: str | None = None
    api_key: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def privileged(self) -> bool:
        return self.role is not None


def new_secret() -> str:
    """A fresh, strong HMAC secret per scan: the service under test never gets a reusable one."""
    return secrets.token_urlsafe(48)


def mint(cfg: Config, secret: str, sub: str, claims: dict[str, Any], **overrides: Any) -> str:
    jc = cfg.auth.jwt
    assert jc is not None
    now = int(time.time())
    payload: dict[str, Any] = {jc.subject_claim: sub, "iat": now, "exp": now + jc.expires_in, **claims}
    payload.update(overrides)
    payload = {k: v for k, v in payload.items() if v is not None}
    return jwt.encode(payload, secret, algorithm=jc.algorithm)


def auth_headers(cfg: Config, token: str) -> dict[str, str]:
    scheme = f"{cfg.auth.scheme} " if cfg.auth.scheme else ""
    return {cfg.auth.header: f"{scheme}{token}"}


def minted_identities(cfg: Config, secret: str) -> dict[str, Identity]:
    out: dict[str, Identity] = {}
    for name, ic in cfg.identities.items():
        ident = Identity(name=name, sub=ic.sub, role=ic.role, email=ic.email, password=ic.password, api_key=ic.api_key)
        if cfg.auth.api_key and ic.api_key:
            ident.headers[cfg.auth.api_key.header] = ic.api_key
        elif cfg.auth.jwt is not None and cfg.auth.login is None:
            ident.token = mint(cfg, secret, ic.sub, ic.claims)
            ident.headers.update(auth_headers(cfg, ident.token))
        out[name] = ident
    return out
