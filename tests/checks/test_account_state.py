"""account-state on the vulnerable example: half-written accounts get in, disabled ones do not, and a token
outlives the gate's own edit of its account."""

from __future__ import annotations

from tests.checks.conftest import _one


def test_half_written_accounts_get_in_and_disabled_ones_do_not(vulnerable_report: tuple[int, dict, str]) -> None:
    _, report, _ = vulnerable_report
    f = _one(report, "account-state.missing-attribute", parameter="enabled")
    state, login, used = f["evidence"]["notes"]
    assert state == "item profiles {'user_id': 'authgate-no-enabled'}: no attribute enabled"
    assert login == "POST /login as authgate-no-enabled answered 200 with a token"
    assert used.startswith("with it: GET /users/authgate-no-enabled/profile answered 200; GetItem profiles")
    assert not [x for x in report["findings"] if x["check"] == "account-state.disabled"]  # enabled: false is refused


def test_token_after_disable_shows_the_gates_edit(vulnerable_report: tuple[int, dict, str]) -> None:
    _, report, _ = vulnerable_report
    f = _one(report, "account-state.token-after-disable")
    assert f["evidence"]["item_changes"] == [
        {
            "table": "profiles",
            "key": {"user_id": "authgate-control"},
            "change": "changed",
            "attributes": ["enabled"],
            "before": {"enabled": True},
            "after": {"enabled": False},
        }
    ]
    assert f["evidence"]["response"]["status"] == 200
