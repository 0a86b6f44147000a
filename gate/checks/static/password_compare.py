"""static.password-compare: a password hash, token or key compared with `==` (CWE-208).

What it proves
  A credential (a password or its hash, a token, an API key, a signature or digest) is compared
  with `==` / `!=`. Python's string comparison stops at the first differing byte, so the time it
  takes tells an attacker how much of a guess was right. Comparisons with a literal (`token ==
  ""`, `scheme != "bearer"`) or with `None` are not reported, nor two values the caller sent
  (`password != password_confirmation`): no secret is timed when neither side is stored.

Example finding
  LOW static.password-compare app.py:52 `if user["password_hash"] != md5(password)`.

Remediation
  Compare with `hmac.compare_digest(a, b)`, or better let the password library verify
  (`PasswordHasher().verify(stored, password)`), which is constant-time.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from gate.checks.static.source import BENIGN_SUFFIX, STATIC, Hit, SourceFile, names_in
from gate.findings import Confidence, Severity
from gate.target.pysource import call_name

META = STATIC.check(
    "static.password-compare",
    title="Credential compared in non-constant time",
    description="A password hash, token or key is compared with == instead of hmac.compare_digest.",
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    cwe=("CWE-208",),
    owasp=("API2:2023",),
    remediation="Use hmac.compare_digest (or the password library's verify) to compare credentials.",
)

# Anywhere in a name, or (hash, digest, signature...) as its last word: `pw_hash`, `expected_signature`.
CREDENTIAL = re.compile(
    r"pass(word|wd)|secrets?($|_)|tokens?($|_)|api_?key|(^|_)(pwd?|hash|digest|hexdigest|signature|sig|hmac|otp|pin)$",
    re.I,
)
# a side that holds what the service keeps (a stored hash, a key, the expected signature), not what the caller sent
_STORED = re.compile(
    r"hash|digest|sig|hmac|token|secret|key|stored|saved|expected|db|user|record|item|account|row", re.I
)
_NOT_SECRET_CALLS = {"len", "type", "bool", "isinstance", "int", "count"}  # len(token) == 0 leaks nothing


def _credential(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) or (isinstance(node, ast.Call) and call_name(node) in _NOT_SECRET_CALLS):
        return None
    for name in names_in(node):
        if CREDENTIAL.search(name) and not BENIGN_SUFFIX.search(name) and not name.startswith("hashlib"):
            return name
    return None


def check(src: SourceFile) -> Iterator[Hit]:
    for node in ast.walk(src.tree):
        if not (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq | ast.NotEq)):
            continue
        left, right = node.left, node.comparators[0]
        if isinstance(left, ast.Constant) or isinstance(right, ast.Constant):
            continue
        name = _credential(left) or _credential(right)
        if name and not any(_STORED.search(n) for side in (left, right) for n in names_in(side)):
            continue  # both sides are the caller's own input (a password and its confirmation)
        if name and not any(isinstance(x, ast.Call) and call_name(x) in _NOT_SECRET_CALLS for x in (left, right)):
            yield src.hit(
                node,
                f"{name} is compared with {'==' if isinstance(node.ops[0], ast.Eq) else '!='}: "
                "the comparison time leaks how much matched",
                ast.unparse(node)[:80],
            )
