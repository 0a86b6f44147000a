"""authn: the header variants (empty bearer, lower-case scheme, another scheme, token in the query)
against tests/apps/jwt_lab.py (one flaw per route)."""

from __future__ import annotations

from tests.checks.conftest import _found


def test_malformed_headers_are_found_on_the_route_that_accepts_them(lab_report: tuple[int, dict, str]) -> None:
    _, report, _ = lab_report
    assert _found(report, "authn") == {
        ("authn.empty-bearer", "/hdr/empty-bearer"),
        ("authn.lowercase-scheme", "/hdr/lowercase"),
        ("authn.wrong-scheme", "/hdr/scheme"),
        ("authn.token-in-query", "/hdr/query"),
    }
    assert not any(f["route"] == "/lab/strict" for f in report["findings"])


def test_token_in_query_is_the_real_token_redacted(lab_report: tuple[int, dict, str]) -> None:
    _, report, _ = lab_report
    f = next(f for f in report["findings"] if f["check"] == "authn.token-in-query")
    assert f["parameter"] == "access_token" and f["identity"] == "alice"
    assert f["evidence"]["request"]["path"].startswith("/hdr/query?access_token=")
    assert "…[redacted]" in f["evidence"]["request"]["path"]
