"""The authentication families together on the examples: exactly these findings, no real credential shown,
none on the fixed twin (each family's proofs are in tests/checks/test_<family>.py).

Both examples log their identities in through their own /login (users seeded with their own
hashing); the scans are the session fixtures shared with tests/cli/test_examples.py.
"""

from __future__ import annotations

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
        ("enumeration.response", "POST /signup", None, "username"),
        ("rate-limit.credentials", "POST /login", "authgate-ratelimit", ""),
        ("secrets-in-logs.token", "", "alice", "token"),
    }
    assert _skips(report) == []


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
