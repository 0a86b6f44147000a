"""The authentication families on the examples: each flaw found with its proof, none on the fixed twin.

Both examples log their identities in through their own /login (users seeded with their own
hashing); the scans are the session fixtures shared with tests/test_examples.py.
"""

from __future__ import annotations

import re

AUTH_FAMILIES = ("jwt", "account-state", "enumeration", "rate-limit", "secrets-in-logs")


def _skips(report: dict) -> list[str]:
    """Notes other than the logout route kept away from the scan's own identities (by design)."""
    return [n for n in report["notes"] if "not probed with the scan's identities" not in n]


def _auth(report: dict) -> set[tuple[str, str, str | None, str]]:
    return {
        (f["check"], f"{f['method']} {f['route']}".strip(), f["identity"], f["parameter"])
        for f in report["findings"]
        if f["family"] in AUTH_FAMILIES
    }


def _one(report: dict, check: str, **match: str) -> dict:
    found = [f for f in report["findings"] if f["check"] == check and all(f[k] == v for k, v in match.items())]
    assert len(found) == 1, [f["check"] for f in report["findings"]]
    return found[0]


def test_vulnerable_example_has_exactly_these_authentication_findings(vulnerable_report: tuple[int, dict, str]) -> None:
    _, report, output = vulnerable_report
    assert report["complete"], output
    assert _auth(report) == {
        ("jwt.other-key", "GET /users/{user_id}/profile", "alice", ""),
        ("jwt.weak-secret", "POST /login", "alice", ""),
        ("jwt.after-logout", "POST /logout", "authgate-logout", ""),
        ("account-state.missing-attribute", "POST /login", "authgate-no-enabled", "enabled"),
        ("account-state.missing-attribute", "POST /login", "authgate-no-confirmed", "email_confirmed"),
        ("account-state.token-after-disable", "GET /users/{user_id}/profile", "authgate-control", ""),
        ("account-state.token-after-password-change", "GET /users/{user_id}/profile", "authgate-control", ""),
        ("enumeration.response", "POST /login", None, ""),
        ("enumeration.response", "POST /password-reset", None, ""),
        ("rate-limit.credentials", "POST /login", "authgate-ratelimit", ""),
        ("secrets-in-logs.token", "", "alice", "token"),
    }
    assert _skips(report) == []


def test_unverified_signature_is_proven_by_the_read_it_opened(vulnerable_report: tuple[int, dict, str]) -> None:
    _, report, _ = vulnerable_report
    f = _one(report, "jwt.other-key")
    ev = f["evidence"]
    assert ev["response"]["status"] == 200 and ev["request"]["label"] == "forged token: signed with a random HS256 key"
    call = ev["dynamodb_calls"][0]
    assert (call["operation"], call["table"], call["key"]) == ("GetItem", "profiles", {"user_id": "alice"})
    assert "jwt.alg-none (alg 'none', no signature; alg 'None'" in ev["notes"][-1]


def test_weak_secret_is_cracked_and_a_forged_token_opens_bobs_profile(vulnerable_report: tuple[int, dict, str]) -> None:
    _, report, _ = vulnerable_report
    f = _one(report, "jwt.weak-secret")
    cracked, forged = f["evidence"]["notes"]
    assert "verifies with a 19-character secret from the wordlist" in cracked
    assert forged.startswith("a token forged with it for bob: GET /users/bob/profile answered 200")
    assert f["evidence"]["request"]["headers"]["Authorization"].endswith("…[redacted]")
    assert "your-256-bit-secret" not in str(report)  # the cracked secret itself is never shown


def test_logout_revokes_nothing(vulnerable_report: tuple[int, dict, str]) -> None:
    _, report, _ = vulnerable_report
    f = _one(report, "jwt.after-logout")
    assert f["evidence"]["notes"][0].startswith(
        "after POST /logout answered 200, the same token: GET /users/authgate-logout/profile answered 200"
    )


