"""static.hardcoded-jwt-secret: the key that signs or verifies JWTs is a literal (CWE-798).

What it proves
  The key given to `jwt.encode` / `jwt.decode` is a string literal: directly, through a module or
  class constant (`SECRET_KEY = "..."`), through `app.config["SECRET_KEY"] = "..."`, or as the
  default of `os.environ.get("JWT_SECRET", "...")`. Whoever reads the repository can mint a token
  for any user, admin included. `os.environ["JWT_SECRET"]` (no default) is not reported. The
  finding points at the line that holds the literal; the excerpt masks it.

Example finding
  HIGH static.hardcoded-jwt-secret app.py:9 `SECRET_KEY = "chan…"` (used by jwt.decode at line 31).

Remediation
  Read the key from the environment or a secret store with no fallback value, fail at start-up
  when it is missing, and rotate the key that was committed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gate.checks.static.source import STATIC, Hit, SourceFile, masked
from gate.findings import Severity
from gate.target.pysource import kwarg, str_const

META = STATIC.check(
    "static.hardcoded-jwt-secret",
    title="Hard-coded JWT signing key",
    description="jwt.encode/jwt.decode use a key that is written in the source.",
    severity=Severity.HIGH,
    cwe=("CWE-798",),
    owasp=("API2:2023",),
    remediation="Read the signing key from the environment or a secret store without a default, and rotate the "
    "committed key.",
)

JWT_CALLS = {"jwt.encode", "jwt.decode", "jose.jwt.encode", "jose.jwt.decode"}
# libraries that sign with a key they are handed: the class and the argument (fastapi-users, its JWT strategy)
KEY_TAKERS = {"JWTStrategy": "secret", "JWTAuthentication": "secret"}
# Flask-JWT-Extended signs with app.config["JWT_SECRET_KEY"] (else SECRET_KEY): the service never calls jwt itself
FLASK_JWT_KEYS = ("JWT_SECRET_KEY", "SECRET_KEY")


def _config_literals(src: SourceFile, key: str) -> list[tuple[str, ast.AST]]:
    """Literals assigned to `<x>.config[key]` or passed as `<x>.config.update(key=...)`."""
    out: list[tuple[str, ast.AST]] = []
    for node in ast.walk(src.tree):
        if isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Subscript) and str_const(t.slice) == key:
                    out += src.literals(node.value)
        elif isinstance(node, ast.Call) and src.qualname(node).endswith("config.update"):
            out += src.literals(kwarg(node, key))
    return out


def _key_literals(src: SourceFile, key: ast.AST) -> list[tuple[str, ast.AST]]:
    if isinstance(key, ast.Subscript) and str_const(key.slice) and not isinstance(key.value, ast.Call):
        base = src.qualname(key.value)
        if base.endswith("config"):
            return _config_literals(src, str_const(key.slice) or "")
        return []
    if isinstance(key, ast.Attribute) and key.attr in src.constants:  # settings.SECRET_KEY (class constant)
        return src.literals(src.constants[key.attr])
    return src.literals(key)


def _key_of(src: SourceFile, node: ast.Call) -> ast.AST | None:
    """The key argument of a call that signs or verifies JWTs, or None when it is not one."""
    name = src.qualname(node)
    if name in JWT_CALLS:
        return node.args[1] if len(node.args) > 1 else kwarg(node, "key")
    taker = KEY_TAKERS.get(name.rsplit(".", 1)[-1])
    if taker is not None:
        return node.args[0] if node.args else kwarg(node, taker)
    return None


def _flask_jwt(src: SourceFile, reported: set[int]) -> Iterator[Hit]:
    if not any(str(m).startswith("flask_jwt_extended") for m in src.imports.values()):
        return
    for key in FLASK_JWT_KEYS:
        found = [(v, h) for v, h in _config_literals(src, key) if v]
        for value, holder in found:
            reported.add(id(holder))
            yield src.hit(
                holder,
                f"Flask-JWT-Extended signs tokens with app.config[{key!r}], the hard-coded key {masked(value)!r}",
                f"config {key}",
                secret=value,
                line=getattr(holder, "lineno", 1),
            )
        if found:
            return


def check(src: SourceFile) -> Iterator[Hit]:
    reported: set[int] = set()
    yield from _flask_jwt(src, reported)
    for node in ast.walk(src.tree):
        key = _key_of(src, node) if isinstance(node, ast.Call) else None
        if key is None:
            continue
        for value, holder in _key_literals(src, key):
            if not value or id(holder) in reported:
                continue
            reported.add(id(holder))
            line = getattr(holder, "lineno", node.lineno)
            label = ast.unparse(key)[:60] if isinstance(key, ast.Name | ast.Attribute | ast.Subscript) else "inline"
            yield src.hit(
                holder,
                f"{src.qualname(node)} (line {node.lineno}) uses the hard-coded key {masked(value)!r}",
                f"key {label}",
                secret=value,
                line=line,
            )
