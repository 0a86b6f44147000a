"""static.hardcoded-aws-key: AWS access keys or secret keys written into the source (CWE-798).

What it proves
  A string literal in the service's code is an AWS access key id (`AKIA...` long-term,
  `ASIA...` temporary), or a secret access key / session token is given as a literal: to
  `aws_secret_access_key=` / `aws_session_token=`, to a name or mapping key such as
  `AWS_SECRET_ACCESS_KEY`, or as the default of `os.environ.get(...)`. Anyone who can read the
  repository can use the key. Short placeholders ("fake", "test") are not reported; evidence
  excerpts mask the key.

Example finding
  HIGH static.hardcoded-aws-key settings.py:3 `AWS_SECRET_ACCESS_KEY = "wJal…"`.

Remediation
  Delete the key from the code and its history, rotate it in IAM, and let boto3 find credentials
  itself (environment, instance or task role, SSO profile).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from gate.checks.static.source import STATIC, Hit, SourceFile, masked
from gate.findings import Severity
from gate.target.pysource import str_const

META = STATIC.check(
    "static.hardcoded-aws-key",
    title="Hard-coded AWS credentials",
    description="An AWS access key id or secret access key is a literal in the source.",
    severity=Severity.HIGH,
    cwe=("CWE-798",),
    remediation="Remove the key from the code, rotate it, and let boto3 take credentials from the environment "
    "or an IAM role.",
)

ACCESS_KEY = re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")
_SECRET_NAME = re.compile(r"secret_?access_?key|session_?token|aws_?secret", re.I)
MIN_SECRET = 16  # AWS secret keys are 40 characters; shorter literals are local-only placeholders


def _secret_literals(src: SourceFile, node: ast.AST | None) -> list[str]:
    return [v for v, _ in src.literals(node) if len(v) >= MIN_SECRET and " " not in v]


def check(src: SourceFile) -> Iterator[Hit]:
    for node in ast.walk(src.tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            for m in ACCESS_KEY.finditer(node.value):
                yield src.hit(
                    node,
                    f"AWS access key id {masked(m.group())} is written in the source",
                    f"access key {masked(m.group())}",
                    secret=m.group(),
                )
        named: list[tuple[str, ast.AST, ast.AST]] = []  # (name, value, where)
        if isinstance(node, ast.Call):
            named += [(kw.arg, kw.value, kw) for kw in node.keywords if kw.arg]
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                name = t.id if isinstance(t, ast.Name) else t.attr if isinstance(t, ast.Attribute) else None
                name = name or (str_const(t.slice) if isinstance(t, ast.Subscript) else None)
                if name:
                    named.append((name, node.value, node))
        elif isinstance(node, ast.Dict):
            named += [
                (k.value, v, k)
                for k, v in zip(node.keys, node.values, strict=True)
                if isinstance(k, ast.Constant) and isinstance(k.value, str)
            ]
        for name, value, where in named:
            if not _SECRET_NAME.search(name):
                continue
            for secret in _secret_literals(src, value):
                yield src.hit(
                    where, f"{name} is the literal {masked(secret)}", f"{name} {masked(secret)}", secret=secret
                )