def test_half_written_accounts_get_in_and_disabled_ones_do_not(vulnerable_report: tuple[int, dict, str]) -> None:
    _, report, _ = vulnerable_report
    f = _one(report, "account-state.missing-attribute", parameter="enabled")
    state, login, used = f["evidence"]["notes"]
    assert state == "item profiles {'user_id': 'authgate-no-enabled'}: no attribute enabled"
    assert login == "POST /login as authgate-no-enabled answered 200 with a token"
    assert used.startswith("with it: GET /users/authgate-no-enabled/profile answered 200; GetItem profiles")
    assert not [x for x in report["findings"] if x["check"] == "account-state.disabled"]  # enabled: false is refused


def test_token_after_disable_shows_the_gates_edit(vulnerable_report: tuple[int, dict, str]) -> None:
    _, report, _ = vulnerable_report
    f = _one(report, "account-state.token-after-disable")
    assert f["evidence"]["item_changes"] == [
        {
            "table": "profiles",
            "key": {"user_id": "authgate-control"},
            "change": "changed",
            "attributes": ["enabled"],
            "before": {"enabled": True},
            "after": {"enabled": False},
        }
    ]
    assert f["evidence"]["response"]["status"] == 200


def test_enumeration_shows_both_answers(vulnerable_report: tuple[int, dict, str]) -> None:
    _, report, _ = vulnerable_report
    f = _one(report, "enumeration.response", route="/login")
    both, pairs = f["evidence"]["notes"]
    assert both == (
        'existing account: 401 {"detail":"wrong password"}; unknown address: 404 {"detail":"user not found"}'
    )
    assert pairs.startswith("the status differs in 3 of 3 interleaved pairs")


def test_rate_limit_sends_the_configured_attempts_to_a_throwaway_account(
    vulnerable_report: tuple[int, dict, str],
) -> None:
    _, report, _ = vulnerable_report
    f = _one(report, "rate-limit.credentials")
    sent, after = f["evidence"]["notes"]
    assert re.match(r"30 failed logins for authgate-ratelimit@example.test in \d+\.\d s: 30x 401; no 429", sent)
    assert after == "then the correct password still logged in (200): no lockout"
    assert f["evidence"]["request"]["body"] == '{"email": "authgate-ratelimit@example.test", "password": "…[redacted]"}'


def test_logged_tokens_are_shown_redacted(vulnerable_report: tuple[int, dict, str]) -> None:
    _, report, _ = vulnerable_report
    f = _one(report, "secrets-in-logs.token")
    assert f["cwe"] == ["CWE-532"] and len(f["evidence"]["log"]) == 3
    for line in f["evidence"]["log"]:
        assert re.fullmatch(r"line \d+: \w+ /\S* authorization=Bearer eyJhbGciOi…\[redacted\]", line), line


def test_no_real_credential_appears_in_the_report(vulnerable_report: tuple[int, dict, str]) -> None:
    _, report, _ = vulnerable_report
    text = str(report)
    for password in ("Alice-pass-1", "Bob-pass-1", "Root-pass-1"):
        assert password not in text
    signed_with_the_key = {"jwt.expired", "jwt.nbf-ignored", "jwt.no-exp", "jwt.weak-secret"}
    for f in report["findings"]:
        req = f["evidence"]["request"] or {}
        shown = req.get("headers", {}).get("Authorization", "")
        if f["check"] in signed_with_the_key or not req.get("label", "").startswith("forged token"):
            assert not shown.startswith("Bearer ") or "[redacted]" in shown, (f["check"], req["label"], shown)


def test_fixed_example_withstands_every_authentication_attack(fixed_report: tuple[int, dict, str]) -> None:
    _, report, output = fixed_report
    assert _auth(report) == set(), output
    assert _skips(report) == []  # every family ran: nothing was skipped for want of an account or a route
    assert report["stats"]["requests"] > 150
