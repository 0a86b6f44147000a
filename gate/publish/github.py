"""GitHub's API (PyGithub): the one pull-request comment, the check run, and bounded retries.

- **One comment per pull request** (per scanned service, when a workflow scans several). It carries
  the hidden marker `<!-- authgate:summary -->` (and `<!-- authgate:target DIR -->` for a service
  outside the repository root) and is found again by that marker *and* its author: only a comment
  written by the token's own account counts, so nobody can plant a marker comment for the gate to
  overwrite. Who the token is, is asked, never guessed (issue 16): `GET /user` (a personal or
  fine-grained token), else GraphQL `viewer` (an Actions token is `github-actions[bot]`, a GitHub
  App installation token `<slug>[bot]`: both get 403 from `GET /user`), else the App GitHub names
  as the creator of the check run just made. A comment counts as ours when its author is that
  login, or it was made by that App (`performed_via_github_app`). Only when nothing answers is the
  Actions bot taken, and the summary says so. Found: edited in place. Not found: created. Never two.
- **The check run** `authgate / verdict` (`authgate / verdict (services/api)` for a service below the
  root) on the PR head: never `authgate`, the name of the example's job, which GitHub already shows
  as a check of its own. It carries the output gate/report/check_run.py renders (every finding as
  an annotation at its handler), 50 annotations per request (GitHub's limit per create/update
  call). It is created before the comment, so the comment links to it.
- **Never a crash.** A fork's read-only token, a missing permission or an outage becomes one clear
  note for the job summary; the verdict of the scan stands.
- **Bounded retries.** 5xx answers, connection errors and rate limits (403/429 with `Retry-After`
  or an exhausted `X-RateLimit-Remaining`) are retried at most `RetryPolicy.attempts` times,
  waiting at most `RetryPolicy.max_wait` seconds each; a longer rate-limit wait is not waited for.
  A write is retried as a unit with the lookup before it, so a comment whose POST landed but
  answered 502 is found and edited on the next attempt instead of posted twice.
- `GITHUB_API_URL` is honoured, so GitHub Enterprise Server (`https://HOST/api/v3`) works as is.

`authgate comment --report authgate-report.json` (gate/cli.py) posts the same comment and check run
from a JSON report: the second half of the fork-safe two-workflow pattern (README, "Forks");
`pr_from_workflow_run` finds its pull request.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import requests
from github import Auth, Github, GithubException
from github.Repository import Repository

from gate.publish.workflow import Event, Note
from gate.report import check_run
from gate.report.markdown import MARKER
from gate.verdict.result import ScanResult

_TARGET = re.compile(r"<!-- authgate:target ([\w./-]{1,200}) -->")
CHECK_NAME = "authgate / verdict"  # not a job's name (issue 16): the example's job is `authgate`
VIEWER = "query { viewer { login } }"
ACTIONS_BOT = "github-actions[bot]"  # who a GITHUB_TOKEN writes as: the last resort, said in the summary
DEFAULT_API_URL = "https://api.github.com"
COMMENT_LIMIT = 65536  # characters GitHub accepts in a comment body
ANNOTATIONS_PER_REQUEST = 50  # GitHub's limit per check-run create or update
MAX_COMMENTS_READ = 3000  # comments looked through for the marker (30 pages of 100)
FORKS_HELP = "see README, section Forks, for the two-workflow pattern that comments on fork pull requests"

T = TypeVar("T")


def _written_by(comment: Any, login: str) -> bool:
    """Whether `comment` was written by `login`: its author, or the GitHub App whose bot `login` is."""
    if comment.user is not None and comment.user.login == login:
        return True
    # The payload as listed; attribute access would fetch the comment again when the field is absent.
    app = (getattr(comment, "_rawData", None) or {}).get("performed_via_github_app")
    slug = app.get("slug") if isinstance(app, dict) else None
    return bool(slug) and login == f"{slug}[bot]"


class GitHubError(Exception):
    """A request GitHub refused or could not answer, after the retries: one line for the summary."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 4  # tries per request, the first included
    backoff: float = 2.0  # seconds before the second try, doubled each time
    max_wait: float = 60.0  # the longest single wait (Retry-After, rate-limit reset, backoff)
    write_interval: float = 1.0  # between two writes, as GitHub asks of integrations (secondary limits)


def _headers(exc: GithubException) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in (exc.headers or {}).items()}


def _message(exc: GithubException) -> str:
    data = exc.data
    text = data.get("message") if isinstance(data, dict) else None
    return " ".join(str(text or data or "").split())[:200]


