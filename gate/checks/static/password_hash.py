"""static.weak-password-hash: passwords hashed with a fast digest (CWE-916).

What it proves
  A password goes through `hashlib.md5/sha1/sha224/sha256/sha384/sha512/sha3_*/blake2*` or
  `hashlib.new(...)`: the argument, the variable the digest is stored in, or the function it sits
  in (`hash_password`, `verify_password`) names a password. Fast digests let a stolen table be
  cracked at billions of guesses per second, salted or not. `hashlib.pbkdf2_hmac`, `scrypt`,
  bcrypt and argon2 are not reported.

Example finding
  MEDIUM static.weak-password-hash app.py:48 `hashlib.md5(password.encode()).hexdigest()`.

Remediation
  Hash passwords with argon2id (argon2-cffi `PasswordHasher`), bcrypt or scrypt, and re-hash on
  the next successful login.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from gate.checks.static.source import STATIC, Hit, SourceFile, names_in
from gate.findings import Confidence, Severity

META = STATIC.check(
    "static.weak-password-hash",
    title="Password hashed with a fast digest",
    description="A password is hashed with MD5/SHA-1/SHA-2, which is fast to brute-force.",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=("CWE-916",),
    owasp=("API2:2023",),
    remediation="Use argon2id, bcrypt or scrypt for passwords (argon2-cffi PasswordHasher).",
)

FAST = re.compile(r"^hashlib\.(md5|sha1|sha224|sha256|sha384|sha512|sha3_\w+|blake2[bs]|new)$")
PASSWORD = re.compile(r"pass(word|wd|phrase)|^pwd?$|^pw_|_pw$", re.I)


def _about_password(src: SourceFile, call: ast.Call) -> bool:
    if any(PASSWORD.search(n) for a in [*call.args, *(k.value for k in call.keywords)] for n in names_in(a)):
        return True
    parent = src.parents.get(call)
    while isinstance(parent, ast.Attribute | ast.Call) and parent is not None:  # md5(...).hexdigest()
        parent = src.parents.get(parent)
    if isinstance(parent, ast.Assign | ast.AnnAssign):
        targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
        if any(PASSWORD.search(n) for t in targets for n in names_in(t)):
            return True
    fn = src.enclosing(call)
    return fn is not None and bool(PASSWORD.search(fn.name))


def check(src: SourceFile) -> Iterator[Hit]:
    for node in ast.walk(src.tree):
        if isinstance(node, ast.Call):
            q = src.qualname(node)
            if FAST.match(q) and _about_password(src, node):
                algo = q.split(".")[-1]
                if algo == "new" and node.args:
                    algo = ast.unparse(node.args[0]).strip("'\"")
                yield src.hit(node, f"a password is hashed with {algo}, a fast digest", f"{algo}")
