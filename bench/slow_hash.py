"""The fixed example with bcrypt at cost 12 instead of Argon2id: the identities phase with a slow hash.

`variant()` copies examples/profiles-fastapi-fixed and replaces its passwords.py (the module the
config names in `auth.password_hash.callable`) with bcrypt, cost 12, verified in constant time
against a dummy hash. The scan then hashes 3 identities, 8 throwaway accounts and account-state's
changed password: `serial_seconds()` is what those 12 hashes cost one after the other, the figure
to compare with the identities phase (one hashing process, a thread per core: bcrypt releases the GIL).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HASHES = 12  # 3 identities + 8 throwaway accounts + the changed password of account-state
PASSWORDS = '''"""Password hashing of the benchmark's slow variant: bcrypt, cost 12."""

import bcrypt

DUMMY_HASH = bcrypt.hashpw(b"authgate-bench-dummy", bcrypt.gensalt(12)).decode()


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(12)).decode()


def verify_password(stored_hash: str | None, password: str) -> bool:
    ok = bcrypt.checkpw(password.encode(), (stored_hash or DUMMY_HASH).encode())
    return ok and stored_hash is not None
'''


def variant() -> Path:
    out = Path(tempfile.mkdtemp(prefix="authgate-bench-bcrypt-")) / "profiles-fastapi-bcrypt"
    shutil.copytree(ROOT / "examples/profiles-fastapi-fixed", out, ignore=shutil.ignore_patterns("__pycache__"))
    (out / "passwords.py").write_text(PASSWORDS)
    return out


def serial_seconds(where: Path) -> float:
    code = (
        "import time, passwords\n"
        f"t = time.perf_counter()\nfor i in range({HASHES}): passwords.hash_password(f'pw-{{i}}')\n"
        "print(time.perf_counter() - t)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=where, capture_output=True, text=True, check=True)
    return float(done.stdout.strip())
