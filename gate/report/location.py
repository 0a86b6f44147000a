"""Where a finding is, as GitHub wants it: a path relative to the repository root.

Findings carry `file` relative to the scanned service directory; the report keeps that directory
as given on the command line, which in CI is relative to the repository root (the working
directory). A finding whose handler was not located points at the service's config file, line 1,
and says so: GitHub needs a location for every SARIF result and annotation.

`Links` turns a location into a link to the file at the pull request's head commit; `handlers`
groups findings by the handler they are in, which is how the PR comment lists them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from gate.findings import Finding, Severity
from gate.verdict.result import ScanResult


@dataclass(frozen=True, slots=True)
class Location:
    path: str  # POSIX, relative to the repository root when it can be; absolute otherwise
    line: int
    located: bool  # False: the handler was not found; `path` is the config file

    @property
    def relative(self) -> bool:
        return not PurePosixPath(self.path).is_absolute()


def repo_path(service: str, file: str, cwd: Path | None = None) -> str:
    """`file` (relative to `service`) as a normalised POSIX path relative to `cwd` when inside it."""
    base = (cwd or Path.cwd()).resolve()
    joined = Path(file) if Path(file).is_absolute() else Path(service) / file
    if joined.is_absolute():
        try:
            joined = joined.resolve().relative_to(base)
        except ValueError:
            return joined.resolve().as_posix()
    norm = os.path.normpath(joined.as_posix()).replace(os.sep, "/")
    return norm if not norm.startswith("../") else (base / norm).resolve().as_posix()


def locate(result: ScanResult, f: Finding, cwd: Path | None = None) -> Location:
    if f.file:
        return Location(repo_path(result.service, f.file, cwd), f.line or 1, True)
    return Location(repo_path(result.service, result.config, cwd), 1, False)


UNLOCATED = "the handler was not located in the source, so this points at the service's config file"


_SHA = re.compile(r"^[0-9a-f]{7,64}$")
_REPO = re.compile(r"^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$")
_SERVER = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d+)?(/[A-Za-z0-9._~/-]*)?$")


@dataclass(frozen=True, slots=True)
class Links:
    """Where a posted report links to (issue 16): each handler's file at the pull request's head commit
    (never GITHUB_SHA, the merge commit), the workflow run (its job summary and the report artifact)
    and the check run. Values come from the event and the runner's environment: anything that does not
    look like what GitHub sends is dropped, so no link is ever built from it."""

    server: str = ""  # https://github.com, or a GitHub Enterprise Server
    repository: str = ""  # owner/name
    sha: str = ""  # the head commit
    run: str = ""  # the workflow run's page
    check_run: str = ""  # the check run's page, once created

    @classmethod
    def make(cls, server: str, repository: str, sha: str | None, run_id: str | None = None) -> Links:
        server = server.rstrip("/") if _SERVER.match(server or "") else ""
        repository = repository if _REPO.match(repository or "") else ""
        sha = (sha or "").lower() if _SHA.match((sha or "").lower()) else ""
        run = (
            f"{server}/{repository}/actions/runs/{run_id}" if server and repository and (run_id or "").isdigit() else ""
        )
        return cls(server=server, repository=repository, sha=sha, run=run)

    def blob(self, loc: Location) -> str | None:
        """The URL of `loc` at the head commit, or None (no repository known, a path outside it)."""
        if not (self.server and self.repository and self.sha and loc.relative) or loc.path.startswith("../"):
            return None
        return f"{self.server}/{self.repository}/blob/{self.sha}/{quote(loc.path)}#L{max(loc.line, 1)}"


@dataclass(frozen=True, slots=True)
class Handler:
    """The findings of one handler (one operation, or one place in the source for a finding without
    an operation): one root cause a reviewer fixes in one place."""

    operation: str  # `POST /login`, or "" for a source finding outside any handler
    location: Location  # the handler's line (a static finding inside it may point at its own line)
    findings: tuple[Finding, ...]  # most severe first

    @property
    def severity(self) -> Severity:
        return self.findings[0].severity


def _handler_line(result: ScanResult, fs: list[Finding], cwd: Path | None) -> Location:
    # A dynamic finding points at the handler; a static one at the offending statement inside it.
    dynamic = [f for f in fs if f.family != "static" and f.file]
    pool = dynamic or [f for f in fs if f.file] or fs
    return min((locate(result, f, cwd) for f in pool), key=lambda loc: (not loc.located, loc.path, loc.line))


def handlers(result: ScanResult, findings: list[Finding], cwd: Path | None = None) -> list[Handler]:
    """`findings` grouped by handler, the groups most severe first (then the most findings)."""
    groups: dict[tuple[str, str, int], list[Finding]] = {}
    for f in sorted(findings, key=Finding.sort_key):
        loc = locate(result, f, cwd)
        key = (f.operation, "", 0) if f.operation else ("", loc.path, loc.line)
        groups.setdefault(key, []).append(f)
    out = [Handler(op, _handler_line(result, fs, cwd), tuple(fs)) for (op, _, _), fs in groups.items()]
    return sorted(out, key=lambda h: (-h.severity, -len(h.findings), h.location.path, h.location.line, h.operation))
