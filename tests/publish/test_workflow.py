"""The runner's side of the Action (gate/publish/workflow.py): inputs, event, outputs, summary, annotation limits."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from gate.action import Inputs
from gate.publish.workflow import (
    SUMMARY_LIMIT,
    InputError,
    Note,
    commands_paused,
    input_bool,
    input_value,
    limit_annotations,
    load_event,
    summary_with_notes,
    write_outputs,
    write_summary,
)


def test_inputs_are_read_with_hyphens_kept_as_the_runner_sets_them() -> None:
    env = {
        "INPUT_GITHUB-TOKEN": "ghs_x",
        "INPUT_FAIL-ON": "Medium",
        "INPUT_WORKING-DIRECTORY": " svc ",
        "INPUT_THRESHOLD": "70",
    }
    inputs = Inputs.from_env(env)
    assert (inputs.token, inputs.fail_on, inputs.working_directory, inputs.threshold) == ("ghs_x", "medium", "svc", 70)
    assert (inputs.config, inputs.comment, inputs.annotations, inputs.fail_on_error) == (
        ".authgate.yml",
        True,
        True,
        True,
    )
    assert inputs.baseline is None and inputs.sarif is None
    # A person running the image by hand cannot export a hyphenated name: the underscore spelling works too.
    assert input_value("github-token", {"INPUT_GITHUB_TOKEN": "t2"}) == "t2"
    assert input_value("github-token", {"INPUT_GITHUB-TOKEN": "t1", "INPUT_GITHUB_TOKEN": "t2"}) == "t1"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"INPUT_THRESHOLD": "eighty"}, "input threshold: expected a whole number 0-100, got 'eighty'"),
        ({"INPUT_THRESHOLD": "101"}, "input threshold: expected 0-100, got 101"),
        ({"INPUT_FAIL-ON": "severe"}, "input fail-on: expected one of info, low, medium, high, critical, got 'severe'"),
        ({"INPUT_COMMENT": "yes"}, "input comment: expected true or false, got 'yes'"),
    ],
)
def test_bad_inputs_are_one_clear_line(env: dict[str, str], message: str) -> None:
    with pytest.raises(InputError) as err:
        Inputs.from_env(env)
    assert str(err.value) == message


def test_booleans_are_the_yaml_ones() -> None:
    assert [input_bool("x", {"INPUT_X": v}) for v in ("true", "True", "TRUE", "false", "False", "FALSE")] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]
    assert input_bool("x", {}, default=True) is True


def _event(tmp_path: Path, payload: dict) -> Path:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload))
    return path


def test_pull_request_event_gives_the_head_sha_not_the_merge_commit(tmp_path: Path) -> None:
    payload = {
        "number": 7,
        "pull_request": {
            "number": 7,
            "head": {"sha": "a" * 40, "repo": {"full_name": "acme/svc"}},
            "base": {"sha": "b" * 40, "repo": {"full_name": "acme/svc"}},
        },
    }
    env = {
        "GITHUB_EVENT_PATH": str(_event(tmp_path, payload)),
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_SHA": "m" * 40,  # the merge commit
        "GITHUB_REPOSITORY": "acme/svc",
    }
    ev = load_event(env)
    assert (ev.pr, ev.head_sha, ev.fork, ev.repository) == (7, "a" * 40, False, "acme/svc")


def test_a_fork_is_recognised_and_a_deleted_fork_counts_as_one(tmp_path: Path) -> None:
    fork = {
        "head": {"sha": "a" * 40, "repo": {"full_name": "mallory/svc"}},
        "base": {"repo": {"full_name": "acme/svc"}},
    }
    env = {"GITHUB_EVENT_PATH": str(_event(tmp_path, {"pull_request": {"number": 3, **fork}}))}
    assert load_event(env).fork is True
    deleted = {"number": 3, "head": {"sha": "a" * 40, "repo": None}, "base": {"repo": {"full_name": "acme/svc"}}}
    env = {"GITHUB_EVENT_PATH": str(_event(tmp_path, {"pull_request": deleted}))}
    assert load_event(env).fork is True


def test_push_event_uses_github_sha_and_has_no_pull_request(tmp_path: Path) -> None:
    env = {"GITHUB_EVENT_PATH": str(_event(tmp_path, {"ref": "refs/heads/main"})), "GITHUB_SHA": "c" * 40}
    ev = load_event(env)
    assert (ev.pr, ev.head_sha, ev.fork) == (None, "c" * 40, False)


def test_unreadable_event_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "event.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match=r"^GITHUB_EVENT_PATH: cannot read the event payload"):
        load_event({"GITHUB_EVENT_PATH": str(bad)})


def test_outputs_use_a_delimiter_no_value_can_contain(tmp_path: Path) -> None:
    out = tmp_path / "output"
    write_outputs({"score": "10", "report-path": "a\nverdict=pass"}, {"GITHUB_OUTPUT": str(out)})
    text = out.read_text()
    blocks = re.findall(r"^([\w-]+)<<(\S+)\n(.*?)\n\2$", text, flags=re.S | re.M)
    assert [(k, v) for k, _, v in blocks] == [("score", "10"), ("report-path", "a\nverdict=pass")]


def test_summary_is_kept_under_githubs_limit(tmp_path: Path) -> None:
    path = tmp_path / "summary"
    write_summary("é" * SUMMARY_LIMIT, {"GITHUB_STEP_SUMMARY": str(path)})
    data = path.read_bytes()
    assert len(data) <= SUMMARY_LIMIT
    assert data.decode("utf-8").endswith("the JSON report has everything)_\n")


def test_summary_puts_warnings_above_the_report_and_links_below() -> None:
    text = summary_with_notes(
        "REPORT", [Note("comment created: https://x/1"), Note("read-only token", "warning"), Note("left out", "note")]
    )
    assert text == (
        "> [!WARNING]\n> read-only token\n\n> [!NOTE]\n> left out\n\nREPORT\n\n---\n\n- comment created: https://x/1\n"
    )


def test_annotation_limit_keeps_the_most_severe_ten_per_level_and_counts_the_rest() -> None:
    lines = [f"::error file=a.py,line={i},title=x::E{i}" for i in range(13)]
    lines += [f"::warning file=a.py,line={i}::W{i}" for i in range(11)]
    lines += [f"::notice::N{i}" for i in range(2)]
    text = "\n".join([lines[20], *lines[:20], *lines[21:], "not an annotation"])  # a warning first
    kept, dropped = limit_annotations(text)
    assert [line.rsplit("::", 1)[1] for line in kept] == (
        [f"E{i}" for i in range(10)] + ["W7"] + [f"W{i}" for i in range(7)] + ["W8", "W9"] + ["N0", "N1"]
    )
    assert dropped == {"error": 3, "warning": 1}


def test_commands_are_paused_around_untrusted_output_with_an_unguessable_token() -> None:
    out = io.StringIO()
    with commands_paused(out):
        out.write("::error::from the service\n")
    first, middle, last = out.getvalue().splitlines()
    token = first.removeprefix("::stop-commands::")
    assert re.fullmatch(r"[0-9a-f]{32}", token)
    assert middle == "::error::from the service" and last == f"::{token}::"


def test_the_step_prints_twenty_annotations_and_the_summary_counts_the_rest() -> None:
    from gate.action import _annotations
    from gate.findings import Severity
    from tests import factories

    findings = [factories.finding("bola.read", Severity.HIGH, route=f"/h{i}") for i in range(13)]
    findings += [factories.finding("bola.write", Severity.CRITICAL, route=f"/c{i}") for i in range(2)]
    findings += [factories.finding("bola.filter-scoped", Severity.MEDIUM, route=f"/m{i}") for i in range(12)]
    r = factories.result(findings)
    lines, note = _annotations(r, {}, ["the check run", "the SARIF file"])
    assert [line.split(" ", 1)[0] for line in lines] == ["::error"] * 10 + ["::warning"] * 10
    assert all("title=bola.write" in line for line in lines[:2])  # critical before high
    assert note is not None and note.kind == "note"
    assert "5 errors, 2 warnings left out here" in note.text
    assert "The check run and the SARIF file carry all 27 findings." in note.text
    # Two permission warnings already printed: they keep their room; the summary names only what exists.
    lines, note = _annotations(r, {"warning": 2}, [])
    assert [line.split(" ", 1)[0] for line in lines] == ["::error"] * 10 + ["::warning"] * 8
    assert note is not None and "5 errors, 4 warnings left out" in note.text
    assert "check run" not in note.text and "The JSON report (authgate-report.json) carries all 27" in note.text
