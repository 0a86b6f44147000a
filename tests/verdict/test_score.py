"""Score, grade and verdict: the formula, its properties (hypothesis), and the reasons it gives."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from gate.findings import Severity
from gate.report.json_report import build, parse
from gate.verdict.scoring import WEIGHTS, decide, grade, score
from tests.factories import finding, result

severities = st.lists(st.sampled_from(list(Severity)), max_size=30)


def test_worked_example_from_the_readme() -> None:
    # 100 × 0.75 × 0.90 × 0.90 = 60.75 -> 60 (D); the high one accepted: 100 × 0.9 × 0.9 = 81 -> passes 80.
    assert score([Severity.HIGH, Severity.MEDIUM, Severity.MEDIUM]) == 60
    assert grade(60) == "D"
    fs = [
        finding("bola.read", Severity.HIGH, status="accepted"),
        finding("bola.filter-scoped", Severity.MEDIUM, route="/me/posts"),
        finding("bola.filter-scoped", Severity.MEDIUM, route="/me/notes"),
    ]
    v = decide(fs, threshold=80, fail_on=Severity.HIGH)
    assert (v.score, v.gate_score, v.grade, v.verdict) == (60, 81, "D", "pass")


def test_weights_and_single_findings() -> None:
    assert WEIGHTS == {
        Severity.CRITICAL: 40,
        Severity.HIGH: 25,
        Severity.MEDIUM: 10,
        Severity.LOW: 4,
        Severity.INFO: 0,
    }
    assert [score([s]) for s in Severity] == [100, 96, 90, 75, 60]
    assert score([]) == 100


def test_grade_bands() -> None:
    assert [grade(v) for v in (100, 90, 89, 80, 79, 70, 69, 60, 59, 0)] == list("AABBCCDDFF")


@given(severities, st.sampled_from(list(Severity)))
def test_adding_a_finding_never_raises_the_score(sevs: list[Severity], extra: Severity) -> None:
    assert score([*sevs, extra]) <= score(sevs)


@given(severities, st.randoms(use_true_random=False))
def test_order_of_findings_never_matters(sevs: list[Severity], rnd: random.Random) -> None:
    shuffled = list(sevs)
    rnd.shuffle(shuffled)
    assert score(shuffled) == score(sevs) == score(sorted(sevs))


@given(severities)
def test_score_is_between_0_and_100(sevs: list[Severity]) -> None:
    assert 0 <= score(sevs) <= 100


statuses = st.lists(st.tuples(st.sampled_from(list(Severity)), st.booleans()), max_size=12)


@given(statuses, st.integers(0, 100), st.sampled_from(list(Severity)))
def test_verdict_follows_gate_score_and_new_findings_only(
    rows: list[tuple[Severity, bool]], threshold: int, fail_on: Severity
) -> None:
    fs = [
        finding("bola.read", sev, route=f"/r{i}", status="accepted" if acc else "new")
        for i, (sev, acc) in enumerate(rows)
    ]
    v = decide(fs, threshold, fail_on)
    new = [f for f in fs if f.status == "new"]
    assert v.score == score(f.severity for f in fs)
    assert v.gate_score == score(f.severity for f in new) >= v.score
    blocking = any(f.severity >= fail_on for f in new)
    assert v.verdict == ("fail" if v.gate_score < threshold or blocking else "pass")
    assert v.exit_code == (1 if v.verdict == "fail" else 0)
    if not any(acc for _, acc in rows):
        assert v.gate_score == v.score  # without a baseline the two figures are equal


def test_reasons_name_the_gate_score_and_each_blocking_finding() -> None:
    fs = [
        finding("bola.read", Severity.HIGH),
        finding("bola.filter-scoped", Severity.MEDIUM, route="/me/posts"),
        finding("bola.list", Severity.HIGH, route="/posts", status="accepted"),
    ]
    v = decide(fs, threshold=80, fail_on=Severity.HIGH)
    assert v.verdict == "fail"
    assert v.reasons == ["gate score 67 < threshold 80", "new high finding bola.read GET /users/{user_id}/profile"]
    assert v.blocking == (fs[0].fingerprint,)  # what the reporters show as failing the gate, never recomputed


def test_the_blocking_findings_survive_the_json_report() -> None:
    fs = [
        finding("bola.list", Severity.HIGH, route="/posts"),
        finding("bola.write", Severity.CRITICAL, method="PUT"),
        finding("bola.filter-scoped", Severity.MEDIUM, route="/me/posts"),
    ]
    r = result(fs, fail_on=Severity.HIGH)
    assert [f.check for f in r.blocking] == ["bola.write", "bola.list"]  # most severe first
    assert parse(build(r)).verdict == r.verdict


def test_accepted_findings_do_not_fail_the_gate_but_still_grade() -> None:
    fs = [finding("bola.write", Severity.CRITICAL, method="PUT", status="accepted")]
    v = decide(fs, threshold=80, fail_on=Severity.HIGH)
    assert (v.verdict, v.score, v.gate_score, v.grade) == ("pass", 60, 100, "D")
    assert v.reasons == ["gate score 100 >= threshold 80; no new finding at or above high (1 accepted)"]


def test_an_incomplete_scan_is_an_error_whatever_the_findings() -> None:
    v = decide([], threshold=0, fail_on=Severity.CRITICAL, complete=False, errors=["check family bola failed: X"])
    assert (v.verdict, v.exit_code, v.reasons) == ("error", 2, ["check family bola failed: X"])