def _rate_limited(exc: GithubException) -> bool:
    headers = _headers(exc)
    msg = _message(exc).lower()
    return exc.status == 429 or (
        exc.status == 403
        and ("retry-after" in headers or headers.get("x-ratelimit-remaining") == "0" or "rate limit" in msg)
    )


def retry_delay(exc: Exception, attempt: int, policy: RetryPolicy, now: float | None = None) -> float | None:
    """Seconds to wait before trying again, or None when the failure is not worth another try."""
    backoff = min(policy.backoff * (2**attempt), policy.max_wait)
    if isinstance(exc, requests.RequestException):  # connection refused or reset, timeout
        return backoff
    if not isinstance(exc, GithubException):
        return None
    if exc.status >= 500:
        return backoff
    if not _rate_limited(exc):
        return None
    headers = _headers(exc)
    wait: float | None = None
    if "retry-after" in headers:
        try:
            wait = float(headers["retry-after"])
        except ValueError:
            wait = None
    elif headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset", "").isdigit():
        wait = int(headers["x-ratelimit-reset"]) - (time.time() if now is None else now) + 1
    if wait is None:
        wait = backoff
    if wait > policy.max_wait:
        return None  # the limit resets too late for this job: say so instead of hanging
    return max(wait, 0.0)


def describe(exc: Exception) -> str:
    if isinstance(exc, GithubException):
        if _rate_limited(exc):
            reset = _headers(exc).get("x-ratelimit-reset", "")
            when = f"; it resets at {datetime.fromtimestamp(int(reset), UTC):%H:%M:%S} UTC" if reset.isdigit() else ""
            return f"GitHub's rate limit was reached (HTTP {exc.status}){when}"
        return f"HTTP {exc.status}: {_message(exc) or 'no message'}"
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"


def connect(token: str, api_url: str | None = None, timeout: int = 20, write_interval: float = 1.0) -> Github:
    """A client without PyGithub's own retries: `Publisher.call` is the one bounded retry loop."""
    return Github(
        auth=Auth.Token(token),
        base_url=(api_url or DEFAULT_API_URL).rstrip("/"),
        timeout=timeout,
        retry=None,
        per_page=100,
        user_agent="authgate",
        lazy=True,  # no GET of the repository or the issue before writing to them
        seconds_between_writes=write_interval,
    )


