"""The identities' tokens when the gate plays the template's JWT or Cognito authorizer.

Without `auth.login` or `auth.api_key` in the config, each identity gets a token the gate mints
(RS256, as Cognito signs, unless `auth.jwt` says otherwise) with the claims the played authorizer
checks: `iss` (the authorizer's issuer), `aud` and `client_id` (its first audience), `token_use`,
`cognito:username` and `email` when the identity has one. The gate's own key never reaches the
functions: its variable is one the sandbox never passes on (an `auth.jwt` of the config hands its
secret over as for a server, for functions that verify tokens themselves). A REST API's Cognito
authorizer takes the bare token in its header, an HTTP API's JWT authorizer a `Bearer` one.
"""

from __future__ import annotations

from typing import Any

from gate.auth.identities import key_material
from gate.config import Config, JwtConfig
from gate.serverless.authorizers import Keys
from gate.serverless.model import App

ALGORITHM = "RS256"
KEY_ENV = "AUTHGATE_AUTHORIZER_KEY"  # never passed to the sandbox (its AUTHGATE_ prefix)


def plays_tokens(cfg: Config, app: App) -> bool:
    """Whether the gate mints the identities' tokens for the template's authorizers (an `auth.jwt` of the
    config keeps its algorithm and variable; a login flow or API keys bring their own credentials)."""
    own = cfg.auth.login or cfg.auth.api_key
    return own is None and any(a.played for a in app.authorizers)


def with_tokens(cfg: Config, app: App) -> Config:
    """`cfg` whose identities carry tokens the played authorizer accepts (unchanged when it does not play one)."""
    if not plays_tokens(cfg, app):
        return cfg
    auth = next(a for a in app.authorizers if a.played)
    identities = {}
    for name, ident in cfg.identities.items():
        claims: dict[str, Any] = {"iss": auth.issuer, "token_use": "id", "cognito:username": ident.sub}
        if auth.audience:
            claims.update(aud=auth.audience[0], client_id=auth.audience[0])
        if ident.email:
            claims["email"] = ident.email
        identities[name] = ident.model_copy(update={"claims": {**claims, **ident.claims}})
    jwt_cfg = cfg.auth.jwt or JwtConfig(secret_env=KEY_ENV, algorithm=ALGORITHM)
    scheme = "" if auth.kind == "cognito" else cfg.auth.scheme
    return cfg.model_copy(
        update={"auth": cfg.auth.model_copy(update={"jwt": jwt_cfg, "scheme": scheme}), "identities": identities}
    )


def verifying_keys(cfg: Config, secret: str) -> Keys | None:
    """What the played authorizers verify tokens with: the key the identities' tokens were minted with."""
    if cfg.auth.jwt is None:
        return None
    km = key_material(cfg, secret)
    return Keys(key=km.verifying_key, algorithm=cfg.auth.jwt.algorithm)
