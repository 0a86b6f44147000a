"""entrypoint.py run as GitHub runs it: a subprocess with INPUT_* (hyphens kept), a synthetic event,
GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, against the fake GitHub on 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from gate.publish.workflow import ANNOTATIONS_PER_LEVEL
from tests.conftest import EXAMPLES, ROOT
from tests.fakegithub import FakeGitHub

HEAD = "a" * 40
MERGE = "m" * 40
MULTITOOL = ROOT / "node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"
MARKER = "<!-- authgate:summary -->"


@dataclass
class Run:
    proc: subprocess.CompletedProcess[str]
    outputs: dict[str, str]
    summary: str

    @property
    def lines(self) -> list[str]:
        return self.proc.stdout.splitlines()


def parse_outputs(path: Path) -> dict[str, str]:
    text = path.read_text() if path.exists() else ""
    return {k: v for k, _, v in re.findall(r"^([\w-]+)<<(\S+)\n(.*?)\n\2$", text, flags=re.S | re.M)}


def pr_event(tmp: Path, head_repo: str = "acme/svc") -> Path:
    event = tmp / "event.json"
    pull = {
        "number": 7,
        "head": {"sha": HEAD, "repo": {"full_name": head_repo}},
        "base": {"sha": "b" * 40, "repo": {"full_name": "acme/svc"}},
    }
    event.write_text(json.dumps({"action": "synchronize", "number": 7, "pull_request": pull}))
    return event


def run_action(
    fake: FakeGitHub | None,
    workspace: Path,
    event: Path,
    inputs: dict[str, str],
    merge_streams: bool = False,
    **extra: str,
) -> Run:
    n = len(list(workspace.parent.glob("output-*")))
    out, summary = workspace.parent / f"output-{n}", workspace.parent / f"summary-{n}.md"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "RUNNER_", "CI"))}
    env.update(
        GITHUB_ACTIONS="true",
        GITHUB_API_URL=fake.url if fake else "http://127.0.0.1:9",
        GITHUB_REPOSITORY="acme/svc",
        GITHUB_EVENT_NAME="pull_request",
        GITHUB_EVENT_PATH=str(event),
        GITHUB_SHA=MERGE,
        GITHUB_WORKSPACE=str(workspace),
        GITHUB_OUTPUT=str(out),
        GITHUB_STEP_SUMMARY=str(summary),
        NO_COLOR="1",
    )
    env.update(
        {"INPUT_GITHUB-TOKEN": fake.token if fake else "", **{f"INPUT_{k.upper()}": v for k, v in inputs.items()}}
    )
    env.update(extra)
    proc = subprocess.run(
        [sys.executable, str(ROOT / "entrypoint.py")],
        cwd=workspace,  # GitHub starts the container in the workspace; entrypoint.py must not rely on it
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merge_streams else subprocess.PIPE,
        text=True,
        timeout=300,
    )
    return Run(proc, parse_outputs(out), summary.read_text() if summary.exists() else "")


@dataclass
class TwoRuns:
    fake: FakeGitHub
    workspace: Path
    first: Run
    second: Run


@pytest.fixture(scope="module")
def vulnerable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoRuns]:
    """The vulnerable example gated twice on one pull request (one scan each, shared by the tests)."""
    tmp = tmp_path_factory.mktemp("action")
    workspace = tmp / "workspace"
    shutil.copytree(EXAMPLES, workspace / "examples", ignore=shutil.ignore_patterns("authgate-report*"))
    event = pr_event(tmp)
    inputs = {"working-directory": "examples/profiles-fastapi", "sarif": "reports/authgate.sarif"}
    with FakeGitHub() as fake:
        first = run_action(fake, workspace, event, inputs)
        second = run_action(fake, workspace, event, inputs)
        yield TwoRuns(fake, workspace, first, second)


def _report(runs: TwoRuns) -> dict:
    return json.loads((runs.workspace / runs.first.outputs["report-path"]).read_text())


def test_the_vulnerable_example_fails_the_step_with_outputs_written(vulnerable: TwoRuns) -> None:
    first = vulnerable.first
    assert first.proc.returncode == 1, first.proc.stderr[-2000:]
    report = _report(vulnerable)
    assert first.outputs == {
        "score": str(report["score"]),
        "grade": report["grade"],
        "verdict": "fail",
        "new-findings": str(len(report["findings"])),
        "report-path": "examples/profiles-fastapi/authgate-report.json",
        "sarif-path": "examples/profiles-fastapi/reports/authgate.sarif",
    }
    assert {f["check"] for f in report["findings"]} >= {"bola.read", "bola.write", "authn.missing"}
    assert report["target"]["service"] == "examples/profiles-fastapi"


def test_one_comment_created_then_edited_in_place(vulnerable: TwoRuns) -> None:
    fake = vulnerable.fake
    assert len(fake.requests("POST", r"/repos/acme/svc/issues/7/comments")) == 1
    assert len(fake.requests("PATCH", r"/repos/acme/svc/issues/comments/\d+")) == 1
    (comment,) = fake.comments[7]
    assert comment["user"]["login"] == "github-actions[bot]"
    assert comment["body"].startswith(f"{MARKER}\n<!-- authgate:target examples/profiles-fastapi -->\n")
    assert "gate failed" in comment["body"] and "bola.read" in comment["body"]
    assert len(comment["body"]) < 12_000  # the short comment (issue 16); the summary has the rest
    blob = f"https://github.com/acme/svc/blob/{HEAD}/examples/profiles-fastapi/app.py#L"
    assert blob in comment["body"] and MERGE not in comment["body"]  # linked at the head, not the merge
    linked = {r["html_url"] for r in fake.check_runs.values() if r["html_url"] in comment["body"]}
    assert len(linked) == 1  # the comment links to its run's check run
    assert fake.problems() == []  # every request as GitHub's REST description wants it


def test_check_run_on_the_pr_head_carries_every_finding(vulnerable: TwoRuns) -> None:
    fake, report = vulnerable.fake, _report(vulnerable)
    runs = list(fake.check_runs.values())
    assert [(r["name"], r["head_sha"], r["conclusion"]) for r in runs] == [
        ("authgate / verdict (examples/profiles-fastapi)", HEAD, "failure")
    ] * 2  # the PR head, never GITHUB_SHA (the merge commit)
    for run in runs:
        anns = fake.annotations[run["id"]]
        assert len(anns) == len(report["findings"])
        assert all(a["path"].startswith("examples/profiles-fastapi/") for a in anns)
        severities = [f["severity"] for f in report["findings"]]
        expected = [
            "failure" if s in ("critical", "high") else "warning" if s == "medium" else "notice" for s in severities
        ]
        assert [a["annotation_level"] for a in anns] == expected


def test_annotations_are_printed_after_workflow_commands_resume(vulnerable: TwoRuns) -> None:
    lines = vulnerable.first.lines
    token = lines[0].removeprefix("::stop-commands::")
    assert re.fullmatch(r"[0-9a-f]{32}", token), lines[:2]
    resume = lines.index(f"::{token}::")
    annotations = [line for line in lines[resume + 1 :] if line.startswith(("::error ", "::warning ", "::notice "))]
    assert all(not line.startswith("::") for line in lines[1:resume])
    new = [f for f in _report(vulnerable)["findings"] if f["status"] == "new"]
    per_level: dict[str, int] = {}
    for f in new:
        level = {"critical": "error", "high": "error", "medium": "warning"}.get(f["severity"], "notice")
        per_level[level] = per_level.get(level, 0) + 1
    # GitHub shows at most 10 annotations per level of one step: the rest are counted in the summary
    assert len(annotations) == sum(min(n, ANNOTATIONS_PER_LEVEL) for n in per_level.values())
    left_out = sum(max(0, n - ANNOTATIONS_PER_LEVEL) for n in per_level.values())
    if left_out:
        assert f"{left_out}" in vulnerable.first.summary
    assert all("file=examples/profiles-fastapi/" in line for line in annotations)
    assert annotations[0].startswith("::error ") and "title=bola.write" in annotations[0]  # critical first


def test_job_summary_has_the_report_and_where_the_comment_is(vulnerable: TwoRuns) -> None:
    summary = vulnerable.first.summary
    assert "authgate: F" in summary and "gate failed" in summary
    assert "- PR comment created: https://github.test/acme/svc/pull/7#issuecomment-" in summary
    assert "- check run `authgate / verdict (examples/profiles-fastapi)` with " in summary
    assert "- PR comment updated: " in vulnerable.second.summary


def test_permission_warnings_come_first_and_the_summary_claims_nothing_it_did_not_post(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    shutil.copytree(EXAMPLES / "profiles-fastapi", workspace, ignore=shutil.ignore_patterns("authgate-report*"))
    with FakeGitHub(read_only=True) as fake:
        run = run_action(fake, workspace, pr_event(tmp_path), {})
    assert run.proc.returncode == 1, run.proc.stderr[-2000:]
    commands = [line for line in run.lines if line.startswith(("::error ", "::warning ", "::notice "))]
    # The two refusals are the step's first annotations, and within GitHub's 10 warnings per step.
    assert [line.split("::")[2][:22] for line in commands[:2]] == ["authgate could not cre", "authgate could not com"]
    assert sum(line.startswith("::warning ") for line in commands) <= ANNOTATIONS_PER_LEVEL
    top = run.summary.split("### ", 1)[0]
    assert "`permissions: checks: write`" in top and "`permissions: pull-requests: write`" in top
    assert "The check run" not in run.summary and "check run `" not in run.summary


@pytest.mark.skipif(not MULTITOOL.exists(), reason="run scripts/install-test-tools (make test does)")
def test_sarif_passes_the_checks_github_code_scanning_applies(vulnerable: TwoRuns, tmp_path: Path) -> None:
    sarif_path = vulnerable.workspace / vulnerable.first.outputs["sarif-path"]
    sarif = json.loads(sarif_path.read_text())
    results = sarif["runs"][0]["results"]
    assert len(results) == len(_report(vulnerable)["findings"])
    for res in results:
        uri = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri.startswith("examples/profiles-fastapi/") and "://" not in uri  # relative to the repository
        assert res["partialFingerprints"]
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert all(isinstance(r["properties"]["security-severity"], str) for r in rules)
    # The multitool exits 0 even when it finds errors: its verdict is in its output file.
    out = tmp_path / "validation.sarif"
    subprocess.run(
        [str(MULTITOOL), "validate", "--rule-kind", "Gh;Sarif", "--output", str(out), str(sarif_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    validation = json.loads(out.read_text())["runs"][0]
    levels = {
        r["id"]: (r.get("defaultConfiguration") or {}).get("level", "warning")
        for r in validation["tool"]["driver"]["rules"]
    }
    errors = [r for r in validation["results"] if r.get("level", levels.get(r["ruleId"], "warning")) == "error"]
    assert errors == [], [e["message"] for e in errors]


HOSTILE_APP = """
import json, os, sys
json.dump(dict(os.environ), open(os.environ["ENV_DUMP"], "w"))
seen, pid = [], os.getppid()  # what the gate's processes expose: their environment and command line
while pid > 1 and len(seen) < 20:
    try:
        for part in ("environ", "cmdline"):
            seen.append(open(f"/proc/{pid}/{part}", "rb").read().decode("utf-8", "replace"))
        pid = int([ln for ln in open(f"/proc/{pid}/status") if ln.startswith("PPid:")][0].split()[1])
    except OSError:
        break
