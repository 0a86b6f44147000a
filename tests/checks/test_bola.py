"""bola, as the oracle proves it: reads the response hides, GSI queries and scans without owner scoping."""

from __future__ import annotations

from tests.oracle_helpers import finding, of_family


def test_read_is_proven_by_the_recorder_even_when_the_response_hides_the_data(oracle_report) -> None:
    _, report, _ = oracle_report
    f = finding(report, "bola.read", "GET /accounts/{account_id}/exists")
    assert (f["identity"], f["victim"]) == ("alice", "bob")
    ev = f["evidence"]
    assert ev["response"]["body"] == '{"exists":true}'  # no data of bob's in the answer
    assert [(c["operation"], c["key"]) for c in ev["dynamodb_calls"]] == [("GetItem", {"account_id": "bob"})]


def test_list_through_a_gsi_without_owner_scoping(vulnerable_report) -> None:
    _, report, _ = vulnerable_report
    f = finding(report, "bola.list", "GET /posts")
    call = f["evidence"]["dynamodb_calls"][0]  # then the BatchGetItem of the authors' profiles
    assert (call["operation"], call["index"], call["count"]) == ("Query", "by_topic", 2)
    assert call["values"] == {":v0": "cats"}  # the key condition names a topic, never the owner


def test_list_through_a_scan_without_owner_filter(vulnerable_report) -> None:
    _, report, _ = vulnerable_report
    f = finding(report, "bola.list", "GET /profiles")
    assert [c["operation"] for c in f["evidence"]["dynamodb_calls"]] == ["Scan"]


def test_fixed_example_and_ok_routes_have_no_bola(fixed_report, oracle_report) -> None:
    assert of_family(fixed_report[1], "bola") == set()
    assert of_family(oracle_report[1], "bola") == {("bola.read", "GET /accounts/{account_id}/exists", "alice")}
