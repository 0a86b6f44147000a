"""static.jwt-no-algorithms: `jwt.decode` without a fixed list of algorithms (CWE-347).

What it proves
  A token is verified without `algorithms=[...]`, or with the algorithm read from the token's own
  header (`jwt.get_unverified_header(token)["alg"]`). The token then chooses how it is checked:
  the classic confusions are alg "none" and an RS256 public key used as an HS256 secret. (PyJWT 2
  refuses a decode without algorithms at run time, so the call also breaks every request.)

Example finding
  MEDIUM static.jwt-no-algorithms auth.py:20 `claims = jwt.decode(token, SECRET)`.

Remediation
  Pass `algorithms=["HS256"]` (exactly the algorithm you issue) to every decode.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gate.checks.static.jwt_unverified import JWT_DECODE, disabled
from gate.checks.static.source import STATIC, Hit, SourceFile
from gate.findings import Severity
from gate.target.pysource import kwarg

META = STATIC.check(
    "static.jwt-no-algorithms",
    title="JWT decoded without pinned algorithms",
    description="jwt.decode does not fix the accepted algorithms, or takes them from the token.",
    severity=Severity.MEDIUM,
    cwe=("CWE-347",),
    owasp=("API2:2023",),
    remediation='Pass algorithms=["<the algorithm you issue>"] to every jwt.decode.',
)


def check(src: SourceFile) -> Iterator[Hit]:
    for node in ast.walk(src.tree):
        if not (isinstance(node, ast.Call) and src.qualname(node) in JWT_DECODE):
            continue
        if any(kw.arg is None for kw in node.keywords) or disabled(src, node):
            continue  # **kwargs hide the options; an unverified decode is static.jwt-unverified's finding
        algs = kwarg(node, "algorithms")
        if algs is None and len(node.args) < 3:
            yield src.hit(
                node, "jwt.decode without algorithms=[...]: the token picks its own algorithm", "no algorithms"
            )
        elif algs is not None and any(
            isinstance(s, ast.Call) and src.qualname(s).endswith("get_unverified_header") for s in ast.walk(algs)
        ):
            yield src.hit(node, "jwt.decode takes its algorithms from the token's own header", "algorithms from header")
