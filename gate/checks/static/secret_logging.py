"""static.secret-logged: credentials or tokens written to the logs (CWE-532).

What it proves
  A logging call (`logging.*`, `logger.*`, `app.logger.*`) or `print` is handed a credential: a
  name, attribute or key that is a password, token, secret, API key or cookie (`password`,
  `user.token`, `body["password"]`, `request.headers.get("Authorization")`), the whole
  `request.headers`, or a message like `"password=%s"` / `f"token={t}"`. Logs are kept long, read
  widely and shipped to third parties. Lengths and masked values (`len(token)`, `mask(key)`) are
  fine. The dynamic secrets-in-logs check proves it when the service runs.

Example finding
  MEDIUM static.secret-logged app.py:50 POST /login `app.logger.warning("bad login %s %s", email, password)`.

Remediation
  Log who and what (user id, route, outcome), never the credential; mask what must appear
  (the last four characters of a key).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from gate.checks.static.source import STATIC, Hit, SourceFile, sensitive_value
from gate.findings import Confidence, Severity

META = STATIC.check(
    "static.secret-logged",
    title="Credential written to the logs",
    description="A password, token, key or the request's headers are passed to a logging call or print.",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=("CWE-532",),
    remediation="Log identifiers and outcomes, never credentials; mask any value that must appear.",
)

LOG_METHODS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log"}
LOGGER = re.compile(r"log", re.I)
FORMAT_LEAK = re.compile(
    r"(pass(word|wd)?|pwd|token|secret|api[ _-]?key|authorization)\s*[:=]?\s*(%[sr]|\{[^}]*\})", re.I
)


def _is_log_call(src: SourceFile, call: ast.Call) -> bool:
    if isinstance(call.func, ast.Name):
        return call.func.id == "print"
    if isinstance(call.func, ast.Attribute) and call.func.attr in LOG_METHODS:
        receiver = src.qualname(call.func.value)
        return bool(LOGGER.search(receiver.split(".")[-1] if receiver else ""))
    return False


def _labelled(node: ast.AST) -> str | None:
    """An f-string that labels a value as a credential: `f"password={pw}"`."""
    if not isinstance(node, ast.JoinedStr):
        return None
    for before, after in zip(node.values, node.values[1:], strict=False):
        if isinstance(before, ast.Constant) and isinstance(after, ast.FormattedValue):
            m = FORMAT_LEAK.search(str(before.value) + "{}")
            if m and m.end() == len(str(before.value)) + 2:
                return m.group(1)
    return None


def check(src: SourceFile) -> Iterator[Hit]:
    for node in ast.walk(src.tree):
        if not (isinstance(node, ast.Call) and _is_log_call(src, node)):
            continue
        args = [*node.args, *(k.value for k in node.keywords if k.arg not in ("exc_info", "extra", "stacklevel"))]
        found = next((s for a in args if (s := sensitive_value(a) or _labelled(a))), None)
        if found is None and len(node.args) > 1 and isinstance(node.args[0], ast.Constant):
            m = FORMAT_LEAK.search(str(node.args[0].value))
            found = m.group(1) if m else None
        if found:
            yield src.hit(node, f"{ast.unparse(node.func)}(...) writes {found} to the log", f"logs {found}")
