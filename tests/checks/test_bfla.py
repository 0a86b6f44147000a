"""bfla: a regular identity calls an admin-only operation; proof = 2xx with data + its DynamoDB calls."""

from __future__ import annotations

from tests.oracle_helpers import finding, of_family


def test_vulnerable_admin_stats_is_reached_by_alice_with_the_scan_as_proof(vulnerable_report) -> None:
    _, report, _ = vulnerable_report
    f = finding(report, "bfla.privileged-operation", "GET /admin/stats")
    assert f["identity"] == "alice" and f["severity"] == "high"
    ev = f["evidence"]
    assert ev["request"]["identity"] == "alice" and ev["response"]["status"] == 200
    assert [(c["operation"], c["table"]) for c in ev["dynamodb_calls"]] == [("Scan", "profiles")]
    assert "admin (role admin) got 200 for the same request" in ev["notes"]


def test_vulnerable_admin_delete_is_proven_by_the_deleted_item(vulnerable_report) -> None:
    _, report, _ = vulnerable_report
    f = finding(report, "bfla.privileged-operation", "DELETE /admin/users/{user_id}")
    assert (f["identity"], f["victim"]) == ("alice", "bob")
    ev = f["evidence"]
    assert [(c["operation"], c["key"]) for c in ev["dynamodb_calls"]] == [("DeleteItem", {"user_id": "bob"})]
    [change] = ev["item_changes"]
    assert (change["table"], change["key"], change["change"]) == ("profiles", {"user_id": "bob"}, "deleted")


def test_fixed_example_has_no_bfla(fixed_report) -> None:
    _, report, _ = fixed_report
    assert of_family(report, "bfla") == set()


def test_test_app_bfla_routes(oracle_report) -> None:
    """Path/tag admin routes and `checks.admin_paths` are probed; a route the admin cannot use is no evidence."""
    _, report, _ = oracle_report
    assert of_family(report, "bfla") == {
        ("bfla.privileged-operation", "GET /internal/accounts", "alice"),
        ("bfla.privileged-operation", "GET /reports/summary", "alice"),
    }
    f = finding(report, "bfla.privileged-operation", "GET /reports/summary")
    assert f["evidence"]["dynamodb_calls"][0]["operation"] == "Scan"


def test_a_route_the_admin_cannot_use_is_a_note_not_a_silent_skip(oracle_report) -> None:
    _, report, _ = oracle_report
    assert (
        "bfla: GET /admin/self-service: the privileged identity admin got 403, so a regular identity's answer "
        "proves nothing; not probed (is it really privileged, are the fixtures right?)"
    ) in report["notes"]
