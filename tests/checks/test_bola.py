"""bola, as the oracle proves it: reads the response hides, GSI queries and scans without owner scoping."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.conftest import APPS, scan_report
from tests.oracle_helpers import finding, keys, of_family


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


# tests/apps/shared_keys.py: three tables with the same key names (user_id, item_id), notes' fixtures first
SHARED = ("notes", "tasks", "files")
SHARED_KEYS = {
    "version": 1,
    "service": {
        "command": "uvicorn shared_keys:app --host 127.0.0.1 --port {port} --log-level warning",
        "workdir": str(APPS),
    },
    "dynamodb": {"tables": [{"name": t, "key": {"user_id": "S", "item_id": "S"}} for t in SHARED]},
    "auth": {"jwt": {"secret_env": "JWT_SECRET"}},
    "identities": {"alice": {"sub": "alice"}, "bob": {"sub": "bob"}},
    "fixtures": [
        {"table": t, "owner": who, "item": {"user_id": who, "item_id": f"{t[0]}-{who}-1", "title": f"{who}'s {t}"}}
        for t in SHARED
        for who in ("alice", "bob")
    ],
}


def test_paths_are_filled_from_the_fixtures_of_the_table_the_route_names(tmp_path: Path) -> None:
    """A path took each parameter from the first fixture with that attribute, whatever its table: /tasks
    was probed with a note's item_id, found nothing, and its missing owner check went unreported."""
    (tmp_path / ".authgate.yml").write_text(yaml.safe_dump(SHARED_KEYS, sort_keys=False))
    p, report = scan_report(tmp_path, tmp_path)
    assert of_family(report, "bola") == {
        (check, f"{method} /{t}/{{user_id}}/{{item_id}}", "alice")
        for t in ("notes", "tasks")
        for check, method in (("bola.read", "GET"), ("bola.write", "PUT"))
    }, p.stdout + p.stderr
    assert not [k for k in keys(report) if k[1].split(" ")[1].startswith("/files/")]
    write = finding(report, "bola.write", "PUT /tasks/{user_id}/{item_id}")
    assert [(c["table"], c["key"], c["change"]) for c in write["evidence"]["item_changes"]] == [
        ("tasks", {"user_id": "bob", "item_id": "t-bob-1"}, "changed")
    ]
