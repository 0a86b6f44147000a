"""errors: provocations (oversize ids, wrong types) make the service leak DynamoDB/botocore internals."""

from __future__ import annotations

from types import SimpleNamespace

from gate.checks.errors import leaks
from gate.config import TableConfig
from gate.target.probe import Exchange
from tests.oracle_helpers import finding, of_family


def test_vulnerable_note_route_leaks_the_validation_exception(vulnerable_report) -> None:
    _, report, _ = vulnerable_report
    f = finding(report, "errors.leak", "GET /users/{user_id}/notes/{note_id}")
    assert f["identity"] == "alice" and f["severity"] == "medium"
    ev = f["evidence"]
    assert ev["request"]["path"].startswith("/users/alice/notes/xxxx")
    assert "ValidationException" in ev["response"]["body"]
    note = ev["notes"][0]
    assert note.startswith("oversize path parameter note_id: answered 200, body leaks botocore ClientError text")
    assert "table name 'posts'" in note
    [call] = ev["dynamodb_calls"]  # the call the provocation broke, from the recorder
    assert (call["operation"], call["table"], call["error"]) == ("GetItem", "posts", "ValidationException")
    assert "…(2100 chars)" in call["summary"]


def test_fixed_example_has_no_error_leaks(fixed_report) -> None:
    _, report, _ = fixed_report
    assert of_family(report, "errors") == set()


def test_test_app_stack_trace_is_found_and_generic_answer_is_not(oracle_report) -> None:
    _, report, _ = oracle_report
    assert of_family(report, "errors") == {("errors.leak", "GET /docs/{doc_id}", "alice")}
    f = finding(report, "errors.leak", "GET /docs/{doc_id}")
    assert f["evidence"]["response"]["status"] == 500
    assert "stack trace" in f["evidence"]["notes"][0]


def _ex(status: int, text: str, path: str = "/things/1") -> Exchange:
    return Exchange(
        id=1,
        lane=0,
        method="GET",
        path=path,
        identity="alice",
        request_headers={},
        request_body=None,
        status=status,
        text=text,
    )


def test_a_table_name_alone_is_a_leak_only_when_labelled_as_a_table() -> None:
    ctx = SimpleNamespace(tables=[TableConfig(name="posts", key={"id": "S"})])
    assert leaks(ctx, _ex(403, '{"detail": "you cannot read the posts of others"}')) == []
    assert leaks(ctx, _ex(500, '{"error": "lookup failed", "table": "posts"}')) == ["table name 'posts'"]
    assert leaks(ctx, _ex(404, '{"detail": "table posts missing"}', path="/posts/1")) == []  # an echo of the path
    found = leaks(ctx, _ex(500, "botocore.exceptions.ClientError: ... arn:aws:dynamodb:us-east-1:1:table/posts"))
    assert found == ["botocore: 'botocore'", "ARN: 'arn:aws:dynamodb:'", "table name 'posts'"]
