"""`authgate scan --format F --output P` for every format (on a scan that stops early, so these
tests start nothing), `-` for stdout, and the default destinations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gate.report import FORMATS, markdown
from tests.conftest import run_cli
from tests.factories import error_target


def _check(fmt: str, text: str) -> None:
    if fmt == "json":
        assert json.loads(text)["verdict"] == "error"
    elif fmt == "sarif":
        assert json.loads(text)["runs"][0]["invocations"][0]["executionSuccessful"] is False
    elif fmt == "markdown":
        assert text.startswith(markdown.MARKER + "\n") and "could not scan" in text
    elif fmt == "check-run":
        out = json.loads(text)
        assert out["title"].endswith("gate could not scan, 0 new findings") and out["annotations"] == []
        assert out["summary"].startswith("### ") and markdown.MARKER not in out["summary"]
    else:
        assert text.startswith("::error title=authgate::authgate could not scan")


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_each_format_to_a_file(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"out.{fmt}"
    p = run_cli("scan", str(error_target(tmp_path)), "--format", fmt, "--output", str(out))
    assert p.returncode == 2 and "could not scan" in p.stderr
    _check(fmt, out.read_text())


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_each_format_to_stdout(tmp_path: Path, fmt: str) -> None:
    p = run_cli("scan", str(error_target(tmp_path)), "--format", fmt, "--output", "-")
    assert p.returncode == 2
    _check(fmt, p.stdout)


def test_default_destinations(tmp_path: Path) -> None:
    target = error_target(tmp_path)
    for fmt, name in (
        ("json", "authgate-report.json"),
        ("markdown", "authgate-report.md"),
        ("sarif", "authgate-report.sarif"),
        ("check-run", "authgate-check-run.json"),
    ):
        p = run_cli("scan", str(target), "--format", fmt, cwd=tmp_path)
        assert p.returncode == 2 and (tmp_path / name).exists(), fmt
    p = run_cli("scan", str(target), "--format", "annotations", cwd=tmp_path)
    _check("annotations", p.stdout)  # workflow commands act only on the step's output


def test_extra_outputs_are_written_with_the_error_too(tmp_path: Path) -> None:
    p = run_cli(
        "scan",
        str(error_target(tmp_path)),
        "--output",
        str(tmp_path / "r.json"),
        "--sarif",
        str(tmp_path / "r.sarif"),
        "--markdown",
        str(tmp_path / "r.md"),
    )
    assert p.returncode == 2
    for fmt, name in (("json", "r.json"), ("sarif", "r.sarif"), ("markdown", "r.md")):
        _check(fmt, (tmp_path / name).read_text())


def test_unknown_format_and_unwritable_output_are_one_line_errors(tmp_path: Path) -> None:
    p = run_cli("scan", str(error_target(tmp_path)), "--format", "html")
    assert p.returncode == 2 and "invalid choice: 'html'" in p.stderr and "Traceback" not in p.stderr
    p = run_cli("scan", str(error_target(tmp_path)), "--output", str(tmp_path / "no" / "such" / "dir.json"))
    assert p.returncode == 2 and "cannot write the report" in p.stderr and "Traceback" not in p.stderr
