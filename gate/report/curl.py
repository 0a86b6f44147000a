"""The `curl` command that replays a finding's proving request against a local run of the service.

    curl -i -X DELETE "${AUTHGATE_URL:-127.0.0.1:8000}"'/users/bob/posts/p-bob-1' \\
      -H 'Authorization: Bearer '"$ALICE_TOKEN"

Credentials never appear: a value the evidence redacted (`…[redacted]`: a token, a password, a
cookie) becomes a shell variable named after the identity (`$ALICE_TOKEN`, `$ALICE_PASSWORD`), so
the command is safe to post and to paste once those are set. Everything else is taken as the gate
sent it and single-quoted, so nothing the service put in a path, a header or a body is expanded or
run by the shell (`$(...)`, backticks, `;`); only our own variables are spliced in, outside quotes.
`AUTHGATE_URL` says where the service listens (default `127.0.0.1:8000`; curl takes http when a URL
has no scheme, which also keeps `://` out of the command, a sequence the PR comment's escaping breaks).

Static findings have no request: `None`.
"""

from __future__ import annotations

import re
from typing import Any

from gate.findings import Finding

BASE = '"${AUTHGATE_URL:-127.0.0.1:8000}"'  # curl's default scheme is http; no `://` to break
REDACTED = "…[redacted]"
# A redacted value keeps a few leading characters (`eyJhbGciOiJI…[redacted]`): they go too.
_PARTIAL = re.compile(r"[^\s=;:\"',]*…\[redacted\]")
_SKIP = {"content-length", "host", "user-agent", "accept-encoding", "connection"}


def quote(s: str) -> str:
    """`s` as one single-quoted shell word: the shell expands nothing in it."""
    return "'" + s.replace("'", "'\\''") + "'"


def variable(identity: str | None, what: str) -> str:
    """`ALICE_TOKEN`: a shell variable name for one identity's secret."""
    name = re.sub(r"[^A-Za-z0-9]+", "_", identity or "").strip("_").upper()
    return f"{name}_{what}" if name and name != "ANONYMOUS" else what


def _word(value: str, var: str) -> str:
    """A shell word for `value`, each redacted part of it replaced by `"$var"`."""
    parts = _PARTIAL.sub(REDACTED, value).split(REDACTED)
    out = quote(parts[0]) if parts[0] else ""
    for part in parts[1:]:
        out += f'"${var}"' + (quote(part) if part else "")
    return out or "''"


def _header(name: str, value: str, identity: str | None) -> str:
    what = "COOKIE" if name.lower() == "cookie" else "TOKEN"
    return _word(f"{name}: {value}", variable(identity, what))


def command(request: dict[str, Any] | None) -> str | None:
    """The curl command for one recorded request, or None without one."""
    if not request or not request.get("path"):
        return None
    method = str(request.get("method") or "GET").upper()
    path = str(request["path"])
    identity = request.get("identity")
    lines = [f"curl -i -X {quote(method) if not method.isalpha() else method} {BASE}{quote(path)}"]
    for name, value in (request.get("headers") or {}).items():
        if str(name).lower() not in _SKIP:
            lines.append(f"-H {_header(str(name), str(value), identity)}")
    body = request.get("body")
    if body:
        lines.append(f"--data-raw {_word(str(body), variable(identity, 'PASSWORD'))}")
    return " \\\n  ".join(lines)


def reproduce(f: Finding) -> str | None:
    """The command replaying the request that proves `f` (None for a static finding)."""
    return command(f.evidence.request)
