"""Fingerprints and the baseline: stable ids, accepted / new / fixed, expiry, and the whole workflow.

The workflow tests read the session fixture `baseline_roundtrip` (tests/conftest.py): a baseline
written by `authgate baseline`, a scan with it, and a scan of a copy with one new flawed route and
one flawed route removed.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from gate.errors import ScanError
from gate.findings import Evidence, Severity, fingerprint
from gate.verdict import baseline
from tests.factories import finding

# Pinned: a change here changes every baseline in the wild, so it must be deliberate (and versioned).
PINNED = {
    ("authn.missing", "GET", "/profiles", "no credentials", "anonymous"): "v1:1820b2275bdeac8860888755",
    ("bola.read", "GET", "/users/{user_id}/profile", "", "regular->regular"): "v1:a849fc0f35cdbb74e8bee481",
    ("bola.write", "PUT", "/users/{user_id}/profile", "", "regular->regular"): "v1:45a8c4527c3d76063e3f3102",
    ("bola.write", "DELETE", "/users/{user_id}/posts/{post_id}", "", "regular->regular"): "v1:0b9a8d4bdb1f74280af80b84",
    ("bola.list", "GET", "/posts", "", "regular"): "v1:12ee7c7c44d2edeeb20be220",
    ("bola.list", "GET", "/profiles", "", "regular"): "v1:642b6c7d2fc4a50364f0fc4f",
    ("bola.filter-scoped", "GET", "/me/posts", "", "regular"): "v1:b505f8536bea5b23cd880a56",
}
TODAY = dt.date(2026, 3, 1)


def test_fingerprint_values_are_pinned() -> None:
    for args, fp in PINNED.items():
        assert fingerprint(*args) == fp, args


def test_fingerprint_ignores_names_ports_canaries_times_and_lines() -> None:
    a = finding(identity="alice", victim="bob", file="app.py", line=42)
    b = finding(
        identity="carol",
        victim="dave",
        file="app.py",
        line=97,
        message="carol read dave's item at 10:42:07",
        evidence=Evidence(
            request={"method": "GET", "path": "/users/dave/profile", "identity": "carol", "headers": {}},
            notes=["canary 7f3a9c on 127.0.0.1:53211"],
        ),
    )
    assert a.fingerprint == b.fingerprint
    assert finding(roles="regular->privileged").fingerprint != a.fingerprint
    assert finding(route="/users/{user_id}/settings").fingerprint != a.fingerprint


def test_vulnerable_example_fingerprints_are_pinned(vulnerable_report: tuple[int, dict, str]) -> None:
    _, report, _ = vulnerable_report
    got = {
        (f["check"], f["method"], f["route"], f["parameter"], f["roles"]): f["fingerprint"] for f in report["findings"]
    }
    assert {k: got.get(k) for k in PINNED} == PINNED


def test_fingerprints_are_stable_across_runs(
    vulnerable_report: tuple[int, dict, str], baseline_roundtrip: dict
) -> None:
    # Three separate scans: other ports, another JWT secret, other tokens, another temporary folder.
    first = sorted(f["fingerprint"] for f in vulnerable_report[1]["findings"])
    second = sorted(e["fingerprint"] for e in baseline_roundtrip["baseline"]["findings"])
    third = sorted(f["fingerprint"] for f in baseline_roundtrip["same"][1]["findings"])
    assert first == second == third and first


# -- the file ----------------------------------------------------------------------------------------
def test_baseline_file_is_sorted_with_a_reason_field_per_entry(
    baseline_roundtrip: dict, vulnerable_report: tuple[int, dict, str]
) -> None:
    made = baseline_roundtrip["baseline_run"]
    assert made.returncode == 0, made.stdout + made.stderr
    assert f"{len(vulnerable_report[1]['findings'])} accepted findings" in made.stderr
    text = (baseline_roundtrip["work"] / "svc" / ".authgate-baseline.json").read_text()
    doc = json.loads(text)
    assert text == json.dumps(doc, indent=2, sort_keys=True) + "\n"  # stable, diff-friendly
    rows = doc["findings"]
    assert [(r["check"], r["route"]) for r in rows] == sorted((r["check"], r["route"]) for r in rows)
    assert all(set(r) == {"fingerprint", "check", "method", "route", "severity", "reason"} for r in rows)
    assert {(r["check"], r["method"], r["route"], r["severity"]) for r in rows} >= {
        ("bola.read", "GET", "/users/{user_id}/profile", "high"),
        ("bola.write", "PUT", "/users/{user_id}/profile", "critical"),
    }


def test_render_keeps_what_people_wrote() -> None:
    f = finding()
    prev = baseline.Baseline(
        entries={
            f.fingerprint: baseline.Entry(
                f.fingerprint, "bola.read", "GET", "/x", "high", "ticket SEC-12", "2026-06-30"
            )
        }
    )
    doc = json.loads(baseline.render([f, finding("bola.list", route="/posts")], prev))
    kept = next(r for r in doc["findings"] if r["fingerprint"] == f.fingerprint)
    assert (kept["reason"], kept["expires"], kept["route"]) == (
        "ticket SEC-12",
        "2026-06-30",
        "/users/{user_id}/profile",
    )
    assert [r["check"] for r in doc["findings"]] == ["bola.list", "bola.read"]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "not readable JSON"),
        ('{"version": 2, "findings": []}', "expected {'version': 1"),
        ('{"version": 1, "findings": [{"check": "bola.read"}]}', "findings.0: 'fingerprint'"),
        ('{"version": 1, "findings": [{"fingerprint": "v1:ab", "check": "x", "expires": "31/01/2027"}]}', "findings.0"),
    ],
)
def test_a_broken_baseline_is_one_clear_error(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / ".authgate-baseline.json"
    path.write_text(content)
    with pytest.raises(ScanError) as exc:
        baseline.load(path)
    assert problem in exc.value.message and "\n" not in exc.value.message


def test_a_missing_baseline_accepts_nothing(tmp_path: Path) -> None:
    base = baseline.load(tmp_path / "none.json")
    out, fixed = baseline.apply([finding()], base, TODAY)
    assert [f.status for f in out] == ["new"] and fixed == [] and base.path is None


# -- accepted, new, fixed, expiry ---------------------------------------------------------------------
def _base(*entries: baseline.Entry) -> baseline.Baseline:
    return baseline.Baseline(entries={e.fingerprint: e for e in entries})


def _entry(f: object, expires: str | None = None) -> baseline.Entry:
    return baseline.Entry(f.fingerprint, f.check, f.method, f.route, f.severity.label, "known", expires)  # type: ignore[attr-defined]


def test_apply_marks_accepted_new_and_fixed() -> None:
    kept, added, gone = finding(), finding("bola.list", route="/posts"), finding("bola.write", Severity.CRITICAL, "PUT")
    out, fixed = baseline.apply([kept, added], _base(_entry(kept), _entry(gone)), TODAY)
    assert [(f.check, f.status) for f in out] == [("bola.read", "accepted"), ("bola.list", "new")]
    assert [(e.check, e.method) for e in fixed] == [("bola.write", "PUT")]


@pytest.mark.parametrize(
    ("expires", "status"),
    [(None, "accepted"), ("2026-03-02", "accepted"), ("2026-03-01", "accepted"), ("2026-02-28", "new")],
)
def test_expiry_is_honoured(expires: str | None, status: str) -> None:
    f = finding()
    out, fixed = baseline.apply([f], _base(_entry(f, expires)), TODAY)
    assert out[0].status == status and fixed == []


# -- the workflow -----------------------------------------------------------------------------------------
def test_scan_with_its_own_baseline_passes_with_everything_accepted(
    baseline_roundtrip: dict, vulnerable_report: tuple[int, dict, str]
) -> None:
    code, report, output = baseline_roundtrip["same"]
    assert code == 0, output
    assert report["verdict"] == "pass" and report["findings"]
    assert {f["status"] for f in report["findings"]} == {"accepted"}
    assert report["score"] == vulnerable_report[1]["score"] < 60  # the honest grade is unchanged
    assert report["gate_score"] == 100 and report["fixed"] == []
    assert report["stats"]["accepted"] == len(report["findings"]) and report["stats"]["new"] == 0
    assert report["reasons"] == [
        f"gate score 100 >= threshold 80; no new finding at or above high ({len(report['findings'])} accepted)"
    ]


def test_a_new_flaw_fails_with_exactly_that_finding_new_and_the_removed_one_fixed(
    baseline_roundtrip: dict, vulnerable_report: tuple[int, dict, str]
) -> None:
    code, report, output = baseline_roundtrip["changed"]
    assert code == 1, output
    new = [
        (f["check"], f"{f['method']} {f['route']}", f["identity"]) for f in report["findings"] if f["status"] == "new"
    ]
    assert new == [("bola.read", "GET /users/{user_id}/settings", "alice")]
    assert report["reasons"] == [
        "gate score 75 < threshold 80",
        "new high finding bola.read GET /users/{user_id}/settings",
    ]
    assert [(e["check"], e["route"]) for e in report["fixed"]] == [("bola.filter-scoped", "/me/posts")]
    accepted = {f["fingerprint"] for f in report["findings"] if f["status"] == "accepted"}
    everything = {f["fingerprint"] for f in vulnerable_report[1]["findings"]}
    assert accepted == everything - {PINNED[("bola.filter-scoped", "GET", "/me/posts", "", "regular")]}
    assert report["baseline"].endswith(".authgate-baseline.json")
