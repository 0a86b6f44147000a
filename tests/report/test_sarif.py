"""SARIF 2.1.0: validated against the SARIF 2.1.0 JSON Schema (the copy npm's
`@microsoft/sarif-multitool-linux` ships) and with the SARIF multitool's GitHub ingestion rules
(`validate --rule-kind "Gh;Sarif"`), the way code scanning would take it."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import jsonschema
import pytest

from gate import checks
from gate.findings import Severity
from gate.report import sarif
from gate.report.json_report import parse
from gate.runner import registered_rules
from tests.conftest import ROOT, run_cli
from tests.factories import error_target, finding, hostile_result, result

TOOLS = ROOT / "node_modules"
SCHEMA_FILE = TOOLS / "@microsoft/sarif-multitool-linux/sarif-2.1.0.json"
MULTITOOL = TOOLS / ".bin/sarif-multitool"


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.Draft202012Validator:
    if not SCHEMA_FILE.exists() or not MULTITOOL.exists():
        pytest.fail("the SARIF schema and multitool come from npm: run scripts/install-test-tools (make test does)")
    schema = json.loads(SCHEMA_FILE.read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    return jsonschema.Draft202012Validator(schema)


def multitool_errors(path: Path, tmp_path: Path) -> list[str]:
    """Error-level results of `sarif-multitool validate` (it exits 0 even when it finds errors)."""
    out = tmp_path / f"{path.stem}.validation.sarif"
    # The npm wrapper runs the tool through a shell with the arguments joined unquoted: quote them,
    # or `Gh;Sarif` ends the command at the semicolon and only the GitHub rules run.
    args = ["validate", str(path), "-o", str(out), "--rule-kind", "Gh;Sarif", "--log", "ForceOverwrite"]
    p = subprocess.run([str(MULTITOOL), *map(shlex.quote, args)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and out.exists(), p.stdout + p.stderr
    results = json.loads(out.read_text())["runs"][0].get("results", [])
    return [f"{r['ruleId']}: {r['message']}" for r in results if r.get("level", "warning") == "error"]


def check_sarif(doc: dict, tmp_path: Path, validator: jsonschema.Draft202012Validator, name: str) -> None:
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]
    assert errors == []
    path = tmp_path / f"{name}.sarif"
    path.write_text(json.dumps(doc))
    assert multitool_errors(path, tmp_path) == []


def test_vulnerable_sarif_is_valid(
    vulnerable_report: tuple[int, dict, str], tmp_path: Path, sarif_validator: jsonschema.Draft202012Validator
) -> None:
    doc = sarif.build(parse(vulnerable_report[1]))
    check_sarif(doc, tmp_path, sarif_validator, "vulnerable")
    run = doc["runs"][0]
    assert doc["version"] == "2.1.0" and run["tool"]["driver"]["name"] == "authgate"
    findings = vulnerable_report[1]["findings"]
    assert [(r["ruleId"], r["partialFingerprints"][sarif.FINGERPRINT_KEY]) for r in run["results"]] == [
        (f["check"], f["fingerprint"]) for f in findings
    ]
    rules = run["tool"]["driver"]["rules"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in run["results"])
    assert all("suppressions" not in r for r in run["results"])
    # From the report alone: the rules are those the scanning build registered, not only the ones found.
    assert [r["id"] for r in rules] == checks.all_ids()


def test_baselined_sarif_from_the_cli_is_valid_with_suppressions(
    baseline_roundtrip: dict,
    tmp_path: Path,
    sarif_validator: jsonschema.Draft202012Validator,
    vulnerable_report: tuple[int, dict, str],
) -> None:
    doc = json.loads((baseline_roundtrip["work"] / "changed.sarif").read_text())  # `scan --sarif`
    check_sarif(doc, tmp_path, sarif_validator, "changed")
    results = doc["runs"][0]["results"]
    new = [r for r in results if "suppressions" not in r]
    assert [r["ruleId"] for r in new] == ["bola.read"] and "/settings" in new[0]["locations"][0]["logicalLocations"][0][
        "name"
    ]
    accepted = [r for r in results if "suppressions" in r]
    assert len(accepted) == len(vulnerable_report[1]["findings"]) - 1  # all but the fixed one
    assert all(
        r["suppressions"]
        == [
            {"kind": "external", "status": "accepted", "justification": accepted[0]["suppressions"][0]["justification"]}
        ]
        for r in accepted
    )
    # Scanned from the repository root as `changed`: locations are relative to it, at the handler line.
    loc = new[0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "changed/app.py", "uriBaseId": "%SRCROOT%"}
    app_lines = (baseline_roundtrip["work"] / "changed" / "app.py").read_text().splitlines()
    assert app_lines[loc["region"]["startLine"] - 1].startswith("def get_settings(")


def test_error_sarif_is_valid_and_reports_the_failed_run(
    tmp_path: Path, sarif_validator: jsonschema.Draft202012Validator
) -> None:
    out = tmp_path / "error.sarif"
    p = run_cli("scan", str(error_target(tmp_path)), "--format", "sarif", "--output", str(out))
    assert p.returncode == 2
    doc = json.loads(out.read_text())
    check_sarif(doc, tmp_path, sarif_validator, "error")
    inv = doc["runs"][0]["invocations"][0]
    assert inv["executionSuccessful"] is False and doc["runs"][0]["results"] == []
    assert "no-such-check" in inv["toolExecutionNotifications"][0]["message"]["text"]


def test_hostile_sarif_is_valid_and_has_no_embedded_links(
    tmp_path: Path, sarif_validator: jsonschema.Draft202012Validator
) -> None:
    doc = sarif.build(hostile_result())
    check_sarif(doc, tmp_path, sarif_validator, "hostile")
    for r in doc["runs"][0]["results"]:
        text = r["message"]["text"]
        assert "\n" not in text and "\x1b" not in text and "\u202e" not in text
        # SARIF §3.11.6: an unescaped [text](target) in a plain-text message is an embedded link.
        assert all(text[i - 1] == "\\" for i, ch in enumerate(text) if ch in "[]"), text


def test_one_rule_per_check_with_github_properties() -> None:
    doc = sarif.build(result([finding()], rules=registered_rules()))
    rules = {r["id"]: r for r in doc["runs"][0]["tool"]["driver"]["rules"]}
    assert sorted(rules) == checks.all_ids()
    r = rules["bola.read"]
    assert r["name"] == "BolaRead" and r["shortDescription"]["text"] and r["fullDescription"]["text"]
    assert "Remediation:" in r["help"]["text"] and "CWE-639" in r["help"]["markdown"]
    props = r["properties"]
    assert props["tags"][:1] == ["security"] and "external/cwe/cwe-639" in props["tags"]
    assert "external/owasp/api1:2023" in props["tags"]
    assert props["security-severity"] == "8.0" and isinstance(props["security-severity"], str)
    assert props["precision"] == "high" and r["defaultConfiguration"]["level"] == "error"
    assert rules["bola.write"]["properties"]["security-severity"] == "9.5"
    assert rules["bola.filter-scoped"]["properties"]["security-severity"] == "5.5"
    assert rules["bola.filter-scoped"]["defaultConfiguration"]["level"] == "warning"


def test_results_point_at_the_handler_or_say_why_not() -> None:
    located = finding(file="app.py", line=42)
    unlocated = finding("bola.list", Severity.MEDIUM, route="/posts")
    doc = sarif.build(result([located, unlocated], service="services/profiles"))
    by_rule = {r["ruleId"]: r for r in doc["runs"][0]["results"]}
    loc = by_rule["bola.read"]["locations"][0]["physicalLocation"]
    assert loc == {
        "artifactLocation": {"uri": "services/profiles/app.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 42},
    }
    other = by_rule["bola.list"]
    assert other["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "services/profiles/.authgate.yml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 1},
    }
    assert "handler was not located" in other["message"]["text"] and other["level"] == "warning"
    assert other["properties"]["authgate/located"] is False


def test_the_multitool_catches_a_broken_log(tmp_path: Path, sarif_validator: jsonschema.Draft202012Validator) -> None:
    # The validation above is worth something only if it fails on what GitHub would refuse.
    doc = sarif.build(result([finding()]))
    del doc["runs"][0]["results"][0]["locations"]
    path = tmp_path / "broken.sarif"
    path.write_text(json.dumps(doc))
    assert any(e.startswith("GH") for e in multitool_errors(path, tmp_path))
