"""The local gateway started on a test project, as a scan starts it (sandbox, played authorizer, warm workers)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from gate.auth.identities import minted_identities, new_secret
from gate.config import Config, parse_config
from gate.serverless import gateway, project, tokens
from gate.serverless.gateway import Gateway
from gate.serverless.model import App
from tests.conftest import APPS, sandbox

SLS_APPS = APPS / "serverless"
UNUSED_DYNAMODB = "http://127.0.0.1:9"  # the test functions never call DynamoDB


def config(template: str, **service: object) -> Config:
    return parse_config(
        {
            "version": 1,
            "service": {"template": template, **service},
            "identities": {"alice": {"sub": "alice", "email": "alice@example.test"}, "bob": {"sub": "bob"}},
        }
    )


@dataclass
class Served:
    gw: Gateway
    app: App
    cfg: Config  # with the played authorizer's tokens
    headers: dict[str, dict[str, str]]  # identity -> its credential headers
    client: httpx.Client

    def get(self, path: str, **kw: object) -> httpx.Response:
        return self.client.get(path, **kw)  # type: ignore[arg-type]


@contextlib.contextmanager
def serve(root: Path, template: str, **service: object) -> Iterator[Served]:
    cfg = config(template, **service)
    app = project.load(cfg, root)
    cfg = tokens.with_tokens(cfg, app)
    secret = new_secret()
    with sandbox(root) as box:
        gw = gateway.start(cfg, root, app, [UNUSED_DYNAMODB], {}, tokens.verifying_keys(cfg, secret), box)
        try:
            idents = minted_identities(cfg, secret)
            with httpx.Client(base_url=gw.instances[0].base_url, timeout=20) as client:
                yield Served(gw, app, cfg, {n: i.headers for n, i in idents.items()}, client)
        finally:
            gw.stop()
