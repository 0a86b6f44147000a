"""The labs the authentication families share, each scanned once per session, and finding pickers."""

from __future__ import annotations

import pytest
import yaml

from tests.conftest import APPS, scan_report

# tests/apps/jwt_lab.py, one flaw per route (RS256, tokens minted by the gate): the jwt and authn families
LAB = {
    "version": 1,
    "service": {
        "command": "uvicorn jwt_lab:app --host 127.0.0.1 --port {port} --log-level warning",
        "workdir": str(APPS),
    },
    "dynamodb": {"tables": [{"name": "items", "key": {"owner": "S", "id": "S"}}]},
    "auth": {"jwt": {"algorithm": "RS256", "public_key_env": "JWT_PUBLIC_KEY"}},
    "identities": {"alice": {"sub": "alice"}, "bob": {"sub": "bob"}},
    "fixtures": [
        {"table": "items", "owner": "alice", "item": {"owner": "alice", "id": "a-1", "note": "alice's lab note"}},
        {"table": "items", "owner": "bob", "item": {"owner": "bob", "id": "b-1", "note": "bob's lab note"}},
    ],
}


@pytest.fixture(scope="session")
def lab_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict, str]:
    root = tmp_path_factory.mktemp("jwt-lab")
    (root / ".authgate.yml").write_text(yaml.safe_dump(LAB, sort_keys=False))
    p, rep = scan_report(root, root)
    return p.returncode, rep, p.stdout + p.stderr


def _found(report: dict, family: str) -> set[tuple[str, str]]:
    return {(f["check"], f["route"]) for f in report["findings"] if f["family"] == family}


# A login service whose only tells are time and its log (enumeration.timing, secrets-in-logs.password,
# rate-limit): tests/apps/login_timing.py hashes with PBKDF2 for existing accounts only and prints each
# login body. Its users are seeded with its own hashing through `auth.password_hash.command`.
TIMING_LAB = {
    "version": 1,
    "service": {
        "command": "uvicorn login_timing:app --host 127.0.0.1 --port {port} --log-level warning",
        "workdir": str(APPS),
    },
    "dynamodb": {
        "tables": [{"name": "users", "key": {"user_id": "S"}, "indexes": [{"name": "by_email", "key": {"email": "S"}}]}]
    },
    "auth": {
        "jwt": {"secret_env": "JWT_SECRET"},
        "login": {"path": "/login"},
        "password_hash": {"command": "python login_timing.py"},
        "users": {"table": "users"},
    },
    "identities": {
        "alice": {"sub": "alice", "email": "alice@example.test", "password": "Alice-pass-1"},
        "bob": {"sub": "bob", "email": "bob@example.test", "password": "Bob-pass-1"},
    },
    "fixtures": [
        {"table": "users", "owner": "alice", "item": {"user_id": "alice", "email": "alice@example.test"}},
        {"table": "users", "owner": "bob", "item": {"user_id": "bob", "email": "bob@example.test"}},
    ],
    "checks": {"exclude": ["jwt", "account-state", "rate-limit"]},
}


@pytest.fixture(scope="session")
def timing_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict, str]:
    root = tmp_path_factory.mktemp("timing-lab")
    (root / ".authgate.yml").write_text(yaml.safe_dump(TIMING_LAB, sort_keys=False))
    p, rep = scan_report(root, root)
    return p.returncode, rep, p.stdout + p.stderr


def _one(report: dict, check: str, **match: str) -> dict:
    found = [f for f in report["findings"] if f["check"] == check and all(f[k] == v for k, v in match.items())]
    assert len(found) == 1, [f["check"] for f in report["findings"]]
    return found[0]
