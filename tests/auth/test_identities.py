"""Identities (gate/auth/identities.py): tokens minted with the scan's key and the key handed to the service,
API-key identities."""

from __future__ import annotations

import time

import jwt

from gate.auth import jwtcraft
from gate.auth.identities import key_material, mint, minted_identities, service_env
from gate.config import parse_config
from tests.auth.conftest import BASE, _cfg


def test_rs256_minting_and_the_key_handed_to_the_service() -> None:
    cfg = _cfg(jwt={"algorithm": "RS256", "public_key_env": "PUB", "private_key_env": "PRIV"})
    env = service_env(cfg, "scan-secret")
    assert env["PUB"].startswith("-----BEGIN PUBLIC KEY-----") and "PRIVATE KEY" in env["PRIV"]
    tok = mint(cfg, "scan-secret", "alice", {"role": "x"})
    claims = jwt.decode(tok, env["PUB"], algorithms=["RS256"])
    assert claims["sub"] == "alice" and claims["role"] == "x" and claims["exp"] > time.time() and claims["jti"]
    assert key_material(cfg, "scan-secret").public_pem == env["PUB"].encode()  # one pair per scan
    jwk = jwtcraft.public_jwk(env["PUB"].encode(), "k1")
    assert jwk["kty"] == "RSA" and jwk["kid"] == "k1"


def test_api_key_identities_send_their_key_and_never_log_in() -> None:
    from gate.auth.login import login_all

    data = {
        **BASE,
        "auth": {"api_key": {"header": "X-Api-Key"}, "login": {"path": "/login"}},
        "identities": {
            "alice": {"sub": "alice", "api_key": "ak_alice_0123456789"},
            "bob": {"sub": "bob", "api_key": "ak_bob_0123456789"},
        },
    }
    cfg = parse_config(data)
    idents = minted_identities(cfg, "s")
    login_all(cfg, idents, "http://127.0.0.1:9")  # nothing to log in: no request is made
    assert idents["alice"].headers == {"X-Api-Key": "ak_alice_0123456789"} and idents["alice"].token is None
