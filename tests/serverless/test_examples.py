"""The SAM examples scanned end to end: every planted flaw found with its proof, the fixed twin clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, scan_report


@pytest.fixture(scope="module")
def vulnerable(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict]:
    p, rep = scan_report(EXAMPLES / "notes-sam", tmp_path_factory.mktemp("sam"))
    return p.returncode, rep


def find(rep: dict, check: str, route: str = "") -> dict:
    hits = [f for f in rep["findings"] if f["check"] == check and (not route or f.get("route") == route)]
    assert hits, f"no {check} {route}: {[(f['check'], f.get('route')) for f in rep['findings']]}"
    return hits[0]


def line_of(f: dict) -> str:
    return (EXAMPLES / "notes-sam" / f["file"]).read_text().splitlines()[f["line"] - 1].strip()


def test_bola_read_is_proven_by_the_functions_getitem_on_the_other_owners_note(vulnerable: tuple[int, dict]) -> None:
    code, rep = vulnerable
    assert code == 1
    f = find(rep, "bola.read", "/notes/{note_id}")
    calls = f["evidence"]["dynamodb_calls"]
    assert any(
        c["operation"] == "GetItem" and c["table"] == "notes-test" and c["key"]["note_id"] == "n-bob-1" for c in calls
    )
    assert f["file"] == "src/notes.py" and line_of(f).startswith("def get_note(")


def test_the_route_without_an_authorizer_leaks_every_owners_notes(vulnerable: tuple[int, dict]) -> None:
    f = find(vulnerable[1], "authn.missing", "/recent")
    assert any(c["operation"] == "Scan" for c in f["evidence"]["dynamodb_calls"])


def test_template_and_handler_flaws_point_at_their_lines(vulnerable: tuple[int, dict]) -> None:
    rep = vulnerable[1]
    assert line_of(find(rep, "static.template-secret-parameter")) == "Default: dev-share-secret"
    assert line_of(find(rep, "static.template-wildcard-policy")) == "- Effect: Allow"
    assert line_of(find(rep, "static.lambda-event-logged")).startswith('LOG.info("get_note %s", json.dumps(event))')
    assert "verify_signature" in line_of(find(rep, "static.jwt-unverified"))  # /recent has no authorizer
    tok = find(rep, "secrets-in-logs.token")
    assert line_of(tok).startswith("LOG.info(")  # the logging of the event, where the token went


def test_the_mangum_functions_routes_are_reached(vulnerable: tuple[int, dict]) -> None:
    ops = {e["operation"]: e for e in vulnerable[1]["coverage"]}
    assert {"GET /profiles/me", "PUT /profiles/me"} <= set(ops)
    assert ops["GET /profiles/me"]["reached"] and ops["PUT /profiles/me"]["reached"], ops


def test_the_fixed_twin_passes_with_zero_findings_and_a_note_for_the_verified_decode(tmp_path: Path) -> None:
    p, rep = scan_report(EXAMPLES / "notes-sam-fixed", tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    assert rep["findings"] == [] and len(rep["coverage"]) == 6 and all(e["reached"] for e in rep["coverage"])
    assert any("jwt.decode" in n and "authorizer" in n for n in rep["notes"])