open(os.environ["ANCESTORS"], "w").write("\\n".join(seen))
print("::error::pwned by the service", flush=True)
print("::set-output name=verdict::pass", flush=True)
print("::add-mask::authgate", flush=True)
sys.exit(3)
"""
HOSTILE_CONFIG = """
version: 1
service:
  command: "python hostile.py {port}"
  install: "python -c \\"import json, os; json.dump(dict(os.environ), open(os.environ['INSTALL_DUMP'], 'w'))\\""
  env: {ENV_DUMP: @NOTES@/service-env.json, INSTALL_DUMP: @NOTES@/install-env.json, ANCESTORS: @NOTES@/ancestors.txt}
  ready: /health
  startup_timeout: 15
identities:
  alice: {sub: alice}
  bob: {sub: bob}
"""


def test_hostile_service_on_a_fork_sees_no_token_and_issues_no_workflow_command(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    (workspace / "svc").mkdir(parents=True)
    (workspace / "svc" / "hostile.py").write_text(HOSTILE_APP)
    # the service runs in a copy of the workspace, maybe as another user: what it saw goes to a folder it can write
    notes = Path(tempfile.mkdtemp(prefix="authgate-action-notes-"))
    notes.chmod(0o777)
    (workspace / "svc" / ".authgate.yml").write_text(HOSTILE_CONFIG.replace("@NOTES@", str(notes)))
    secret = "ghs_token_that_must_never_leak_0123456789"
    with FakeGitHub(token=secret) as fake:
        run = run_action(
            fake,
            workspace,
            pr_event(tmp_path, head_repo="mallory/svc"),
            {"working-directory": "svc", "fail-on-error": "false"},
            merge_streams=True,  # one stream, so the order of our lines and the service's is kept
            GITHUB_TOKEN=secret,
            ACTIONS_RUNTIME_TOKEN="runtime-" + secret,
            ACTIONS_ID_TOKEN_REQUEST_TOKEN="oidc-" + secret,
        )
        assert fake.calls == []  # a fork's token is read-only: nothing is attempted
    for dump in ("install-env.json", "service-env.json"):
        env = json.loads((notes / dump).read_text())
        assert secret not in json.dumps(env), dump
        assert not {k for k in env if k.startswith(("GITHUB", "INPUT_", "ACTIONS_", "RUNNER_"))}, dump
    # nor in /proc of the gate itself: as root the gate gives the service a user of its own, which cannot read
    # the gate's /proc files at all; otherwise they are readable (same user), but hold no token
    ancestors = (notes / "ancestors.txt").read_text()
    assert ("GITHUB_REPOSITORY=acme/svc" in ancestors) is (os.geteuid() != 0), ancestors[:300]
    assert secret not in ancestors
    lines = run.proc.stdout.splitlines()
    token = lines[0].removeprefix("::stop-commands::")
    resume = lines.index(f"::{token}::")
    hostile = [i for i, line in enumerate(lines) if "pwned" in line or "set-output" in line or "add-mask" in line]
    assert hostile and all(0 < i < resume for i in hostile), lines  # shown, but while commands are stopped
    assert secret not in run.proc.stdout and secret not in run.summary
    # fail-on-error false: could not scan is a warning, not a failed step.
    assert run.proc.returncode == 0
    assert "::warning::authgate could not scan; fail-on-error is false, so the step passes" in lines
    assert run.outputs["verdict"] == "error"
    assert "> [!NOTE]\n> This pull request comes from a fork" in run.summary
    assert "could not scan" in run.summary


def test_bad_input_is_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    run = run_action(None, workspace, pr_event(tmp_path), {"threshold": "eighty"})
    assert run.proc.returncode == 2
    assert run.proc.stdout == "::error title=authgate::input threshold: expected a whole number 0-100, got 'eighty'\n"
    assert run.proc.stderr == ""


def test_pull_request_target_gets_a_loud_warning(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / ".authgate.yml").write_text("version: 1\n")  # invalid: stops before anything runs
    run = run_action(None, workspace, pr_event(tmp_path), {"comment": "false"}, GITHUB_EVENT_NAME="pull_request_target")
    assert any(
        line.startswith("::warning title=authgate::This workflow runs on pull_request_target") for line in run.lines
    )
    assert run.summary.startswith("> [!WARNING]\n> This workflow runs on pull_request_target")


def test_bad_config_is_an_error_verdict_with_a_comment_saying_so(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / ".authgate.yml").write_text("version: 1\nservise: {}\n")
    with FakeGitHub() as fake:
        run = run_action(fake, workspace, pr_event(tmp_path), {})
        assert fake.problems() == []
    assert run.proc.returncode == 2
    assert run.outputs["verdict"] == "error" and run.outputs["report-path"] == "authgate-report.json"
    (comment,) = fake.comments[7]
    assert comment["body"].startswith(MARKER + "\n") and "servise" in comment["body"]
    assert any(line.startswith("::error ") and "servise" in line for line in run.lines)
    assert "Traceback" not in run.proc.stderr
