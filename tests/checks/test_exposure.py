"""exposure: secrets and other identities' emails in responses to legitimate requests."""

from __future__ import annotations

import hashlib
import json
import re
from types import SimpleNamespace

from gate.checks.exposure import secrets_in
from gate.dynamo.fixtures import OwnedItem
from gate.target.probe import Exchange
from tests.oracle_helpers import finding, of_family


def test_vulnerable_profile_returns_the_password_hash_to_its_owner(vulnerable_report) -> None:
    _, report, _ = vulnerable_report
    f = finding(report, "exposure.secret", "GET /users/{user_id}/profile")
    assert f["identity"] == "alice"
    ev = f["evidence"]
    assert ev["request"]["path"] == "/users/alice/profile"
    # the stored hash (written at seed time by the service's own fast hashing) is named by its length only
    assert ev["notes"][0].startswith("response carries password_hash (64 characters)"), ev["notes"][0]
    assert "(profiles.password_hash of {'user_id': 'alice'})" in ev["notes"][0]
    assert [(c["operation"], c["key"]) for c in ev["dynamodb_calls"]] == [("GetItem", {"user_id": "alice"})]
    assert '"password_hash":"…[redacted]"' in ev["response"]["body"]


def test_stored_secrets_are_never_reprinted_in_the_report(vulnerable_report) -> None:
    """Evidence names a stored secret (its length only); every family's evidence redacts it."""
    _, report, _ = vulnerable_report
    text = json.dumps(report)
    assert "[redacted]" in text and "password_hash" in text
    for password in ("Alice-pass-1", "Bob-pass-1", "Root-pass-1"):  # the example hashes with unsalted SHA-256
        stored = hashlib.sha256(password.encode()).hexdigest()
        assert stored[:8] not in text, password
    # nor the throwaway accounts' hashes: no hex run as long as a SHA-256 anywhere
    assert not re.search(r"[0-9a-f]{64}", text)


def test_vulnerable_posts_carry_other_authors_emails(vulnerable_report) -> None:
    _, report, _ = vulnerable_report
    f = finding(report, "exposure.pii", "GET /posts")
    assert f["identity"] == "alice"
    assert f["evidence"]["notes"] == ["response carries bob's email bob@example.test"]
    assert {c["operation"] for c in f["evidence"]["dynamodb_calls"]} == {"Query", "BatchGetItem"}


def test_admin_routes_are_not_exposure(vulnerable_report) -> None:
    """/admin/stats lists every email: that is bfla's finding, not exposure's."""
    _, report, _ = vulnerable_report
    assert {k[1] for k in of_family(report, "exposure")} == {"GET /users/{user_id}/profile", "GET /posts"}


def test_fixed_example_has_no_exposure(fixed_report) -> None:
    _, report, _ = fixed_report
    assert of_family(report, "exposure") == set()


def test_test_app_exposure_routes(oracle_report) -> None:
    _, report, _ = oracle_report
    assert of_family(report, "exposure") == {
        ("exposure.secret", "GET /accounts/{account_id}", "alice"),
        ("exposure.pii", "GET /me/contacts", "alice"),
    }
    f = finding(report, "exposure.secret", "GET /accounts/{account_id}")
    assert "mfa_secret" in f["evidence"]["notes"][0] and "JBSWY3DPEHPK3PXPALICE" not in f["evidence"]["notes"][0]


def _ex(text: str) -> Exchange:
    return Exchange(
        id=1,
        lane=0,
        method="GET",
        path="/x",
        identity="alice",
        request_headers={},
        request_body=None,
        status=200,
        text=text,
    )


def test_fresh_tokens_are_not_secrets_but_stored_ones_and_hash_shapes_are() -> None:
    seeded = OwnedItem(table="t", owner="alice", key={"id": "a"}, item={"id": "a", "reset_token": "rt-0123456789"})
    ctx = SimpleNamespace(owned=[seeded])
    assert secrets_in(ctx, _ex('{"access_token": "eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl"}')) == []
    assert secrets_in(ctx, _ex('{"api_key": "ak_live_freshly_created"}')) == []
    assert secrets_in(ctx, _ex('{"token": "rt-0123456789"}')) == [
        "response carries reset_token (13 characters) (t.reset_token of {'id': 'a'})"
    ]
    assert secrets_in(ctx, _ex('{"user": {"hashed_password": "$2b$12$abcdefghijklmnop"}}')) == [
        "response carries user.hashed_password (23 characters)"
    ]
    assert secrets_in(ctx, _ex('{"note": "key AKIAABCDEFGHIJKLMNOP"}')) == ["response carries note (24 characters)"]
