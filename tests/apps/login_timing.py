"""login timing lab: one answer for every failed login, but only existing accounts cost a hash.

NOT OK: enumeration.timing - an unknown address answers at once, an existing one after PBKDF2.
NOT OK: secrets-in-logs.password - the login body (with the password) is printed.
Run as a script it is the hashing command authgate calls: password on stdin, hash on stdout.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sys
import time

ITERATIONS = 150_000  # ~50 ms here: the difference the gate must see through the noise


def hash_password(password: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), ITERATIONS).hex()
    return f"pbkdf2${salt}${digest}"


if __name__ == "__main__":
    sys.stdout.write(hash_password(sys.stdin.read()))
    sys.exit(0)

import boto3  # noqa: E402
import jwt  # noqa: E402
from boto3.dynamodb.conditions import Key  # noqa: E402
from fastapi import FastAPI, Header, HTTPException  # noqa: E402

app = FastAPI(title="login timing lab")
users = boto3.resource("dynamodb").Table("users")
SECRET = os.environ["JWT_SECRET"]


@app.post("/auth/token")  # the same handler under another path (rate-limit follows auth.login.path)
@app.post("/login")
def login(body: dict):
    print(f"login attempt {body}")  # NOT OK: the password goes to the log
    rows = users.query(IndexName="by_email", KeyConditionExpression=Key("email").eq(str(body.get("email", ""))))
    user = (rows.get("Items") or [None])[0]
    # NOT OK: the same answer, but the hash only runs for an existing account
    if user is None:
        raise HTTPException(401, "invalid credentials")
    salt = str(user["password_hash"]).split("$")[1]
    if not hmac.compare_digest(hash_password(str(body.get("password", "")), salt), str(user["password_hash"])):
        raise HTTPException(401, "invalid credentials")
    now = int(time.time())
    return {"access_token": jwt.encode({"sub": user["user_id"], "exp": now + 600}, SECRET, algorithm="HS256")}


@app.get("/me")
def me(authorization: str = Header(default="")):
    try:
        claims = jwt.decode(authorization.removeprefix("Bearer "), SECRET, algorithms=["HS256"])
    except jwt.PyJWTError:
        raise HTTPException(401, "invalid token") from None
    return users.get_item(Key={"user_id": claims["sub"]}).get("Item") or {}
