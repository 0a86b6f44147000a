"""Password hashing of the fixed example: Argon2id, verified in constant time, with a dummy hash.

Kept apart from app.py so authgate can seed users with the service's own hashing
(`auth.password_hash.callable: passwords:hash_password`) without starting the app.
"""

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# OK: Argon2id with the OWASP Password Storage Cheat Sheet's minimum (19 MiB, 2 passes, 1 lane)
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
# OK: an unknown account is verified against this, so it costs the same time as a known one
DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(24))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Constant work whether or not the account exists (argon2 compares in constant time)."""
    try:
        return _hasher.verify(stored_hash or DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False
