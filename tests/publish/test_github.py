"""gate/publish/github.py against the fake GitHub, over real HTTP, checked against GitHub's REST description."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from gate.findings import Severity
from gate.publish import github
from gate.publish.github import MARKER, Publisher, Request, RetryPolicy, connect, publish
from tests import factories
from tests.fakegithub import FakeGitHub

FAST = RetryPolicy(attempts=3, backoff=0.01, max_wait=5, write_interval=0)
SHA = "a" * 40


@pytest.fixture
def fake() -> FakeGitHub:
    with FakeGitHub() as f:
        yield f
        assert f.problems() == []


def _result(n_high: int = 1, n_medium: int = 0, service: str = ".", **kw: object) -> object:
    findings = [
        factories.finding("bola.read", Severity.HIGH, route=f"/r{i}", file="app.py", line=10 + i) for i in range(n_high)
    ]
    findings += [factories.finding("bola.filter-scoped", Severity.MEDIUM, route=f"/m{i}") for i in range(n_medium)]
    return factories.result(findings, service=service, **kw)


def _request(fake: FakeGitHub, **kw: object) -> Request:
    base = {"token": fake.token, "api_url": fake.url, "repository": fake.repo, "pr": 7, "head_sha": SHA}
    return Request(**{**base, **kw})


def _sleeps() -> tuple[list[float], object]:
    waits: list[float] = []
    return waits, waits.append


def test_comment_is_created_once_then_edited_in_place(fake: FakeGitHub) -> None:
    r = _result()
    notes = publish(r, f"{MARKER}\nfirst", _request(fake, check_run=False), FAST)
    assert [n.text.split(":")[0] for n in notes] == ["PR comment created"]
    notes = publish(r, f"{MARKER}\nsecond", _request(fake, check_run=False), FAST)
    assert [n.text.split(":")[0] for n in notes] == ["PR comment updated"]
    assert [c["body"] for c in fake.comments[7]] == [f"{MARKER}\nsecond"]
    assert len(fake.requests("POST", r"/repos/acme/svc/issues/7/comments")) == 1
    assert len(fake.requests("PATCH", r"/repos/acme/svc/issues/comments/\d+")) == 1
    # An Actions token cannot read GET /user; GraphQL `viewer` says who it is, once per run.
    assert fake.requests("GET", "/user")[0].status == 403
    assert len(fake.requests("POST", "/graphql")) == 2


def test_a_planted_marker_comment_is_never_overwritten(fake: FakeGitHub) -> None:
    planted = fake.add_comment(7, f"{MARKER}\nauthgate: A (100/100), gate passed", "mallory")
    bot_lookalike = fake.add_comment(7, f"{MARKER}\nfake", "github-actions", "User")
    publish(_result(), f"{MARKER}\nreal", _request(fake, check_run=False), FAST)
    publish(_result(), f"{MARKER}\nreal 2", _request(fake, check_run=False), FAST)
    assert planted["body"].endswith("gate passed") and bot_lookalike["body"].endswith("fake")
    ours = [c for c in fake.comments[7] if c["user"]["login"] == "github-actions[bot]"]
    assert [c["body"] for c in ours] == [f"{MARKER}\nreal 2"]
    assert all(c.path.endswith(str(ours[0]["id"])) for c in fake.requests("PATCH"))


def test_a_personal_token_finds_its_comment_by_its_own_login(fake: FakeGitHub) -> None:
    fake.installation_token, fake.login = False, "release-bot"
    fake.add_comment(7, f"{MARKER}\nby the Actions bot", "github-actions[bot]", "Bot")
    publish(_result(), f"{MARKER}\nmine", _request(fake, check_run=False), FAST)
    publish(_result(), f"{MARKER}\nmine again", _request(fake, check_run=False), FAST)
    assert [(c["user"]["login"], c["body"]) for c in fake.comments[7]] == [
        ("github-actions[bot]", f"{MARKER}\nby the Actions bot"),
        ("release-bot", f"{MARKER}\nmine again"),
    ]


APP = "authgate-app"


def test_a_github_app_token_finds_its_own_comment_through_graphql_viewer(fake: FakeGitHub) -> None:
    # An App installation token: GET /user answers 403 and the comments are written as the App's bot.
    fake.login, fake.app = "authgate-app[bot]", APP
    fake.add_comment(7, f"{MARKER}\nplanted by the Actions bot", "github-actions[bot]", "Bot")
    for body in ("run 1", "run 2"):
        notes = publish(_result(), f"{MARKER}\n{body}", _request(fake, check_run=False), FAST)
        assert [n.kind for n in notes] == ["info"]  # nothing assumed
    assert [(c["user"]["login"], c["body"]) for c in fake.comments[7]] == [
        ("github-actions[bot]", f"{MARKER}\nplanted by the Actions bot"),
        ("authgate-app[bot]", f"{MARKER}\nrun 2"),
    ]


def test_the_app_that_made_the_check_run_names_the_token_when_graphql_does_not(fake: FakeGitHub) -> None:
    fake.login, fake.app, fake.viewer = "authgate-app[bot]", APP, False
    for body in ("run 1", "run 2"):
        notes = publish(_result(), f"{MARKER}\n{body}", _request(fake), FAST)
        assert [n.kind for n in notes] == ["info", "info"]
    assert [c["body"] for c in fake.comments[7]] == [f"{MARKER}\nrun 2"]


def test_when_github_says_nothing_the_actions_bot_is_assumed_and_the_summary_says_so(fake: FakeGitHub) -> None:
    fake.viewer = False
    publish(_result(), f"{MARKER}\nrun 1", _request(fake, check_run=False), FAST)
    notes = publish(_result(), f"{MARKER}\nrun 2", _request(fake, check_run=False), FAST)
    assert [c["body"] for c in fake.comments[7]] == [f"{MARKER}\nrun 2"]
    assert notes[0].kind == "note" and "github-actions[bot]" in notes[0].text and "GraphQL viewer" in notes[0].text


def test_the_comment_is_rendered_with_the_check_run_s_link(fake: FakeGitHub) -> None:
    notes = publish(_result(), f"{MARKER}\nsummary", _request(fake), FAST, comment=lambda url: f"{MARKER}\nsee {url}")
    (run_id,) = fake.check_runs
    assert fake.comments[7][0]["body"].endswith(f"see {fake.check_runs[run_id]['html_url']}")
    assert fake.check_runs[run_id]["output"]["summary"] == "summary"
    assert [n.posted for n in notes] == ["check-run", "comment"]


def test_our_comment_is_found_on_a_later_page(fake: FakeGitHub) -> None:
    fake.page_size = 2
    publish(_result(), f"{MARKER}\nv1", _request(fake, check_run=False), FAST)
    for i in range(5):
        fake.add_comment(7, f"chatter {i}", "bob")
    fake.comments[7].reverse()  # ours is now on the last page
    publish(_result(), f"{MARKER}\nv2", _request(fake, check_run=False), FAST)
    assert len(fake.requests("POST", r".*/comments")) == 1
    assert {c.query.get("page") for c in fake.requests("GET", r".*/issues/7/comments")} >= {"2", "3"}


def test_each_service_of_a_monorepo_keeps_its_own_comment_and_check_run(fake: FakeGitHub) -> None:
    for service in ("services/a", "services/b", "services/a"):
        publish(_result(service=service), f"{MARKER}\n{service}", _request(fake), FAST)
    bodies = sorted(c["body"].splitlines()[1] for c in fake.comments[7])
    assert bodies == ["<!-- authgate:target services/a -->", "<!-- authgate:target services/b -->"]
    names = [run["name"] for run in fake.check_runs.values()]
    assert names == [
        "authgate / verdict (services/a)",
        "authgate / verdict (services/b)",
        "authgate / verdict (services/a)",
    ]


def test_a_hostile_service_name_cannot_break_out_of_the_marker() -> None:
    body = github.comment_body(f"{MARKER}\nreport", "x --><img src=y> <!--")
    head = body.splitlines()[:2]
    assert head[0] == MARKER and github._TARGET.fullmatch(head[1]) and "<img" not in body


def test_check_run_carries_every_finding_in_batches_of_fifty(fake: FakeGitHub) -> None:
    r = _result(n_high=70, n_medium=50)
    notes = publish(r, f"{MARKER}\nreport", _request(fake, comment=False), FAST)
    assert notes[0].text.startswith("check run `authgate / verdict` with 120 annotations")
    assert notes[0].posted == "check-run"
    sent = [len(c.body["output"]["annotations"]) for c in fake.requests(None, r"/repos/acme/svc/check-runs(/\d+)?")]
    assert sent == [50, 50, 20]
    (run_id,) = fake.check_runs
    anns = fake.annotations[run_id]
    assert [a["annotation_level"] for a in anns] == ["failure"] * 70 + ["warning"] * 50  # most severe first
    assert anns[0]["path"] == "app.py" and anns[0]["start_line"] == 10
    assert anns[-1]["path"] == ".authgate.yml" and anns[-1]["start_line"] == 1  # not located: the config file
    run = fake.check_runs[run_id]
    assert (run["head_sha"], run["status"], run["conclusion"]) == (SHA, "completed", "failure")
    assert run["output"]["title"] == f"F ({r.verdict.score}/100): gate failed, 120 new findings"


def test_accepted_findings_are_notices_in_the_check_run(fake: FakeGitHub) -> None:
    f = factories.finding("bola.read", Severity.HIGH, status="accepted", file="app.py", line=3)
    r = factories.result([f])
    publish(r, f"{MARKER}\nr", _request(fake, comment=False), FAST)
    (anns,) = fake.annotations.values()
    assert [(a["annotation_level"], a["title"].endswith("[accepted]")) for a in anns] == [("notice", True)]
    assert next(iter(fake.check_runs.values()))["conclusion"] == "success"


def test_read_only_token_is_a_clear_note_not_a_crash(fake: FakeGitHub) -> None:
    fake.read_only = True
    notes = publish(_result(), f"{MARKER}\nr", _request(fake), FAST)
    assert [n.kind for n in notes] == ["warning", "warning"]
    # The check run is created first (the comment links to it).
    assert "could not comment on the pull request (PR comment: HTTP 403: Resource not accessible" in notes[1].text
    assert "`permissions: pull-requests: write`" in notes[1].text
    assert "`permissions: checks: write`" in notes[0].text
    assert not any(n.posted for n in notes)
    assert len(fake.requests("POST", "/repos/.*")) == 2  # a refusal is not retried


def test_fork_pull_request_makes_no_request_at_all(fake: FakeGitHub) -> None:
    notes = publish(_result(), f"{MARKER}\nr", _request(fake, fork=True), FAST)
    assert fake.calls == []
    assert notes[0].kind == "note" and "comes from a fork" in notes[0].text and "README, section Forks" in notes[0].text


def test_server_errors_are_retried_and_a_landed_post_is_not_duplicated(fake: FakeGitHub) -> None:
    waits, sleep = _sleeps()
    fake.inject("GET", r"/repos/acme/svc/issues/7/comments", 502)
    notes = publish(_result(), f"{MARKER}\nr", _request(fake, check_run=False), FAST, sleep)
    assert notes[0].text.startswith("PR comment created") and len(waits) == 1
    # The next POST lands on GitHub but the answer is lost (a 502 from the proxy in front of it).
    real_answer = fake.answer

    def lose_answer(call):  # type: ignore[no-untyped-def]
        status, body, headers = real_answer(call)
        if call.method == "PATCH" and not getattr(lose_answer, "done", False):
            lose_answer.done = True  # type: ignore[attr-defined]
            call.injected = True
            return 502, {"message": "Bad Gateway"}, {}
        return status, body, headers

    fake.answer = lose_answer  # type: ignore[method-assign]
    notes = publish(_result(), f"{MARKER}\nr2", _request(fake, check_run=False), FAST, sleep)
    assert notes[0].text.startswith("PR comment updated")
    assert len(fake.comments[7]) == 1 and fake.comments[7][0]["body"] == f"{MARKER}\nr2"


def test_retries_are_bounded(fake: FakeGitHub) -> None:
    waits, sleep = _sleeps()
    fake.inject("POST", r"/repos/acme/svc/check-runs", 500, times=10)
    notes = publish(_result(), f"{MARKER}\nr", _request(fake, comment=False), FAST, sleep)
    assert len(fake.requests("POST")) == FAST.attempts and len(waits) == FAST.attempts - 1
    assert notes[0].text == "authgate could not create the check run: check run: HTTP 500: Server Error after 3 tries."
    assert waits == sorted(waits) and max(waits) <= FAST.max_wait


def test_rate_limit_waits_for_retry_after_and_never_past_the_cap(fake: FakeGitHub) -> None:
    waits, sleep = _sleeps()
    limited = {"message": "You have exceeded a secondary rate limit."}
    fake.inject("POST", r".*/check-runs", 403, limited, {"Retry-After": "2"})
    notes = publish(_result(), f"{MARKER}\nr", _request(fake, comment=False), FAST, sleep)
    assert waits == [2.0] and notes[0].text.startswith("check run")
    waits.clear()
    reset = str(int(time.time()) + 3600)  # the primary limit resets in an hour: not worth the job's time
    primary = {"message": "API rate limit exceeded for installation ID 1."}
    fake.inject("POST", r".*/check-runs", 403, primary, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset})
    notes = publish(_result(), f"{MARKER}\nr", _request(fake, comment=False), FAST, sleep)
    assert waits == []
    assert "GitHub's rate limit was reached (HTTP 403); it resets at" in notes[0].text
    fake.inject("POST", r".*/check-runs", 429, {"message": "Too many requests"}, {"Retry-After": "1"})
    publish(_result(), f"{MARKER}\nr", _request(fake, comment=False), FAST, sleep)
    assert waits == [1.0]


def test_an_answer_pygithub_cannot_read_is_a_note_not_a_crash(fake: FakeGitHub) -> None:
    fake.inject("GET", r".*/issues/7/comments", 200, ["not a comment"])  # type: ignore[arg-type]
    fake.inject("POST", r".*/check-runs", 201, {"id": "seven"})
    notes = publish(_result(), f"{MARKER}\nr", _request(fake), FAST)
    assert [(n.kind, n.text.split(":")[0]) for n in notes] == [
        ("warning", "authgate could not create the check run"),
        ("warning", "authgate could not comment on the pull request"),
    ]


def test_github_enterprise_server_api_url_is_honoured() -> None:
    with FakeGitHub(prefix="/api/v3") as fake:
        notes = publish(_result(), f"{MARKER}\nr", _request(fake), FAST)
        assert [n.kind for n in notes] == ["info", "info"]
        assert {c.path for c in fake.calls} == {
            "/user",
            "/api/graphql",  # GHES serves GraphQL at /api/graphql, beside /api/v3
            "/repos/acme/svc/issues/7/comments",
            "/repos/acme/svc/check-runs",
        }
        assert fake.problems() == []


def test_workflow_run_finds_a_fork_pull_request_by_its_head(fake: FakeGitHub) -> None:
    fake.add_pull(12, "mallory", "feature", SHA)
    fake.add_pull(13, "mallory", "other", "f" * 40)
    pub = Publisher(connect(fake.token, fake.url), fake.repo, FAST)
    assert pub.find_pr("mallory", "feature", SHA) == 12
    assert pub.find_pr("mallory", "feature", "e" * 40) is None  # pushed again since the scan: not that one
    assert fake.requests("GET", "/repos/acme/svc/pulls")[0].query["head"] == "mallory:feature"


def _comment_env(fake: FakeGitHub, tmp_path: Path, payload: dict) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps(payload))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))}
    env.update(
        GITHUB_TOKEN=fake.token,
        GITHUB_API_URL=fake.url,
        GITHUB_REPOSITORY=fake.repo,
        GITHUB_EVENT_NAME="workflow_run",
        GITHUB_EVENT_PATH=str(event),
        GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md"),
    )
    return env


def _authgate(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gate.cli", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_authgate_comment_posts_a_fork_pull_requests_report_from_workflow_run(fake: FakeGitHub, tmp_path: Path) -> None:
    report = tmp_path / "authgate-report.json"
    report.write_text(_report_json(_result(n_high=2, service="services/api")))
    fake.add_pull(12, "mallory", "feature", SHA)
    run = {
        "head_sha": SHA,
        "head_branch": "feature",
        "pull_requests": [],
        "head_repository": {"owner": {"login": "mallory"}},
    }
    env = _comment_env(fake, tmp_path, {"workflow_run": run})
    p = _authgate("comment", "--report", str(report), env=env, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    (comment,) = fake.comments[12]
    assert comment["body"].startswith(f"{MARKER}\n<!-- authgate:target services/api -->\n")
    (run_id,) = fake.check_runs
    assert fake.check_runs[run_id]["head_sha"] == SHA
    assert [a["path"] for a in fake.annotations[run_id]] == ["services/api/app.py"] * 2
    assert "PR comment created" in (tmp_path / "summary.md").read_text()


def test_authgate_comment_refuses_a_report_that_is_not_one(fake: FakeGitHub, tmp_path: Path) -> None:
    forged = json.loads(_report_json(_result()))
    forged["findings"][0]["severity"] = "harmless"  # a fork's workflow can upload anything as the artifact
    report = tmp_path / "authgate-report.json"
    report.write_text(json.dumps(forged))
    env = _comment_env(fake, tmp_path, {"workflow_run": {"head_sha": SHA, "pull_requests": [{"number": 7}]}})
    p = _authgate("comment", "--report", str(report), env=env, cwd=tmp_path)
    assert p.returncode == 2 and fake.calls == []
    assert (
        p.stderr.startswith("authgate: comment: ") and "not a valid authgate report at findings/0/severity" in p.stderr
    )
    assert "Traceback" not in p.stderr


def _report_json(result: object) -> str:
    from gate.report import renderer

    return renderer("json")(result)


@pytest.mark.parametrize(
    ("method", "path", "body", "wrong"),
    [
        ("POST", "/repos/acme/svc/issues/7/comments", {}, "'body' is a required property"),
        ("POST", "/repos/acme/svc/issues/7/comments", {"body": 7}, "7 is not of type 'string'"),
        ("POST", "/repos/acme/svc/check-runs", {"name": "authgate"}, "'head_sha' is a required property"),
        (
            "POST",
            "/repos/acme/svc/check-runs",
            {"name": "authgate", "head_sha": SHA, "status": "done"},
            "'done' is not one of ['queued', 'in_progress', 'completed']",
        ),
        ("PATCH", "/repos/acme/svc/issues/comments/{comment}", {"body": None}, "None is not of type 'string'"),
        ("GET", "/repos/acme/svc/pulls?per_page=many", None, "per_page"),  # a query parameter of the wrong type
    ],
)
def test_the_fake_rejects_what_github_s_description_rejects(
    method: str, path: str, body: dict | None, wrong: str
) -> None:
    """The fake is only as strict as GitHub if a request outside GitHub's REST description is flagged."""
    with FakeGitHub() as f:
        comment = f.add_comment(7, "an existing comment", "github-actions[bot]", "Bot")
        path = path.format(comment=comment["id"])
        headers = {"Authorization": f"Bearer {f.token}", "Accept": "application/vnd.github+json"}
        with httpx.Client(base_url=f.url, headers=headers) as client:
            refused = client.request(method, path, json=body)
            accepted = client.post("/repos/acme/svc/issues/7/comments", json={"body": "a valid one"})
        problems = f.problems()
    assert (refused.status_code, refused.json()["message"], accepted.status_code) == (422, "Invalid request.", 201)
    assert len(problems) == 1 and problems[0].startswith(f"request {method} {path.split('?')[0]}: "), problems
    assert wrong in problems[0], problems[0]


def test_authgate_comment_for_a_branch_pull_request_uses_the_events_number(fake: FakeGitHub, tmp_path: Path) -> None:
    report = tmp_path / "authgate-report.json"
    report.write_text(_report_json(_result()))
    other = {"number": 99, "head": {"sha": "f" * 40}}  # a PR whose head is another commit: not this one
    run = {"head_sha": SHA, "pull_requests": [other, {"number": 7, "head": {"sha": SHA}}]}
    env = _comment_env(fake, tmp_path, {"workflow_run": run})
    for _ in range(2):  # a re-run edits the same comment
        assert _authgate("comment", "--report", str(report), env=env, cwd=tmp_path).returncode == 0
    assert list(fake.comments) == [7] and len(fake.comments[7]) == 1
    assert fake.requests("GET", "/repos/acme/svc/pulls") == []
