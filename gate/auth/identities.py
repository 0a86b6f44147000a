"""Credentials per identity: minted JWTs (the gate holds the service's key), login flow, API keys.

Minted tokens: the gate makes a fresh key per scan (an HMAC secret, or an RSA/EC key pair for
RS*/ES*) and hands the service what it needs through `auth.jwt.secret_env`, `public_key_env` and
`private_key_env`. Login flow: `gate.auth.login` fills `token`, `headers` and `cookies`. API keys:
static header values from the config, stored by the fixtures in DynamoDB.
"""

from __future__ import annotations

import functools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

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


@dataclass(frozen=True, slots=True)
class KeyMaterial:
    """The key the gate signs minted tokens with, and what the service verifies them with."""

    algorithm: str
    secret: str  # the HMAC secret (HS*); also handed over for RS*/ES*, where services ignore it
    private_pem: bytes | None = None  # RS*/ES*
    public_pem: bytes | None = None  # RS*/ES*

    @property
    def signing_key(self) -> Any:
        return self.private_pem if self.private_pem is not None else self.secret

    @property
    def verifying_key(self) -> Any:
        return self.public_pem if self.public_pem is not None else self.secret


def new_secret() -> str:
    """A fresh, strong HMAC secret per scan: the service under test never gets a reusable one."""
    return secrets.token_urlsafe(48)


def new_private_key(algorithm: str) -> Any:
    if algorithm.startswith("ES"):
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem_pair(private: Any) -> tuple[bytes, bytes]:
    priv = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    pub = private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return priv, pub


@functools.lru_cache(maxsize=8)
def _asymmetric(algorithm: str, secret: str) -> tuple[bytes, bytes]:
    # One key pair per (scan secret, algorithm): the scan and its checks see the same pair.
    return pem_pair(new_private_key(algorithm))


def key_material(cfg: Config, secret: str) -> KeyMaterial:
    alg = cfg.auth.jwt.algorithm if cfg.auth.jwt else "HS256"
    if alg.startswith("HS"):
        return KeyMaterial(algorithm=alg, secret=secret)
    priv, pub = _asymmetric(alg, secret)
    return KeyMaterial(algorithm=alg, secret=secret, private_pem=priv, public_pem=pub)


def service_env(cfg: Config, secret: str) -> dict[str, str]:
    """What the service needs to verify (and, with `private_key_env`, issue) the gate's tokens."""
    jc = cfg.auth.jwt
    if jc is None:
        return {}
    km = key_material(cfg, secret)
    env = {jc.secret_env: secret}
    if km.public_pem is not None and jc.public_key_env:
        env[jc.public_key_env] = km.public_pem.decode()
    if km.private_pem is not None and jc.private_key_env:
        env[jc.private_key_env] = km.private_pem.decode()
    return env


def mint(cfg: Config, secret: str, sub: str, claims: dict[str, Any], **overrides: Any) -> str:
    jc = cfg.auth.jwt
    assert jc is not None
    now = int(time.time())
    payload: dict[str, Any] = {
        jc.subject_claim: sub,
        "iat": now,
        "exp": now + jc.expires_in,
        "jti": secrets.token_hex(8),
        **claims,
    }
    payload.update(overrides)
    payload = {k: v for k, v in payload.items() if v is not None}
    return jwt.encode(payload, key_material(cfg, secret).signing_key, algorithm=jc.algorithm)


def auth_headers(cfg: Config, token: str) -> dict[str, str]:
    scheme = f"{cfg.auth.scheme} " if cfg.auth.scheme else ""
    return {cfg.auth.header: f"{scheme}{token}"}


def credentials(cfg: Config, token: str) -> tuple[dict[str, str], dict[str, str]]:
    """(headers, cookies) that carry `token` the way the service expects it."""
    if cfg.auth.login is not None and cfg.auth.login.cookie:
        return {}, {cfg.auth.login.cookie: token}
    return auth_headers(cfg, token), {}


def attach_token(cfg: Config, ident: Identity, token: str) -> None:
    ident.token = token
    headers, cookies = credentials(cfg, token)
    ident.headers.update(headers)
    ident.cookies.update(cookies)


def minted_identities(cfg: Config, secret: str) -> dict[str, Identity]:
    out: dict[str, Identity] = {}
    for name, ic in cfg.identities.items():
        ident = Identity(name=name, sub=ic.sub, role=ic.role, email=ic.email, password=ic.password, api_key=ic.api_key)
        if cfg.auth.api_key and ic.api_key:
            ident.headers[cfg.auth.api_key.header] = ic.api_key
        elif cfg.auth.jwt is not None and cfg.auth.login is None:
            attach_token(cfg, ident, mint(cfg, secret, ic.sub, ic.claims))
        out[name] = ident
    return out
