"""exposure: secrets and other identities' emails in responses to legitimate requests."""

from __future__ import annotations

from tests.oracle_helpers import finding, of_family


def test_vulnerable_profile_returns_the_password_hash_to_its_owner(vulnerable_report) -> None:
    _, report, _ = vulnerable_report
    f = finding(report, "exposure.secret", "GET /users/{user_id}/profile")
    assert f["identity"] == "alice"
    ev = f["evidence"]
    assert ev["request"]["path"] == "/users/alice/profile"
    assert ev["notes"][0].startswith('response carries password_hash "$argon2id$')
    assert "(profiles.password_hash of {'user_id': 'alice'})" in ev["notes"][0]
    assert [(c["operation"], c["key"]) for c in ev["dynamodb_calls"]] == [("GetItem", {"user_id": "alice"})]


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
