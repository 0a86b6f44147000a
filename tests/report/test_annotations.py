"""GitHub annotations (workflow commands): escaping, hostile text, severity and order.

`parse` reads a line the way the Actions runner does (ActionCommand.TryParseV2: leading spaces
trimmed, `::name props::data`, the first `::` after the name ends the properties, properties split
on `,` and `=`, then unescaped), so the tests see what GitHub would do with our output.
"""

from __future__ import annotations

import pytest

from gate.findings import Severity
from gate.report import annotations
from gate.report.escape import ZWJ, strip_invisible
from gate.report.location import repo_path
from tests.factories import HOSTILE, finding, hostile_result, result


def _unescape_data(s: str) -> str:
    return s.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _unescape_property(s: str) -> str:
    return s.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


def parse(line: str) -> tuple[str, dict[str, str], str] | None:
    line = line.lstrip()
    if not line.startswith("::"):
        return None
    end = line.find("::", 2)
    if end < 0:
        return None
    name, _, plist = line[2:end].partition(" ")
    props = {}
    for p in filter(None, plist.split(",")):
        k, _, v = p.partition("=")
        props[k] = _unescape_property(v)
    return name, props, _unescape_data(line[end + 2 :])


def test_escaping_follows_the_runner() -> None:
    assert annotations.escape_data("100%\r\nnext") == "100%25%0D%0Anext"
    assert annotations.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert annotations.escape_data("x::y ##[z") == f"x:{ZWJ}:y #{ZWJ}#[z"
    line = annotations.command("error", "m", file="src/a,b.py", line=3, title="bola.read")
    assert line == "::error file=src/a%2Cb.py,line=3,title=bola.read::m"


def test_hostile_text_cannot_start_a_command_or_forge_properties() -> None:
    r = hostile_result()
    text = annotations.render(r)
    lines = text.splitlines()
    assert text.endswith("\n") and len(lines) == len(r.new) == len(HOSTILE)  # accepted ones are not annotated
    for line, f in zip(lines, sorted(r.new, key=lambda f: f.sort_key()), strict=True):
        parsed = parse(line)
        assert parsed is not None, line
        name, props, data = parsed
        assert name == "error" and set(props) == {"file", "line", "title"}
        # Properties arrive exactly as meant, whatever the text held.
        assert props["title"] == "bola.read" and props["line"] == str(f.line)
        assert props["file"] == strip_invisible(repo_path(r.service, f.file or ""))
        # The message is one line of data: nothing in it can be read as a command by anyone.
        assert "::" not in data and "##[" not in data
    # One command per line: no CR, no LF, no other line separator left in the output.
    assert "\r" not in text and text.count("\n") == len(lines) and text.splitlines() == text.split("\n")[:-1]
    # A literal "%0A" from the service stays literal text, not a line break.
    assert any("%0A:" + ZWJ + ":set-output" in parse(x)[2] for x in lines)  # type: ignore[index]


def test_hostile_file_names_reach_github_unchanged() -> None:
    f = finding(file="we,ird:na%me.py", line=7)
    _, props, _ = parse(annotations.render(result([f], service="svc")).strip())  # type: ignore[misc]
    assert props == {"file": "svc/we,ird:na%me.py", "line": "7", "title": "bola.read"}


def test_most_severe_first_with_the_settled_commands() -> None:
    fs = [
        finding("bola.filter-scoped", Severity.LOW, route="/a"),
        finding("bola.write", Severity.CRITICAL, method="PUT"),
        finding("bola.list", Severity.MEDIUM, route="/posts"),
        finding("bola.read", Severity.HIGH),
        finding("bola.read", Severity.INFO, route="/i"),
        finding("bola.list", Severity.CRITICAL, route="/acc", status="accepted"),
    ]
    got = [(p[0], p[1]["title"]) for p in map(parse, annotations.render(result(fs)).splitlines()) if p]
    assert got == [
        ("error", "bola.write"),
        ("error", "bola.read"),
        ("warning", "bola.list"),
        ("notice", "bola.filter-scoped"),
        ("notice", "bola.read"),
    ]


def test_an_unlocated_finding_points_at_the_config_file_and_says_so() -> None:
    _, props, data = parse(annotations.render(result([finding()], service="services/x")).strip())  # type: ignore[misc]
    assert (props["file"], props["line"]) == ("services/x/.authgate.yml", "1")
    assert "handler was not located" in data
    assert data.startswith("HIGH bola.read GET /users/{user_id}/profile (alice -> bob): alice read bob's item")


@pytest.mark.parametrize("reason", ["service did not start", "boom\n::add-mask::x"])
def test_an_incomplete_scan_is_one_error(reason: str) -> None:
    lines = annotations.render(result([finding()], complete=False, errors=[reason])).splitlines()
    first = parse(lines[0])
    assert first is not None and first[0] == "error" and first[1] == {"title": "authgate"}
    assert "could not scan" in first[2] and "::add-mask" not in first[2]
