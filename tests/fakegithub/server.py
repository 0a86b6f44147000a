"""A fake GitHub REST API on 127.0.0.1 that answers like GitHub and records every request.

It serves the endpoints the gate calls (GET /user, issue comments, check runs, pulls), builds its
answers from the examples in GitHub's REST description, paginates with `Link` headers, and
validates each request and each of its own answers against that description (`problems`); a request
the description does not allow answers 422, as GitHub does.

Knobs for the unhappy paths: `installation_token` (GET /user answers 403, as for an Actions
or App installation token; GraphQL `viewer` still names the token's `login`, unless `viewer` is
False), `app` (the `performed_via_github_app` of the comments it writes), `read_only` (every
write answers 403 "Resource not accessible by integration", as for a fork's token), `inject(...)`
(the next N matching requests get a given status: 502, a rate limit), `page_size` (force
pagination), `prefix="/api/v3"` (GitHub Enterprise Server).
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.fakegithub import description

FORBIDDEN = "Resource not accessible by integration"
DOCS = "https://docs.github.com/rest"


@dataclass(slots=True)
class Call:
    method: str
    path: str  # without the GHES prefix
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    status: int = 0
    request_problem: str | None = None
    response_problem: str | None = None
    injected: bool = False


@dataclass(slots=True)
class Injected:
    method: str
    path: re.Pattern[str]
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    times: int


@dataclass
class FakeGitHub:
    repo: str = "acme/svc"
    token: str = "ghs_fake_token"
    prefix: str = ""
    installation_token: bool = True  # an Actions token: GET /user answers 403
    login: str = "github-actions[bot]"  # who this token writes as
    viewer: bool = True  # GraphQL `viewer` answers with `login`
    app: str | None = None  # slug of the App in performed_via_github_app of the comments this token writes
    read_only: bool = False
    page_size: int = 100
    calls: list[Call] = field(default_factory=list)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    check_runs: dict[int, dict[str, Any]] = field(default_factory=dict)
    annotations: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    pulls: list[dict[str, Any]] = field(default_factory=list)
    _injected: list[Injected] = field(default_factory=list)
    _ids: int = 1000
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    # ---- life cycle ----
    def __enter__(self) -> FakeGitHub:
        description._loaded()  # load GitHub's description before the first request, once per session
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def host(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        """What GITHUB_API_URL is set to."""
        return self.host + self.prefix

    # ---- test helpers ----
    def inject(
        self,
        method: str,
        path: str,
        status: int,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` requests matching method and the path regex get this answer instead."""
        self._injected.append(
            Injected(
                method.upper(), re.compile(path), status, body or {"message": "Server Error"}, headers or {}, times
            )
        )

    def add_comment(self, issue: int, body: str, login: str, user_type: str = "User") -> dict[str, Any]:
        with self._lock:
            return self._new_comment(issue, body, login, user_type)

    def add_pull(self, number: int, owner: str, branch: str, sha: str) -> None:
        self.pulls.append({"number": number, "owner": owner, "branch": branch, "sha": sha})

    def requests(self, method: str | None = None, path: str | None = None) -> list[Call]:
        return [
            c
            for c in self.calls
            if (method is None or c.method == method) and (path is None or re.fullmatch(path, c.path))
        ]

    def problems(self) -> list[str]:
        """Requests GitHub's description rejects, and answers of ours it would not give."""
        out = []
        for c in self.calls:
            if c.request_problem:
                out.append(f"request {c.method} {c.path}: {c.request_problem}")
            if c.response_problem:
                out.append(f"answer to {c.method} {c.path} ({c.status}): {c.response_problem}")
        return out

    # ---- answers ----
    def _id(self) -> int:
        self._ids += 1
        return self._ids

    def _user(self, login: str, user_type: str) -> dict[str, Any]:
        user = description.example("issue-comment")["user"]
        api = self.url
        user.update(
            login=login,
            id=abs(hash(login)) % 10_000_000,
            type=user_type,
            url=f"{api}/users/{login}",
            html_url=f"https://github.test/{login}",
        )
        return user

    def _new_comment(self, issue: int, body: str, login: str, user_type: str) -> dict[str, Any]:
        cid = self._id()
        now = _now()
        comment = description.example("issue-comment")
        comment.update(
            id=cid,
            node_id=f"IC_{cid}",
            url=f"{self.url}/repos/{self.repo}/issues/comments/{cid}",
            html_url=f"https://github.test/{self.repo}/pull/{issue}#issuecomment-{cid}",
            issue_url=f"{self.url}/repos/{self.repo}/issues/{issue}",
            body=body,
            user=self._user(login, user_type),
            created_at=now,
            updated_at=now,
            author_association="NONE",
        )
        self.comments.setdefault(issue, []).append(comment)
        return comment

    def _check_run(self, data: dict[str, Any], run: dict[str, Any] | None = None) -> dict[str, Any]:
        if run is None:
            rid = self._id()
            run = description.example("check-run")
            run.update(
                id=rid,
                node_id=f"CR_{rid}",
                url=f"{self.url}/repos/{self.repo}/check-runs/{rid}",
                html_url=f"https://github.test/{self.repo}/runs/{rid}",
                pull_requests=[],
                external_id=data.get("external_id", ""),
                details_url=data.get("details_url") or "https://github.test/apps/github-actions",
            )
            if self.login.endswith("[bot]"):  # the App the token belongs to made the check run
                run["app"]["slug"] = self.login.removesuffix("[bot]")
            self.check_runs[rid] = run
            self.annotations[rid] = []
        rid = run["id"]
        for key in ("name", "head_sha", "status", "conclusion", "started_at", "completed_at"):
            if key in data:
                run[key] = data[key]
        out = data.get("output") or {}
        self.annotations[rid].extend(out.get("annotations") or [])
        run["output"] = {
            "title": out.get("title", run["output"].get("title")),
            "summary": out.get("summary", run["output"].get("summary")),
            "text": out.get("text"),
            "annotations_count": len(self.annotations[rid]),
            "annotations_url": f"{self.url}/repos/{self.repo}/check-runs/{rid}/annotations",
        }
        return run

    def _pull(self, p: dict[str, Any]) -> dict[str, Any]:
        pull = description.example("pull-request-simple-items")[0]
        pull.update(number=p["number"], url=f"{self.url}/repos/{self.repo}/pulls/{p['number']}")
        pull["requested_teams"] = []  # the description's own example lacks the team's required `type`
        pull["head"]["sha"] = p["sha"]
        pull["head"]["ref"] = p["branch"]
        pull["head"]["label"] = f"{p['owner']}:{p['branch']}"
        return pull

    def answer(self, call: Call) -> tuple[int, Any, dict[str, str]]:
        """(status, JSON body, extra headers) for one request, like GitHub."""
        for inj in self._injected:
            if inj.times > 0 and inj.method == call.method and inj.path.fullmatch(call.path):
                inj.times -= 1
                call.injected = True
                return inj.status, inj.body, inj.headers
        auth = call.headers.get("authorization", "")
        if auth not in (f"token {self.token}", f"Bearer {self.token}"):
            return 401, {"message": "Bad credentials", "documentation_url": DOCS, "status": "401"}, {}
        if call.path in ("/graphql", "/api/graphql") and call.method == "POST":  # a query: a read, whatever the token
            if self.viewer and "viewer" in str((call.body or {}).get("query", "")):
                return 200, {"data": {"viewer": {"login": self.login}}}, {}
            return 200, {"data": None, "errors": [{"message": "only `viewer` is served by this fake"}]}, {}
        write = call.method in ("POST", "PATCH", "PUT", "DELETE")
        if write and self.read_only:
            return 403, {"message": FORBIDDEN, "documentation_url": DOCS, "status": "403"}, {}
        if call.request_problem:  # GitHub refuses a request its description does not allow, after auth
            return 422, {"message": "Invalid request.", "documentation_url": DOCS, "status": "422"}, {}
        repo = re.escape(self.repo)
        p = call.path
        if p == "/user" and call.method == "GET":
            if self.installation_token:
                return 403, {"message": FORBIDDEN, "documentation_url": DOCS, "status": "403"}, {}
            user = description.example("private-user")
            # `user_view_type` is the description's discriminator between the private and public views.
            user.update(login=self.login, url=f"{self.url}/users/{self.login}", user_view_type="private")
            return 200, user, {}
        if m := re.fullmatch(rf"/repos/{repo}/issues/(\d+)/comments", p):
            issue = int(m[1])
            if call.method == "POST":
                comment = self._new_comment(issue, call.body["body"], self.login, "Bot")
                if self.app is not None:  # the check run example's App is a complete `integration`
                    app = description.example("check-run")["app"]
                    comment["performed_via_github_app"] = {**app, "slug": self.app, "name": self.app}
                return 201, comment, {}
            if call.method == "GET":
                return self._page(self.comments.get(issue, []), call, p)
        if m := re.fullmatch(rf"/repos/{repo}/issues/comments/(\d+)", p):
            for c in (c for cs in self.comments.values() for c in cs):
                if c["id"] == int(m[1]):
                    if call.method == "PATCH":
                        c.update(body=call.body["body"], updated_at=_now())
                    return 200, c, {}
        if p == f"/repos/{self.repo}/check-runs" and call.method == "POST":
            return 201, self._check_run(call.body), {}
        if (m := re.fullmatch(rf"/repos/{repo}/check-runs/(\d+)", p)) and int(m[1]) in self.check_runs:
            run = self.check_runs[int(m[1])]
            return 200, (self._check_run(call.body, run) if call.method == "PATCH" else run), {}
        if p == f"/repos/{self.repo}/pulls" and call.method == "GET":
            head = call.query.get("head")
            pulls = [x for x in self.pulls if head is None or f"{x['owner']}:{x['branch']}" == head]
            return self._page([self._pull(x) for x in pulls], call, p)
        return 404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"}, {}

    def _page(self, items: list[dict[str, Any]], call: Call, path: str) -> tuple[int, Any, dict[str, str]]:
        size = min(int(call.query.get("per_page", 30)), self.page_size, 100)
        page = int(call.query.get("page", 1))
        last = max(1, -(-len(items) // size))
        links = []
        base = f"{self.url}{path}?per_page={size}"
        if page < last:
            links.append(f'<{base}&page={page + 1}>; rel="next"')
            links.append(f'<{base}&page={last}>; rel="last"')
        headers = {"Link": ", ".join(links)} if links else {}
        return 200, items[(page - 1) * size : page * size], headers


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGitHub
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _handle(self) -> None:
        fake = self.fake
        split = urlsplit(self.path)
        path = split.path.rstrip("/") or "/"
        if fake.prefix and path.startswith(fake.prefix):
            path = path[len(fake.prefix) :] or "/"
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        call = Call(
            method=self.command,
            path=path,
            query=dict(parse_qsl(split.query)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        ctype = self.headers.get("Content-Type", "application/json").split(";")[0]
        graphql = path in ("/graphql", "/api/graphql")  # GraphQL: no REST description to validate against
        if not graphql:
            call.request_problem = description.validate_request(self.command, path, split.query, raw, ctype)
        with fake._lock:
            fake.calls.append(call)
            status, answer, headers = fake.answer(call)
        data = json.dumps(answer).encode()
        call.status = status
        if not (call.injected or graphql):
            call.response_problem = description.validate_response(
                self.command, path, split.query, raw, ctype, status, data
            )
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-GitHub-Request-Id", f"FAKE:{len(fake.calls)}")
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle
