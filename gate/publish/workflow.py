"""The runner's side of a GitHub Actions step: inputs, the event, outputs, the job summary, commands.

Everything here talks to the runner through files and stdout, never the network:
- inputs arrive as `INPUT_<NAME>` with the name upper-cased and hyphens kept (`INPUT_GITHUB-TOKEN`);
- the event payload is the JSON file at `GITHUB_EVENT_PATH`; on `pull_request` the commit to
  annotate is the PR head (`pull_request.head.sha`), not `GITHUB_SHA`, which is the merge commit;
- `$GITHUB_OUTPUT` and `$GITHUB_STEP_SUMMARY` are files the step appends to;
- workflow commands (`::error file=...::message`) are stdout lines. GitHub shows at most 10 error,
  10 warning and 10 notice annotations of one step (50 per job), so `limit_annotations` keeps the
  most severe first and counts what it left out; the check run and SARIF carry all of them.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

ANNOTATION_LEVELS = ("error", "warning", "notice")  # most severe first
ANNOTATIONS_PER_LEVEL = 10  # what GitHub shows of one step, per level
SUMMARY_LIMIT = 1024 * 1024  # GitHub rejects a step summary above 1 MiB
_TRUE = {"true", "True", "TRUE"}  # the YAML 1.2 booleans, as @actions/core getBooleanInput reads them
_FALSE = {"false", "False", "FALSE"}


class InputError(Exception):
    """An input the workflow gave that cannot be used: one clear line for the user."""


def input_value(name: str, env: Mapping[str, str] | None = None, default: str = "") -> str:
    """`INPUT_<NAME>` as the runner sets it (hyphens kept); the underscore spelling is accepted too,
    for a person running the image by hand, since shells cannot export a name with a hyphen."""
    env = os.environ if env is None else env
    key = "INPUT_" + name.replace(" ", "_").upper()
    value = env.get(key)
    if value is None:
        value = env.get(key.replace("-", "_"))
    value = (value or "").strip()
    return value or default


def input_bool(name: str, env: Mapping[str, str] | None = None, default: bool = False) -> bool:
    value = input_value(name, env)
    if not value:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InputError(f"input {name}: expected true or false, got {value!r}")


@dataclass(frozen=True, slots=True)
class Event:
    """What the gate needs of the event that started the workflow."""

    name: str
    repository: str  # owner/name of the repository the workflow runs in
    pr: int | None  # the pull request's number, when there is one in the payload
    head_sha: str | None  # the commit to annotate (PR head; GITHUB_SHA otherwise)
    fork: bool  # the PR's head lives in another repository: its token is read-only
    payload: dict[str, Any]


def _full_name(repo: Any) -> str | None:
    return repo.get("full_name") if isinstance(repo, dict) else None


def load_event(env: Mapping[str, str] | None = None) -> Event:
    env = os.environ if env is None else env
    payload: dict[str, Any] = {}
    path = env.get("GITHUB_EVENT_PATH")
    if path:
        try:
            loaded = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"GITHUB_EVENT_PATH: cannot read the event payload: {exc}") from None
        if isinstance(loaded, dict):
            payload = loaded
    name = env.get("GITHUB_EVENT_NAME", "")
    repository = env.get("GITHUB_REPOSITORY", "") or _full_name(payload.get("repository")) or ""
    pr: int | None = None
    head_sha = env.get("GITHUB_SHA") or None
    fork = False
    pull = payload.get("pull_request")
    if isinstance(pull, dict):
        number = pull.get("number", payload.get("number"))
        pr = number if isinstance(number, int) and not isinstance(number, bool) else None
        head = pull.get("head") if isinstance(pull.get("head"), dict) else {}
        base = pull.get("base") if isinstance(pull.get("base"), dict) else {}
        head_sha = head.get("sha") or head_sha
        if "repo" in head:  # a deleted fork's head repo is null: treat it as a fork
            head_repo = _full_name(head.get("repo"))
            base_repo = _full_name(base.get("repo")) or repository
            fork = head_repo is None or head_repo.lower() != base_repo.lower()
    return Event(name=name, repository=repository, pr=pr, head_sha=head_sha, fork=fork, payload=payload)


def _delimiter(value: str) -> str:
    while True:
        token = f"authgate_{secrets.token_hex(8)}"
        if token not in value:
            return token


def write_outputs(values: Mapping[str, str], env: Mapping[str, str] | None = None) -> None:
    """Append step outputs to $GITHUB_OUTPUT (heredoc form: a value can never smuggle in another)."""
    env = os.environ if env is None else env
    path = env.get("GITHUB_OUTPUT")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as fh:
        for key, value in values.items():
            delim = _delimiter(value)
            fh.write(f"{key}<<{delim}\n{value}\n{delim}\n")


def write_summary(markdown: str, env: Mapping[str, str] | None = None) -> None:
    """Append to the job summary, kept under GitHub's 1 MiB limit."""
    env = os.environ if env is None else env
    path = env.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    data = markdown.encode("utf-8")
    if len(data) > SUMMARY_LIMIT:
        tail = "\n\n_(summary shortened to GitHub's 1 MiB limit; the JSON report has everything)_\n"
        data = data[: SUMMARY_LIMIT - len(tail.encode())].decode("utf-8", "ignore").encode() + tail.encode()
    with open(path, "ab") as fh:
        fh.write(data)