@dataclass(slots=True)
class Publisher:
    """Writes to one repository. Every API call goes through `call` (retries, one-line errors)."""

    gh: Github
    repository: str
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep
    _login: str | None = None
    app_bot: str = ""  # `<slug>[bot]` of the App that GitHub says created this run's check run
    assumed: bool = False  # GitHub did not say who the token is: the Actions bot was taken

    def call(self, what: str, fn: Callable[[], T]) -> T:
        for attempt in range(self.policy.attempts):
            try:
                return fn()
            except (GithubException, requests.RequestException) as exc:
                delay = retry_delay(exc, attempt, self.policy)
                if delay is None or attempt == self.policy.attempts - 1:
                    status = exc.status if isinstance(exc, GithubException) else None
                    tries = f" after {attempt + 1} tries" if attempt else ""
                    raise GitHubError(f"{what}: {describe(exc)}{tries}", status) from None
                self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    @property
    def repo(self) -> Repository:
        return self.gh.get_repo(self.repository)

    def _viewer(self) -> str:
        _, data = self.gh.requester.graphql_query(VIEWER, {})
        login = ((data.get("data") or {}).get("viewer") or {}).get("login")
        if not isinstance(login, str) or not login:
            raise GithubException(200, data, None)
        return login

    def own_login(self) -> str:
        """The login the token writes comments as, as GitHub says it: `GET /user` (a personal or
        fine-grained token), else GraphQL `viewer` (an Actions or App installation token, which
        `GET /user` refuses), else the App GitHub named as the creator of this run's check run. Only
        when none of them answers is it taken to be the Actions bot (`assumed`, and the summary says so)."""
        if self._login is None:
            self._login = ""
            for what, ask in (
                ("who am I (GET /user)", lambda: self.gh.get_user().login),
                ("who am I (GraphQL viewer)", self._viewer),
            ):
                try:
                    self._login = self.call(what, ask)
                    break
                except GitHubError as exc:
                    if exc.status is not None and exc.status >= 500:
                        raise
            self._login = self._login or self.app_bot
            if not self._login:
                self._login, self.assumed = ACTIONS_BOT, True
        return self._login

    def _upsert_once(self, pr: int, body: str, login: str) -> tuple[str, str]:
        issue = self.repo.get_issue(pr)
        key = comment_key(body)
        for existing in itertools.islice(issue.get_comments(), MAX_COMMENTS_READ):
            if _written_by(existing, login) and comment_key(existing.body or "") == key:
                existing.edit(body)  # even when unchanged: "edited" then says when the gate last ran
                return "updated", existing.html_url or existing.url
        created = issue.create_comment(body)
        return "created", created.html_url or created.url

    def upsert_comment(self, pr: int, body: str) -> tuple[str, str]:
        """Edit our marker comment on `pr`, or create it; returns ("created" | "updated", its URL)."""
        login = self.own_login()
        return self.call("PR comment", lambda: self._upsert_once(pr, body, login))

    def check_run(
        self, head_sha: str, conclusion: str, output: dict[str, Any], name: str = CHECK_NAME
    ) -> tuple[int, str]:
        """Create the completed check run with `output` (gate/report/check_run.py) and its first 50
        annotations, and append the rest in batches of 50 (each update must repeat the title and
        summary); returns (id, URL)."""
        annotations = output["annotations"]
        batches = [
            annotations[i : i + ANNOTATIONS_PER_REQUEST] for i in range(0, len(annotations), ANNOTATIONS_PER_REQUEST)
        ] or [[]]
        output = {"title": output["title"], "summary": output["summary"]}
        run = self.call(
            "check run",
            lambda: self.repo.create_check_run(
                name=name,
                head_sha=head_sha,
                status="completed",
                conclusion=conclusion,
                completed_at=datetime.now(UTC),
                output={**output, "annotations": batches[0]},
            ),
        )
        for batch in batches[1:]:
            self.call("check run annotations", lambda b=batch: run.edit(output={**output, "annotations": b}))
        app = (getattr(run, "_rawData", None) or {}).get("app")  # as created: no second request
        if isinstance(app, dict) and isinstance(app.get("slug"), str) and app["slug"]:
            self.app_bot = f"{app['slug']}[bot]"
        return run.id, run.html_url or run.url

    def find_pr(self, head_owner: str, head_branch: str, head_sha: str) -> int | None:
        """The open PR whose head is owner:branch at exactly `head_sha` (fork PRs are missing from a
        workflow_run event's `pull_requests`)."""

        def look() -> int | None:
            pulls = self.repo.get_pulls(state="open", head=f"{head_owner}:{head_branch}")
            for pull in itertools.islice(pulls, 100):
                if pull.head.sha == head_sha:
                    return int(pull.number)
            return None

        return self.call("find the pull request", look)


# ---- what is posted, made from a result ------------------------------------------------------------


def target_key(service: str) -> str | None:
    """What tells apart the comments of several services scanned in one workflow; None for the
    repository root. A name that is not a plain path (it may come from an untrusted report) is
    hashed, so it can never close the HTML comment it is written in."""
    name = service.strip().strip("/") or "."
    if name == ".":
        return None
    if re.fullmatch(r"[\w./-]{1,200}", name) and "--" not in name:
        return name
    return "sha256-" + hashlib.sha256(name.encode()).hexdigest()[:16]


def comment_key(body: str) -> tuple[bool, str | None]:
    """(has the marker, the target it names) of a comment body."""
    m = _TARGET.search(body)
    return MARKER in body, m.group(1) if m else None


def check_name(service: str) -> str:
    key = target_key(service)
    return CHECK_NAME if key is None else f"{CHECK_NAME} ({key})"


def comment_body(markdown: str, service: str = ".") -> str:
    """The marker (and the target) first, then the report; never above GitHub's comment limit."""
    rest = markdown.replace(MARKER, "", 1).lstrip("\n") if markdown.lstrip().startswith(MARKER) else markdown
    key = target_key(service)
    head = MARKER if key is None else f"{MARKER}\n<!-- authgate:target {key} -->"
    body = f"{head}\n{rest}"
    if len(body) <= COMMENT_LIMIT:
        return body
    tail = "\n\n_(shortened to GitHub's 65,536-character limit; the job summary and the JSON report have all of it)_"
    return body[: COMMENT_LIMIT - len(tail)] + tail


def conclusion(result: ScanResult, fail_on_error: bool = True) -> str:
    if result.verdict.verdict == "pass":
        return "success"
    if result.verdict.verdict == "fail":
        return "failure"
    return "failure" if fail_on_error else "neutral"


@dataclass(slots=True)
class Request:
    """Where and what to publish."""

    token: str
    api_url: str
    repository: str
    pr: int | None
    head_sha: str | None
    fork: bool = False
    comment: bool = True
    check_run: bool = True
    fail_on_error: bool = True


