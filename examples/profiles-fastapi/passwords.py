"""Password hashing of the vulnerable example (do not copy).

Kept apart from app.py so authgate can seed users with the service's own hashing
(`auth.password_hash.callable: passwords:hash_password`) without starting the app.
"""

import hashlib


def hash_password(password: str) -> str:
    # NOT OK: a fast, unsalted hash (SHA-256): one GPU guesses billions of these a second
    return hashlib.sha256(password.encode()).hexdigest()
