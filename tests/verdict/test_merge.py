"""`authgate merge`: shards of one scan combine into the verdict of the whole scan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gate.findings import Severity
from gate.verdict.merge import MergeError, merge
from tests.conftest import EXAMPLES, run_cli, scan_report
from tests.factories import finding, result


def test_two_shards_merged_equal_the_full_scan(vulnerable_report: tuple[int, dict, str], tmp_path: Path) -> None:
    parts = []
    for i in (1, 2):
        (tmp_path / f"s{i}").mkdir()
        p, rep = scan_report(EXAMPLES / "profiles-fastapi", tmp_path / f"s{i}", "--shard", f"{i}/2")
        assert rep["shard"] == f"{i}/2", p.stderr
        parts.append(tmp_path / f"s{i}" / "report-profiles-fastapi.json")
    sizes = [json.loads(p.read_text())["target"]["operations"] for p in parts]
    assert all(sizes) and sum(sizes) == vulnerable_report[1]["target"]["operations"]  # each op in one shard
    out = tmp_path / "merged.json"
    m = run_cli("merge", *map(str, parts), "--output", str(out))
    merged = json.loads(out.read_text())
    full = vulnerable_report[1]
    assert sorted(f["fingerprint"] for f in merged["findings"]) == sorted(f["fingerprint"] for f in full["findings"])
    assert (merged["score"], merged["verdict"], m.returncode) == (full["score"], "fail", 1)
    assert merged["rules"] == full["rules"] and merged["rules"]  # SARIF of the merged report lists every rule


def test_source_findings_of_every_shard_are_counted_once() -> None:
    static = finding("static.jwt-unverified", Severity.HIGH, method="", route="", identity=None, victim=None)
    a = result([static, finding("bola.read")], shard="1/2")
    b = result([static, finding("bola.write", Severity.CRITICAL, "PUT")], shard="2/2")
    merged = merge([a, b])
    assert sorted(f.check for f in merged.findings) == ["bola.read", "bola.write", "static.jwt-unverified"]
    assert merged.verdict.score == 100 * 60 * 75 * 75 // 1000000  # critical, high, high


def test_an_incomplete_shard_makes_the_merged_verdict_an_error() -> None:
    ok = result([], shard="1/2")
    broken = result([], complete=False, errors=["the service did not start"], shard="2/2")
    merged = merge([ok, broken])
    assert merged.verdict.verdict == "error" and merged.verdict.reasons == ["the service did not start"]


def test_reports_of_different_gates_are_refused() -> None:
    with pytest.raises(MergeError, match="reports disagree"):
        merge([result([], threshold=80), result([], threshold=90)])


def test_a_report_that_is_not_an_authgate_report_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"findings": "nope"}')
    p = run_cli("merge", str(bad), "--output", str(tmp_path / "m.json"))
    assert p.returncode == 2 and "not a valid authgate report" in p.stderr and "Traceback" not in p.stderr


@pytest.mark.parametrize(
    ("shards", "message"),
    [
        (["1/3", "2/3"], r"shard 3/3 missing: every shard of the split is needed"),
        (["1/2", "1/2", "2/2"], r"shard 1/2 given more than once"),
        (["1/2", "2/3"], r"the shards come from different splits: 1/2, 2/3"),
        (["1/2", None], r"a report without --shard cannot be merged with shard reports"),
        ([None, None], r"these reports are not shards"),
    ],
)
def test_only_a_whole_split_merges(shards: list[str | None], message: str) -> None:
    with pytest.raises(MergeError, match=message):
        merge([result([], shard=s) for s in shards])


def test_one_report_alone_merges_as_itself() -> None:
    assert merge([result([finding("bola.read")])]).verdict.verdict == "fail"