def publish(
    result: ScanResult,
    markdown: str,
    req: Request,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    comment: Callable[[str], str] | None = None,
) -> list[Note]:
    """Create the check run (its summary is `markdown`), then post the comment: `comment(check run
    URL or "")` when given (the short PR comment links to the check run), else `markdown`. Returns
    one note per outcome for the job summary, the warnings first (GitHub shows 10 per step)."""
    wants_comment = req.comment and req.pr is not None
    wants_check = req.check_run and bool(req.head_sha)
    if not (wants_comment or wants_check):
        return []
    skipped = "authgate did not comment or create a check run"
    if req.fork:
        return [
            Note(
                "This pull request comes from a fork, and GitHub gives its workflow a read-only token, so "
                f"{skipped}: this summary is the report. To comment on pull requests from forks too, "
                "see README, section Forks (a two-workflow pattern that never runs the fork's code with a "
                "write token).",
                "note",
            )
        ]
    if not req.token:
        return [Note(f"No `github-token` input, so {skipped}.", "warning")]
    if not req.repository:
        return [Note(f"`GITHUB_REPOSITORY` is not set, so {skipped}.", "warning")]
    policy = policy or RetryPolicy()
    pub = Publisher(
        connect(req.token, req.api_url, write_interval=policy.write_interval), req.repository, policy, sleep
    )
    notes: list[Note] = []
    check_url = ""
    if wants_check:
        assert req.head_sha is not None
        output = check_run.output(result, markdown)
        name = check_name(result.service)
        try:
            _, check_url = pub.check_run(req.head_sha, conclusion(result, req.fail_on_error), output, name)
            notes.append(
                Note(
                    f"check run `{name}` with {len(output['annotations'])} annotations: {check_url}", posted="check-run"
                )
            )
        except GitHubError as exc:
            notes.append(_refused("create the check run", "checks: write", exc))
        except Exception as exc:  # PyGithub met an answer it did not expect: a note, never a crash
            notes.append(Note(f"authgate could not create the check run: {describe(exc)}.", "warning"))
    if wants_comment:
        assert req.pr is not None
        body = comment_body(comment(check_url) if comment else markdown, result.service)
        try:
            action, url = pub.upsert_comment(req.pr, body)
            notes.append(Note(f"PR comment {action}: {url}", posted="comment"))
            if pub.assumed:
                notes.append(
                    Note(
                        "GitHub would not say which account the token is (GET /user and GraphQL viewer both "
                        f"refused), so authgate took its own comments to be those by {ACTIONS_BOT}, the account "
                        "a GITHUB_TOKEN writes as.",
                        "note",
                    )
                )
        except GitHubError as exc:
            notes.append(_refused("comment on the pull request", "pull-requests: write", exc))
        except Exception as exc:
            notes.append(Note(f"authgate could not comment on the pull request: {describe(exc)}.", "warning"))
    return sorted(notes, key=lambda n: n.kind == "info")  # warnings first: GitHub shows 10 per step


def _refused(what: str, permission: str, exc: GitHubError) -> Note:
    if exc.status in (401, 403, 404) and "rate limit" not in exc.message:
        return Note(
            f"authgate could not {what} ({exc.message}): the token is not allowed to. Give the job "
            f"`permissions: {permission}`. A pull request from a fork always gets a read-only token; {FORKS_HELP}.",
            "warning",
        )
    return Note(f"authgate could not {what}: {exc.message}.", "warning")


# ---- `authgate comment --report` (workflow_run: never runs the pull request's code) ----------------


def pr_from_workflow_run(event: Event, pub: Publisher | None) -> tuple[int | None, str | None]:
    """(pull request, head commit) a `workflow_run` event is about: from the payload's
    `pull_requests`, else by the head branch and commit (fork PRs are missing from that list)."""
    run = event.payload.get("workflow_run")
    if not isinstance(run, dict):
        return event.pr, event.head_sha
    head_sha = run.get("head_sha") if isinstance(run.get("head_sha"), str) else None
    for pull in run.get("pull_requests") or []:
        if not (isinstance(pull, dict) and isinstance(pull.get("number"), int)):
            continue
        head = pull.get("head") if isinstance(pull.get("head"), dict) else {}
        if head.get("sha") in (None, head_sha):  # the PR the scanned commit is the head of
            return pull["number"], head_sha
    head_repo = run.get("head_repository") if isinstance(run.get("head_repository"), dict) else {}
    owner = (head_repo.get("owner") or {}).get("login") if isinstance(head_repo.get("owner"), dict) else None
    branch = run.get("head_branch")
    if pub is not None and head_sha and isinstance(owner, str) and isinstance(branch, str):
        return pub.find_pr(owner, branch, head_sha), head_sha
    return None, head_sha
