"""mass-assignment: extra body fields land in the caller's OWN item; proof = the snapshot diff."""

from __future__ import annotations

from tests.oracle_helpers import finding, of_family


def test_vulnerable_profile_put_lets_role_land_in_alices_own_item(vulnerable_report) -> None:
    _, report, _ = vulnerable_report
    f = finding(report, "mass-assignment.privilege", "PUT /users/{user_id}/profile")
    assert f["identity"] == "alice" and f["victim"] is None
    ev = f["evidence"]
    assert ev["request"]["path"] == "/users/alice/profile"  # its own item: not bola
    [change] = ev["item_changes"]
    assert (change["table"], change["key"], change["change"]) == ("profiles", {"user_id": "alice"}, "changed")
    assert change["before"]["role"] is None and change["after"]["role"] == "admin"
    assert change["after"]["is_admin"] is True and "role" in change["attributes"]


def test_vulnerable_post_creation_takes_the_owner_from_the_body(vulnerable_report) -> None:
    _, report, _ = vulnerable_report
    f = finding(report, "mass-assignment.owner", "POST /posts")
    assert (f["identity"], f["victim"]) == ("alice", "bob")
    [change] = f["evidence"]["item_changes"]
    assert change["table"] == "posts" and change["change"] == "created"
    assert change["key"]["owner_id"] == "bob" and change["after"]["owner_id"] == "bob"


def test_probes_leave_the_seed_untouched(vulnerable_report) -> None:
    """Every probe runs in a snapshot: the bola.write finding still sees bob's seeded post afterwards."""
    _, report, _ = vulnerable_report
    f = finding(report, "bola.write", "DELETE /users/{user_id}/posts/{post_id}")
    assert f["evidence"]["item_changes"][0]["before"]["body"] == "bob's private plans"


def test_fixed_example_has_no_mass_assignment(fixed_report) -> None:
    _, report, _ = fixed_report
    assert of_family(report, "mass-assignment") == set()


def test_test_app_mass_assignment_routes(oracle_report) -> None:
    """NOT OK: merged body, body spread over the owner. OK: allow-list in code, pydantic dropping extras."""
    _, report, _ = oracle_report
    assert of_family(report, "mass-assignment") == {
        ("mass-assignment.privilege", "PATCH /accounts/{account_id}", "alice"),
        ("mass-assignment.owner", "POST /docs", "alice"),
    }
    [change] = finding(report, "mass-assignment.owner", "POST /docs")["evidence"]["item_changes"]
    assert change["key"]["owner"] == "bob"


def test_account_records_are_told_from_other_items() -> None:
    from types import SimpleNamespace

    from gate.auth.identities import Identity
    from gate.checks.mass_assignment import _accounts, _key_id
    from gate.config import TableConfig
    from gate.dynamo.fixtures import OwnedItem

    alice = Identity(name="alice", sub="alice", role=None)
    tables = [
        TableConfig(name="profiles", key={"user_id": "S"}),
        TableConfig(name="single", key={"pk": "S", "sk": "S"}),
        TableConfig(name="posts", key={"owner_id": "S", "post_id": "S"}),
    ]
    owned = [
        OwnedItem("profiles", "alice", {"user_id": "alice"}, {"user_id": "alice"}),
        OwnedItem("single", "alice", {"pk": "USER#alice", "sk": "PROFILE"}, {"pk": "USER#alice", "sk": "PROFILE"}),
        OwnedItem("single", "alice", {"pk": "USER#alice", "sk": "ORDER#1"}, {"pk": "USER#alice", "sk": "ORDER#1"}),
        OwnedItem("posts", "alice", {"owner_id": "alice", "post_id": "p1"}, {"owner_id": "alice", "post_id": "p1"}),
    ]
    ctx = SimpleNamespace(cfg=SimpleNamespace(auth=SimpleNamespace(users=None)), tables=tables, owned=owned,
                          identities={"alice": alice})  # fmt: skip
    tables, records = _accounts(ctx, {"role", "is_admin"})
    assert tables == {"profiles"}  # keyed by the identity: every item is an account
    assert records == {("single", _key_id({"pk": "USER#alice", "sk": "PROFILE"}))}  # not the order next to it