@dataclass(frozen=True, slots=True)
class Note:
    """One line about this run for the job summary: "warning" and "note" go above the report (a
    GitHub alert), "info" (where the comment and check run are) below it."""

    text: str
    kind: str = "info"  # info | note | warning
    posted: str = ""  # what this note says was posted: "check-run", "comment" (else nothing was)


def summary_with_notes(markdown: str, notes: list[Note]) -> str:
    top = "".join(f"> [!{n.kind.upper()}]\n> {n.text}\n\n" for n in notes if n.kind != "info")
    bottom = "".join(f"- {n.text}\n" for n in notes if n.kind == "info")
    return top + markdown + (f"\n\n---\n\n{bottom}" if bottom else "")


def annotation_level(line: str) -> str | None:
    for level in ANNOTATION_LEVELS:
        if line.startswith((f"::{level} ", f"::{level}::")):
            return level
    return None


def limit_annotations(
    text: str, per_level: int = ANNOTATIONS_PER_LEVEL, used: Mapping[str, int] | None = None
) -> tuple[list[str], dict[str, int]]:
    """Keep at most `per_level` annotations of each level, errors first, in the given order (the
    reporter lists findings most severe first), less the `used` ones the step already printed (its
    own warnings, which come first so that they are seen); returns the lines kept and how many of
    each level were left out. Lines that are not annotations are dropped: the step prints only
    annotations."""
    by_level: dict[str, list[str]] = {level: [] for level in ANNOTATION_LEVELS}
    for line in text.splitlines():
        level = annotation_level(line)
        if level is not None:
            by_level[level].append(line)
    room = {level: max(per_level - (used or {}).get(level, 0), 0) for level in ANNOTATION_LEVELS}
    kept = [line for level in ANNOTATION_LEVELS for line in by_level[level][: room[level]]]
    dropped = {level: len(lines) - room[level] for level, lines in by_level.items() if len(lines) > room[level]}
    return kept, dropped


@contextlib.contextmanager
def commands_paused(stream: TextIO | None = None) -> Iterator[None]:
    """Stop the runner from acting on workflow commands while the service under test runs: nothing
    it says, however it reaches the log, can set an output, an annotation or a mask
    (`::stop-commands::<token>`; the token is random, so the service cannot resume them)."""
    out = stream or sys.stdout
    token = secrets.token_hex(16)
    print(f"::stop-commands::{token}", file=out, flush=True)
    try:
        yield
    finally:
        sys.stderr.flush()
        print(f"::{token}::", file=out, flush=True)
