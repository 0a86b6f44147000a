"""enumeration: whether an account exists, told by the answer (the vulnerable example) or by time alone
(tests/apps/login_timing.py), and the pieces of the family that need no service."""

from __future__ import annotations

from gate.checks.enumeration import Pair, response_difference
from gate.target.probe import Exchange
from tests.checks.conftest import _one


def test_enumeration_shows_both_answers(vulnerable_report: tuple[int, dict, str]) -> None:
    _, report, _ = vulnerable_report
    f = _one(report, "enumeration.response", route="/login")
    both, pairs = f["evidence"]["notes"]
    assert both == (
        'existing account: 401 {"detail":"wrong password"}; unknown address: 404 {"detail":"user not found"}'
    )
    assert pairs.startswith("the status differs in 3 of 3 interleaved pairs")


def test_timing_difference_is_found_with_a_named_statistical_test(timing_report: tuple[int, dict, str]) -> None:
    code, report, output = timing_report
    assert code == 1 and report["complete"], output
    found = {(f["check"], f["method"], f["route"]) for f in report["findings"] if f["family"] == "enumeration"}
    assert found == {("enumeration.timing", "POST", "/login")}
    f = next(f for f in report["findings"] if f["check"] == "enumeration.timing")
    test, medians, same = f["evidence"]["notes"]
    assert test.startswith("Mann-Whitney U test, two-sided, exact: U = ")
    assert "p = " in test and "(< 0.001)" in test
    assert "for the existing account vs" in medians and "slower in" in medians
    assert same.startswith("same status (401) and body for both")


def _ex(status: int, text: str) -> Exchange:
    return Exchange(id=0, lane=0, method="POST", path="/login", identity=None, request_headers={},
                    request_body=None, status=status, text=text)  # fmt: skip


def test_response_difference_needs_consistent_answers() -> None:
    e, u = "someone@corp.test", "nobody@corp.test"
    same = [Pair(_ex(401, f'{{"detail": "no login for {e}"}}'), _ex(401, f'{{"detail": "no login for {u}"}}'))] * 3
    assert response_difference(same, e, u) is None  # only the echoed address differs
    diff = [Pair(_ex(401, '{"detail": "wrong password"}'), _ex(404, '{"detail": "user not found"}'))] * 3
    assert response_difference(diff, e, u) == "status"
    assert response_difference(diff[:2], e, u) is None  # too few pairs
    body = [Pair(_ex(401, '{"detail": "wrong password"}'), _ex(401, '{"detail": "no such user"}'))] * 3
    assert response_difference(body, e, u) == "body"
    noisy = [Pair(_ex(401, f'{{"req": "{i}abcdef0123456789"}}'), _ex(401, f'{{"req": "{i}fedcba9876543210"}}'))
             for i in range(4)]  # fmt: skip
    assert response_difference(noisy, e, u) is None  # request ids are not a difference


def test_the_enumeration_note_counts_the_pairs_that_really_differ() -> None:
    from gate.checks.enumeration import Pair, differing_pairs, response_difference
    from gate.target.probe import Exchange

    def ex(status: int, body: str) -> Exchange:
        return Exchange(id=1, lane=0, method="POST", path="/login", identity=None, request_headers={},
                        request_body=None, status=status, text=body)  # fmt: skip

    pairs = [Pair(ex(401, "bad password"), ex(404, "no such user")) for _ in range(4)]
    pairs.append(Pair(ex(404, "no such user"), ex(404, "no such user")))  # one stray answer: the mode still tells
    assert response_difference(pairs, "a@x.test", "b@x.test") == "status"
    assert differing_pairs(pairs, "status", "a@x.test", "b@x.test") == 4
