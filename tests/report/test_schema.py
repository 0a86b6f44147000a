"""The JSON report's schema (`authgate schema --report`): every report the tests produce validates
against it, and it is strict enough to reject a broken one."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import jsonschema
import pytest

from gate.report.json_report import SCHEMA_PATH, ReportError, build, parse, render
from tests.conftest import run_cli
from tests.factories import error_target

SCHEMA = json.loads(SCHEMA_PATH.read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())


@pytest.fixture(scope="module")
def error_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict, str]:
    tmp = tmp_path_factory.mktemp("error")
    out = tmp / "r.json"
    p = run_cli("scan", str(error_target(tmp)), "--output", str(out))
    return p.returncode, json.loads(out.read_text()), p.stderr


def test_schema_is_draft_2020_12_and_documents_every_field() -> None:
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    missing = [path for path, node in _properties(SCHEMA, "") if "description" not in node and "$ref" not in node]
    assert missing == []


def _properties(node: Any, path: str) -> Iterator[tuple[str, dict]]:
    """Every field definition (constraints under allOf/anyOf/if/then/else restate fields, not define them)."""
    if isinstance(node, dict):
        for name, sub in (node.get("properties") or {}).items():
            yield f"{path}.{name}", sub
        for key, sub in node.items():
            if key not in ("allOf", "anyOf", "oneOf", "if", "then", "else"):
                yield from _properties(sub, f"{path}/{key}")
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            yield from _properties(sub, f"{path}[{i}]")


def test_cli_prints_the_published_schema() -> None:
    p = run_cli("schema", "--report")
    assert p.returncode == 0 and json.loads(p.stdout) == SCHEMA


def _assert_valid(report: dict) -> None:
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(report)]
    assert errors == []


def test_vulnerable_report_validates(vulnerable_report: tuple[int, dict, str]) -> None:
    _assert_valid(vulnerable_report[1])


def test_fixed_report_validates(fixed_report: tuple[int, dict, str]) -> None:
    _assert_valid(fixed_report[1])


def test_error_report_validates(error_report: tuple[int, dict, str]) -> None:
    code, report, stderr = error_report
    assert code == 2, stderr
    assert (report["verdict"], report["complete"]) == ("error", False)
    assert report["reasons"] == ["checks.exclude: unknown check id or family: no-such-check"]
    _assert_valid(report)


@pytest.mark.parametrize("name", ["same", "changed"])
def test_baselined_reports_validate(baseline_roundtrip: dict, name: str) -> None:
    _assert_valid(baseline_roundtrip[name][1])


def test_a_report_reads_back_into_the_same_report(baseline_roundtrip: dict) -> None:
    text = (baseline_roundtrip["work"] / "changed.json").read_text()
    assert render(parse(json.loads(text))) == text


def test_reading_back_refuses_a_forged_fingerprint(vulnerable_report: tuple[int, dict, str]) -> None:
    doc = copy.deepcopy(vulnerable_report[1])
    doc["findings"][0]["route"] = "/somewhere/else"
    with pytest.raises(ReportError, match="fingerprint does not match"):
        parse(doc)
    with pytest.raises(ReportError, match="report_version"):
        parse({"report_version": 7})


def _f(r: dict) -> dict:
    return r["findings"][0]


BROKEN: dict[str, Callable[[dict], None]] = {
    "missing score": lambda r: r.pop("score"),
    "score above 100": lambda r: r.update(score=101),
    "grade that is not the score's": lambda r: r.update(grade="A"),
    "unknown verdict": lambda r: r.update(verdict="maybe"),
    "error verdict on a complete scan": lambda r: r.update(verdict="error"),
    "pass on an incomplete scan": lambda r: r.update(complete=False),
    "no reasons": lambda r: r.update(reasons=[]),
    "unknown top-level key": lambda r: r.update(extra=1),
    "fingerprint of another format": lambda r: _f(r).update(fingerprint="abc"),
    "unknown status": lambda r: _f(r).update(status="ignored"),
    "severity out of the scale": lambda r: _f(r).update(severity="urgent"),
    "CWE without its prefix": lambda r: _f(r).update(cwe=["639"]),
    "OWASP id of another edition": lambda r: _f(r).update(owasp=["API1:2019"]),
    "line without a file": lambda r: _f(r).update(file=None, line=7),
    "line 0": lambda r: _f(r).update(file="app.py", line=0),
    "finding without evidence": lambda r: _f(r).update(
        evidence={
            "request": None,
            "response": None,
            "dynamodb_calls": [],
            "item_changes": [],
            "code": None,
            "log": [],
            "notes": ["trust me"],
        }
    ),
    "item change of an unknown kind": lambda r: _f(r)["evidence"]["item_changes"].append(
        {"table": "t", "key": {}, "change": "teleported"}
    ),
    "response status out of range": lambda r: _f(r)["evidence"].update(response={"status": 999, "body": ""}),
    "lower-case method": lambda r: _f(r).update(method="get"),
    "finding field renamed": lambda r: _f(r).update(rule=_f(r).pop("check")),
}


@pytest.mark.parametrize("breakage", sorted(BROKEN))
def test_schema_rejects_a_broken_report(vulnerable_report: tuple[int, dict, str], breakage: str) -> None:
    report = copy.deepcopy(vulnerable_report[1])
    BROKEN[breakage](report)
    assert not VALIDATOR.is_valid(report), breakage


def test_build_is_deterministic(baseline_roundtrip: dict) -> None:
    doc = json.loads((baseline_roundtrip["work"] / "changed.json").read_text())
    assert build(parse(doc)) == doc
