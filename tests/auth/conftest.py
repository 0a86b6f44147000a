"""The config the auth tests share: two people with accounts in one table."""

from __future__ import annotations

from typing import Any

from gate.config import parse_config

BASE: dict[str, Any] = {
    "version": 1,
    "service": {"command": "uvicorn app:app --port {port}"},
    "dynamodb": {"tables": [{"name": "people", "key": {"pk": "S"}}]},
    "identities": {
        "alice": {"sub": "alice", "email": "alice@corp.test", "password": "Alice-pass-1"},
        "bob": {"sub": "bob", "email": "bob@corp.test", "password": "Bob-pass-1"},
    },
    "fixtures": [
        {
            "table": "people",
            "owner": "alice",
            "item": {"pk": "alice", "email": "alice@corp.test", "name": "Alice A", "enabled": True, "plan": "pro"},
        },
        {"table": "people", "owner": "bob", "item": {"pk": "bob", "email": "bob@corp.test", "enabled": True}},
    ],
}


def _cfg(**auth: Any) -> Any:
    return parse_config({**BASE, "auth": auth})
