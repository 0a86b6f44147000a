"""The oracle's test service: every NOT OK route is found by its check, no OK route is reported."""

from __future__ import annotations

from tests.oracle_helpers import keys


def test_exact_findings_of_the_oracle_test_service(oracle_report) -> None:
    code, report, output = oracle_report
    assert code == 1 and report["complete"] is True, output
    assert keys(report) == {
        ("bola.read", "GET /accounts/{account_id}/exists", "alice"),
        ("bfla.privileged-operation", "GET /internal/accounts", "alice"),
        ("bfla.privileged-operation", "GET /reports/summary", "alice"),
        ("mass-assignment.privilege", "PATCH /accounts/{account_id}", "alice"),
        ("mass-assignment.owner", "POST /docs", "alice"),
        ("exposure.secret", "GET /accounts/{account_id}", "alice"),
        ("exposure.pii", "GET /me/contacts", "alice"),
        ("errors.leak", "GET /docs/{doc_id}", "alice"),
    }


def test_every_finding_cites_its_proof(oracle_report) -> None:
    _, report, _ = oracle_report
    for f in report["findings"]:
        ev = f["evidence"]
        assert ev["request"] and ev["notes"], f["check"]
        assert ev["dynamodb_calls"] or ev["item_changes"], f"{f['check']} cites no DynamoDB call or item change"
