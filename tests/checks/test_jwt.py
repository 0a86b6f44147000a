"""The jwt family: each forgery against tests/apps/jwt_lab.py (one flaw per route), and on the vulnerable example.

One scan of the lab (RS256, tokens minted by the gate) is shared with tests/checks/test_authn.py.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.checks.conftest import LAB, _found, _one
from tests.conftest import scan_report


def test_each_forgery_is_found_on_the_route_that_accepts_it(lab_report: tuple[int, dict, str]) -> None:
    code, report, output = lab_report
    assert code == 1 and report["complete"], output
    assert _found(report, "jwt") == {
        ("jwt.other-key", "/lab/unverified"),
        ("jwt.alg-none", "/lab/none"),
        ("jwt.null-signature", "/lab/nullsig"),
        ("jwt.empty-key", "/lab/emptykey"),
        ("jwt.alg-confusion", "/lab/confusion"),
        ("jwt.sub-swap", "/lab/sigcache"),
        ("jwt.kid-injection", "/lab/kid"),
        ("jwt.jwk-injection", "/lab/jwk"),
        ("jwt.jku-injection", "/lab/jku"),
        ("jwt.expired", "/lab/expired"),
        ("jwt.nbf-ignored", "/lab/nbf"),
        ("jwt.no-exp", "/lab/noexp"),
    }


def test_a_forgery_is_proven_by_the_dynamodb_read_it_caused(lab_report: tuple[int, dict, str]) -> None:
    _, report, _ = lab_report
    by = {f["check"]: f for f in report["findings"]}
    none = by["jwt.alg-none"]
    assert none["identity"] == "alice" and none["evidence"]["response"]["status"] == 200
    call = none["evidence"]["dynamodb_calls"][0]
    assert (call["operation"], call["table"], call["values"]) == ("Query", "items", {":v0": "alice"})
    header = none["evidence"]["request"]["headers"]["Authorization"]
    assert header.startswith("Bearer eyJ") and "…[redacted]" not in header  # a forgery is shown in full
    assert any("control: no credentials and a garbage token were refused" in n for n in none["evidence"]["notes"])


def test_sub_swap_shows_the_service_acting_as_the_victim(lab_report: tuple[int, dict, str]) -> None:
    _, report, _ = lab_report
    f = next(f for f in report["findings"] if f["check"] == "jwt.sub-swap")
    assert (f["identity"], f["victim"]) == ("alice", "bob")
    assert f["evidence"]["dynamodb_calls"][0]["values"] == {":v0": "bob"}
    assert "bob's lab note" in f["evidence"]["response"]["body"]


def test_jku_finding_records_that_the_service_fetched_the_gates_key_set(lab_report: tuple[int, dict, str]) -> None:
    _, report, _ = lab_report
    f = next(f for f in report["findings"] if f["check"] == "jwt.jku-injection")
    fetched = "the service fetched the gate's key set: GET /.well-known/jwks.json"
    assert any(n.startswith(fetched) for n in f["evidence"]["notes"])


def test_signature_not_verified_lists_what_it_covers(lab_report: tuple[int, dict, str]) -> None:
    _, report, _ = lab_report
    f = next(f for f in report["findings"] if f["check"] == "jwt.other-key")
    covered = f["evidence"]["notes"][-1]
    for check in ("jwt.alg-none", "jwt.null-signature", "jwt.sub-swap", "jwt.expired", "jwt.no-exp"):
        assert check in covered


def test_expiry_forgeries_are_signed_with_the_gates_key_after_a_control(lab_report: tuple[int, dict, str]) -> None:
    _, report, _ = lab_report
    f = next(f for f in report["findings"] if f["check"] == "jwt.expired")
    assert any("signed with the key the gate handed the service" in n for n in f["evidence"]["notes"])


def test_lab_config_round_trips(tmp_path: Path) -> None:
    from gate.config import parse_config

    assert parse_config(LAB).auth.jwt is not None


def test_excluding_other_key_still_reports_each_forgery_an_unverifying_route_accepts(tmp_path: Path) -> None:
    """jwt.other-key stands for "no signature check at all"; once a team excludes it, the forgeries
    that route accepts are reported one by one instead of vanishing with it."""
    import json

    spec = {"openapi": "3.1.0", "info": {"title": "lab", "version": "1"}, "paths": {}}
    for route in ("/lab/strict", "/lab/unverified"):
        spec["paths"][route] = {"get": {"responses": {"200": {"description": "ok"}}}}
    (tmp_path / "only-unverified.json").write_text(json.dumps(spec))
    cfg = {**LAB, "openapi": "only-unverified.json", "checks": {"exclude": ["jwt.other-key"]}}
    (tmp_path / ".authgate.yml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    p, report = scan_report(tmp_path, tmp_path)
    found = {check for check, route in _found(report, "jwt") if route == "/lab/unverified"}
    assert {"jwt.alg-none", "jwt.null-signature", "jwt.expired", "jwt.no-exp"} <= found, p.stdout + p.stderr
    assert "jwt.other-key" not in found


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
