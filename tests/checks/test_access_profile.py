"""The access profile: per operation, the DynamoDB calls of its legitimate user, and where each key came from."""

from __future__ import annotations

from gate.checks.access_profile import key_values
from gate.dynamo.calls import DynamoCall


def _entry(report: dict, operation: str) -> dict:
    [entry] = [e for e in report["access_profile"] if e["operation"] == operation]
    return entry


def test_vulnerable_profile_read_keys_on_the_path(vulnerable_report) -> None:
    """bola's probe showed the key follows the path: `request`, not the caller's identity."""
    _, report, _ = vulnerable_report
    assert _entry(report, "GET /users/{user_id}/profile") == {
        "operation": "GET /users/{user_id}/profile",
        "public": False,
        "identity": "alice",
        "status": 200,
        "calls": [
            {
                "operation": "GetItem",
                "table": "profiles",
                "key": [{"attribute": "user_id", "source": "request", "from": "identity sub, path user_id"}],
            }
        ],
    }


def test_fixed_profile_read_keys_on_the_identity(fixed_report) -> None:
    """The fixed service reads by the token's subject (also when the path names someone else, where it
    reads the caller's account and refuses): the key comes from the identity."""
    _, report, _ = fixed_report
    [call] = _entry(report, "GET /users/{user_id}/profile")["calls"]
    assert call["key"] == [{"attribute": "user_id", "source": "identity", "from": "identity sub, path user_id"}]


def test_scans_gsi_queries_and_generated_keys(vulnerable_report, fixed_report) -> None:
    _, vuln, _ = vulnerable_report
    assert _entry(vuln, "GET /me/posts")["calls"] == [
        {"operation": "Scan", "table": "posts", "key": [], "filter": True}
    ]
    query = _entry(vuln, "GET /posts")["calls"][0]
    assert (query["operation"], query["index"]) == ("Query", "by_topic")
    # the gate sends the query parameter it has a value for, so the GSI key visibly came from the request
    assert query["key"] == [{"attribute": "topic", "source": "request", "from": "query topic"}]
    _, fixed, _ = fixed_report
    owner_key = {"attribute": "owner_id", "source": "identity", "from": "identity sub"}
    account = {
        "operation": "GetItem",
        "table": "profiles",  # the fixed current_user checks the account
        "key": [{"attribute": "user_id", "source": "identity", "from": "identity sub"}],
    }
    assert _entry(fixed, "GET /me/posts")["calls"] == [
        account,
        {"operation": "Query", "table": "posts", "key": [owner_key]},
    ]
    [put] = [c for c in _entry(fixed, "POST /posts")["calls"] if c["operation"] == "PutItem"]
    assert put["key"] == [owner_key, {"attribute": "post_id", "source": "other", "from": None}]


def test_admin_operations_are_profiled_for_the_privileged_identity(fixed_report) -> None:
    _, report, _ = fixed_report
    entry = _entry(report, "DELETE /admin/users/{user_id}")
    assert (entry["identity"], entry["status"]) == ("admin", 200)
    [delete] = [c for c in entry["calls"] if c["operation"] == "DeleteItem"]
    assert delete["key"] == [{"attribute": "user_id", "source": "request", "from": "path user_id"}]


def test_key_condition_parsing() -> None:
    call = DynamoCall(
        seq=1,
        lane=0,
        probe=None,
        operation="Query",
        key_condition="#o = :o AND begins_with(#s, :p)",
        names={"#o": "owner_id", "#s": "sk"},
        values={":o": "alice", ":p": "post#"},
    )
    assert key_values(call, {}) == [("owner_id", "alice"), ("sk", "post#")]
    call.key_condition = "pk = :o AND #s BETWEEN :a AND :b"
    call.values = {":o": "bob", ":a": "1", ":b": "9"}
    assert key_values(call, {}) == [("pk", "bob"), ("sk", "1")]
