"""The whole CLI against the real examples: exact findings, with evidence; the fixed twin is clean."""

from __future__ import annotations


def _keys(report: dict) -> set[tuple[str, str, str | None]]:
    return {(f["check"], f"{f['method']} {f['route']}".strip(), f["identity"]) for f in report["findings"]}


def test_vulnerable_example_fails_with_proven_findings(vulnerable_report: tuple[int, dict, str]) -> None:
    code, report, output = vulnerable_report
    assert code == 1, output
    assert report["verdict"] == "fail" and report["complete"] is True
    keys = _keys(report)
    # exactly these: every flaw of the example (its NOT OK comments), and nothing its OK code does
    assert keys == {
        ("account-state.missing-attribute", "POST /login", "authgate-no-confirmed"),
        ("account-state.missing-attribute", "POST /login", "authgate-no-enabled"),
        ("account-state.token-after-disable", "GET /users/{user_id}/profile", "authgate-control"),
        ("account-state.token-after-password-change", "GET /users/{user_id}/profile", "authgate-control"),
        ("authn.missing", "GET /profiles", None),
        ("bfla.privileged-operation", "DELETE /admin/users/{user_id}", "alice"),
        ("bfla.privileged-operation", "GET /admin/stats", "alice"),
        ("bola.filter-scoped", "GET /me/posts", "alice"),
        ("bola.list", "GET /posts", "alice"),
        ("bola.list", "GET /profiles", "alice"),
        ("authn.missing", "POST /posts/{owner_id}/{post_id}/reports", None),
        ("bola.read", "GET /users/{user_id}/profile", "alice"),
        ("bola.write", "DELETE /users/{user_id}/posts/{post_id}", "alice"),
        ("bola.write", "PUT /users/{user_id}/profile", "alice"),
        ("enumeration.response", "POST /login", None),
        ("enumeration.response", "POST /password-reset", None),
        ("enumeration.response", "POST /signup", None),
        ("errors.leak", "GET /users/{user_id}/notes/{note_id}", "alice"),
        ("exposure.pii", "GET /posts", "alice"),
        ("exposure.secret", "GET /users/{user_id}/profile", "alice"),
        ("jwt.after-logout", "POST /logout", "authgate-logout"),
        ("jwt.other-key", "GET /users/{user_id}/profile", "alice"),
        ("jwt.weak-secret", "POST /login", "alice"),
        ("mass-assignment.owner", "POST /posts", "alice"),
        ("mass-assignment.privilege", "PUT /users/{user_id}/profile", "alice"),
        ("mass-assignment.privilege", "POST /signup", None),
        ("rate-limit.credentials", "POST /login", "authgate-ratelimit"),
        ("secrets-in-logs.token", "", "alice"),
        ("static.error-leak", "GET /users/{user_id}/notes/{note_id}", None),
        ("static.hardcoded-jwt-secret", "", None),
        ("static.jwt-unverified", "", None),
        ("static.password-compare", "POST /login", None),
        ("static.secret-logged", "", None),
        ("static.unscoped-scan", "GET /admin/stats", None),
        ("static.unscoped-scan", "GET /profiles", None),
        ("static.update-from-request", "PUT /users/{user_id}/profile", None),
        ("static.weak-password-hash", "", None),
    }, sorted(keys)
    for f in report["findings"]:
        ev = f["evidence"]
        assert ev["request"] or ev["code"] or ev["log"], f["check"]
        assert ev["notes"], f"{f['check']} has no proof line"


def test_bola_read_is_proven_by_the_recorded_dynamodb_read(vulnerable_report: tuple[int, dict, str]) -> None:
    _, report, _ = vulnerable_report
    f = next(f for f in report["findings"] if f["check"] == "bola.read")
    assert f["victim"] == "bob"
    assert f["evidence"]["request"]["path"] == "/users/bob/profile"
    assert f["evidence"]["response"]["status"] == 200
    call = f["evidence"]["dynamodb_calls"][0]
    assert (call["operation"], call["table"], call["key"]) == ("GetItem", "profiles", {"user_id": "bob"})


def test_bola_write_is_proven_by_the_item_change(vulnerable_report: tuple[int, dict, str]) -> None:
    _, report, _ = vulnerable_report
    f = next(f for f in report["findings"] if f["check"] == "bola.write" and f["method"] == "DELETE")
    change = f["evidence"]["item_changes"][0]
    assert change == {
        "table": "posts",
        "key": {"owner_id": "bob", "post_id": "p-bob-1"},
        "change": "deleted",
        "before": change["before"],
    }
    assert change["before"]["body"] == "bob's private plans"


def test_authn_missing_cites_the_anonymous_scan(vulnerable_report: tuple[int, dict, str]) -> None:
    _, report, _ = vulnerable_report
    f = next(f for f in report["findings"] if f["check"] == "authn.missing" and f["route"] == "/profiles")
    assert f["evidence"]["request"]["identity"] == "anonymous"
    assert "Authorization" not in f["evidence"]["request"]["headers"]
    assert [c["operation"] for c in f["evidence"]["dynamodb_calls"]] == ["Scan"]
    # the anonymous write is proven by its write (a body built from the schema: a Literal reason)
    w = next(f for f in report["findings"] if f["check"] == "authn.missing" and f["method"] == "POST")
    assert w["route"] == "/posts/{owner_id}/{post_id}/reports" and w["evidence"]["request"]["identity"] == "anonymous"
    assert [c["operation"] for c in w["evidence"]["dynamodb_calls"]] == ["PutItem"]


def test_tokens_are_redacted_in_evidence(vulnerable_report: tuple[int, dict, str]) -> None:
    _, report, _ = vulnerable_report
    f = next(f for f in report["findings"] if f["check"] == "bola.read")
    assert f["evidence"]["request"]["headers"]["Authorization"].endswith("…[redacted]")


def test_fixed_example_passes_with_zero_findings(fixed_report: tuple[int, dict, str]) -> None:
    code, report, output = fixed_report
    assert report["findings"] == [], [(f["check"], f["route"]) for f in report["findings"]]
    assert code == 0, output
    assert report["verdict"] == "pass" and report["score"] == 100 and report["grade"] == "A"
