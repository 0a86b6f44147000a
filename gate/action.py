"""The GitHub Action, start to finish (`entrypoint.py` only calls `main`).

inputs and event -> the scan (in-process, workflow commands paused while the service runs) ->
JSON report, SARIF -> check run, then the PR comment (it links to the check run) -> the step's own
warnings (a missing permission), then the annotations in the room GitHub leaves (10 per level per
step, most severe first), so a warning is never hidden behind findings (issue 16) -> job summary
(the same warnings on top, then the full report) -> step outputs -> exit code = verdict (0 pass,
1 fail, 2 could not scan; 0 for "could not scan" when `fail-on-error` is false).

The token never stays in an environment the service under test could read. Removing it from
`os.environ` is not enough: `/proc/<pid>/environ` shows the environment a process was started with,
and the service runs as the same user. So the step starts by handing the secrets to a fresh copy of
itself through a pipe and `exec`-ing it with an environment without them; the copy reads the pipe
and closes it before anything else runs. The service's own environment is built from nothing anyway
(gate/target/service.py).

Paths: `config`, `baseline` and `sarif` are relative to `working-directory`, which is relative to
the repository root (`GITHUB_WORKSPACE`). The scan runs from the repository root with the service
named by its relative path, so annotations, the check run and SARIF point at repository-relative
files. `report-path` and `sarif-path` are repository-relative, usable as they are by the next step.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from gate.entry import SECRET_ENV
from gate.errors import Interrupted, handle_signals, internal_error
from gate.findings import Severity
from gate.publish import github
from gate.publish.workflow import (
    ANNOTATIONS_PER_LEVEL,
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
from gate.report import markdown
from gate.report.annotations import command
from gate.report.console import Console
from gate.report.location import Links
from gate.runner import run_scan
from gate.scan import Options
from gate.verdict.result import ScanResult

REPORT_NAME = markdown.REPORT_NAME
PULL_REQUEST_TARGET = (
    "This workflow runs on pull_request_target: if it checked out the pull request's code, authgate "
    "runs that code with this repository's write token and secrets within reach. Run authgate on "
    "pull_request (README, section Why pull_request)."
)


@dataclass(frozen=True, slots=True)
class Inputs:
    config: str
    threshold: int | None
    fail_on: str | None
    baseline: str | None
    token: str
    comment: bool
    annotations: bool
    check_run: bool
    sarif: str | None
    fail_on_error: bool
    working_directory: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Inputs:
        threshold_text = input_value("threshold", env)
        threshold: int | None = None
        if threshold_text:
            try:
                threshold = int(threshold_text)
            except ValueError:
                raise InputError(f"input threshold: expected a whole number 0-100, got {threshold_text!r}") from None
            if not 0 <= threshold <= 100:
                raise InputError(f"input threshold: expected 0-100, got {threshold}")
        fail_on = input_value("fail-on", env).lower() or None
        if fail_on is not None and fail_on not in {s.label for s in Severity}:
            names = ", ".join(s.label for s in Severity)
            raise InputError(f"input fail-on: expected one of {names}, got {fail_on!r}")
        return cls(
            config=input_value("config", env, ".authgate.yml"),
            threshold=threshold,
            fail_on=fail_on,
            baseline=input_value("baseline", env) or None,
            token=input_value("github-token", env),
            comment=input_bool("comment", env, True),
            annotations=input_bool("annotations", env, True),
            check_run=input_bool("check-run", env, True),
            sarif=input_value("sarif", env) or None,
            fail_on_error=input_bool("fail-on-error", env, True),
            working_directory=input_value("working-directory", env, "."),
        )


def _relative(path: Path, workspace: Path) -> str:
    try:
        return path.relative_to(workspace).as_posix()
    except ValueError:
        return str(path)


def _annotations(result: ScanResult, used: dict[str, int], carriers: list[str]) -> tuple[list[str], Note | None]:
    """The annotation lines to print in the room `used` leaves, and a note on what was left out that
    names only the `carriers` that exist (the check run only when it was created)."""
    from gate.report import renderer

    kept, dropped = limit_annotations(renderer("annotations")(result), used=used)
    if not dropped:
        return kept, None
    left_out = ", ".join(f"{n} {level}{'s' if n > 1 else ''}" for level, n in dropped.items())
    where = " and ".join(carriers) if carriers else f"the JSON report ({REPORT_NAME})"
    note = Note(
        f"GitHub shows at most {ANNOTATIONS_PER_LEVEL} error, {ANNOTATIONS_PER_LEVEL} warning and "
        f"{ANNOTATIONS_PER_LEVEL} notice annotations per step: {left_out} left out here (the most severe "
        f"are shown). {where[0].upper() + where[1:]} {'carry' if len(carriers) > 1 else 'carries'} all "
        f"{len(result.findings)} findings.",
        "note",
    )
    return kept, note


HANDOFF_FD = "AUTHGATE_SECRETS_FD"


def _reexec_without_secrets() -> None:
    """Replace this process with a copy whose start-up environment holds no secret (never returns;
    OSError when the exec fails)."""
    secrets = {k: os.environ[k] for k in SECRET_ENV if k in os.environ}
    r, w = os.pipe()
    os.write(w, json.dumps(secrets).encode())  # a few hundred bytes: fits the pipe's buffer
    os.close(w)
    os.set_inheritable(r, True)
    clean = {k: v for k, v in os.environ.items() if k not in SECRET_ENV}
    clean[HANDOFF_FD] = str(r)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], clean)


def _received_secrets() -> dict[str, str]:
    """The secrets the first copy handed over (the pipe is closed at once)."""
    fd = os.environ.pop(HANDOFF_FD, None)
    if fd is None:
        return {}
    with os.fdopen(int(fd), "rb") as pipe:
        return dict(json.loads(pipe.read() or b"{}"))


def main(env: Mapping[str, str] | None = None) -> int:
    """The step. An unexpected failure is one error line and exit 2 ("could not scan"), never a
    traceback mistaken for a failed gate; SIGTERM (a cancelled job) unwinds so nothing is left running."""
    if env is None and any(k in os.environ for k in SECRET_ENV):
        try:
            _reexec_without_secrets()
        except OSError as exc:  # fail closed: never scan with the token readable in /proc
            for key in SECRET_ENV:
                os.environ.pop(key, None)
            message = f"authgate could not restart itself without the token in its environment: {exc}"
            print(command("error", message, title="authgate"), flush=True)
            return 2
    handle_signals()
    try:
        return run({**os.environ, **_received_secrets()} if env is None else dict(env))
    except Interrupted as exc:  # a cancelled job: everything started was stopped on the way out
        print(command("error", f"authgate was interrupted by {exc.name}", title="authgate"), flush=True)
        return exc.exit_code
    except Exception as exc:  # the last line of defence: fail closed, say why
        print(command("error", internal_error(exc), title="authgate"), flush=True)
        return 2


def run(env: dict[str, str]) -> int:
    from gate.report import renderer

    try:
        inputs = Inputs.from_env(env)
        event = load_event(env)
    except InputError as exc:
        print(command("error", str(exc), title="authgate"), flush=True)
        return 2
    workspace = Path(env.get("GITHUB_WORKSPACE") or os.getcwd()).resolve()
    root = (workspace / inputs.working_directory).resolve()
    if not root.is_dir():
        message = f"input working-directory: no such directory: {inputs.working_directory}"
        print(command("error", message, title="authgate"), flush=True)
        return 2
    # Reports place findings relative to the current directory (gate/report/location.py): the
    # repository root, as GitHub's annotations, check runs and code scanning want them.
    os.chdir(workspace)
    cfg_path = root / inputs.config
    target = _relative(root, workspace) or "."
    report_path = root / REPORT_NAME
    sarif_path = (root / inputs.sarif) if inputs.sarif else None
    console = Console(stream=sys.stderr)
    notes: list[Note] = []
    if event.name == "pull_request_target":
        notes.append(Note(PULL_REQUEST_TARGET, "warning"))
        print(command("warning", PULL_REQUEST_TARGET, title="authgate"), flush=True)

    opts = Options(
        threshold=inputs.threshold,
        fail_on=inputs.fail_on,
        baseline=(root / inputs.baseline) if inputs.baseline else None,
    )
    with commands_paused():  # the service under test runs in here: nothing it prints is a command
        result = run_scan(root, cfg_path, opts, target, console)
        console.result(result, _relative(report_path, workspace))

    try:
        report_path.write_text(renderer("json")(result), encoding="utf-8")
        if sarif_path is not None:
            sarif_path.parent.mkdir(parents=True, exist_ok=True)
            sarif_path.write_text(renderer("sarif")(result), encoding="utf-8")
    except OSError as exc:
        print(command("error", f"cannot write the report: {exc}", title="authgate"), flush=True)
        return 2

    links = Links.make(
        env.get("GITHUB_SERVER_URL") or "https://github.com", event.repository, event.head_sha, env.get("GITHUB_RUN_ID")
    )
    summary = markdown.render(result, links=links)
    request = github.Request(
        token=inputs.token,
        api_url=env.get("GITHUB_API_URL") or github.DEFAULT_API_URL,
        repository=event.repository,
        pr=event.pr,
        head_sha=event.head_sha,
        fork=event.fork,
        comment=inputs.comment,
        check_run=inputs.check_run,
        fail_on_error=inputs.fail_on_error,
    )
    published = github.publish(
        result,
        summary,
        request,
        comment=lambda check_url: markdown.comment(result, replace(links, check_run=check_url)),
    )
    used = {"warning": sum(1 for n in notes if n.kind == "warning"), "notice": 0}
    for note in published:
        if note.kind == "info":
            print(f"authgate: {note.text}", file=sys.stderr, flush=True)
        else:
            level = note.kind if note.kind == "warning" else "notice"
            used[level] += 1
            print(command(level, note.text, title="authgate"), flush=True)
    notes.extend(published)

    if inputs.annotations:
        carriers = ["the check run"] if any(n.posted == "check-run" for n in published) else []
        if sarif_path is not None:
            carriers.append("the SARIF file")
        lines, left_out = _annotations(result, used, carriers)
        for line in lines:
            print(line)
        sys.stdout.flush()
        if left_out:
            notes.append(left_out)

    verdict = result.verdict
    write_summary(summary_with_notes(summary, notes), env)
    write_outputs(
        {
            "score": str(verdict.score),
            "grade": verdict.grade,
            "verdict": verdict.verdict,
            "new-findings": str(len(result.new)),
            "report-path": _relative(report_path, workspace),
            "sarif-path": _relative(sarif_path, workspace) if sarif_path else "",
        },
        env,
    )
    if verdict.verdict == "error" and not inputs.fail_on_error:
        print(command("warning", "authgate could not scan; fail-on-error is false, so the step passes"), flush=True)
        return 0
    return verdict.exit_code
