"""The jwt family and the authn header variants, against tests/apps/jwt_lab.py (one flaw per route).

One scan of the lab (RS256, tokens minted by the gate) is shared by the tests of this module.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import APPS, scan_report

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


@pytest.fixture(scope="module")
def lab_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict, str]:
    root = tmp_path_factory.mktemp("jwt-lab")
    (root / ".authgate.yml").write_text(yaml.safe_dump(LAB, sort_keys=False))
    p, rep = scan_report(root, root)
    return p.returncode, rep, p.stdout + p.stderr


def _found(report: dict, family: str) -> set[tuple[str, str]]:
    return {(f["check"], f["route"]) for f in report["findings"] if f["family"] == family}


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


def test_malformed_headers_are_found_on_the_route_that_accepts_them(lab_report: tuple[int, dict, str]) -> None:
    _, report, _ = lab_report
    assert _found(report, "authn") == {
        ("authn.empty-bearer", "/hdr/empty-bearer"),
        ("authn.lowercase-scheme", "/hdr/lowercase"),
        ("authn.wrong-scheme", "/hdr/scheme"),
        ("authn.token-in-query", "/hdr/query"),
    }
    assert not any(f["route"] == "/lab/strict" for f in report["findings"])


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


def test_token_in_query_is_the_real_token_redacted(lab_report: tuple[int, dict, str]) -> None:
    _, report, _ = lab_report
    f = next(f for f in report["findings"] if f["check"] == "authn.token-in-query")
    assert f["parameter"] == "access_token" and f["identity"] == "alice"
    assert f["evidence"]["request"]["path"].startswith("/hdr/query?access_token=")
    assert "…[redacted]" in f["evidence"]["request"]["path"]


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
