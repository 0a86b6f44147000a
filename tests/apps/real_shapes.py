"""A service shaped like the public ones issue 14 met (tests/auth/test_real_shapes.py).

- its endpoint comes from its own variable (DYNAMO_URL), like a pynamodb `Meta.host` or
  `endpoint_url=os.environ[...]`: the config sets it to "{dynamodb_url}";
- user ids are UUIDs the service parses; the login answers `{"access_token": "bearer <jwt>"}`
  (fastapi-users);
- accounts carry an inverse flag, `disabled`, and (NOT OK) a disabled account still logs in;
- the login writes a session id into the user record, and every request compares it: restoring
  the tables to a seed taken before the logins would log everybody out.
"""

import hashlib
import os
import secrets
import time
import uuid

import boto3
import jwt
from boto3.dynamodb.conditions import Key
from fastapi import Depends, FastAPI, Header, HTTPException

app = FastAPI()
ddb = boto3.resource("dynamodb", endpoint_url=os.environ["DYNAMO_URL"])  # KeyError without it: no silent AWS
users = ddb.Table("users")
SECRET = os.environ["JWT_SECRET"]


def hash_password(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


def current_user(authorization: str = Header(default="")) -> dict:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer":
        raise HTTPException(401, "missing token")
    try:
        claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"require": ["exp", "sub", "sid"]})
    except jwt.PyJWTError:
        raise HTTPException(401, "invalid token") from None
    user = users.get_item(Key={"user_id": str(uuid.UUID(claims["sub"]))}).get("Item")
    if not user or user.get("session") != claims["sid"]:
        raise HTTPException(401, "session ended")
    return user


@app.get("/health")
def health() -> dict:
    return {"ok": True}


@app.post("/auth/login")
def login(body: dict) -> dict:
    rows = users.query(IndexName="by_email", KeyConditionExpression=Key("email").eq(str(body.get("email", ""))))
    user = (rows.get("Items") or [None])[0]
    if not user or user.get("password_hash") != hash_password(str(body.get("password", ""))):
        raise HTTPException(401, "invalid credentials")
    # NOT OK: account-state.disabled - `disabled: true` is never looked at
    sid = secrets.token_hex(8)
    users.update_item(
        Key={"user_id": user["user_id"]},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "session"},
        ExpressionAttributeValues={":s": sid},
    )
    claims = {"sub": user["user_id"], "sid": sid, "exp": int(time.time()) + 600}
    return {"access_token": "bearer " + jwt.encode(claims, SECRET, algorithm="HS256"), "token_type": "bearer"}


CALLER = Depends(current_user)


@app.get("/me")
def me(user: dict = CALLER) -> dict:
    return {"user_id": user["user_id"], "email": user["email"]}


@app.put("/me")
def rename(body: dict, user: dict = CALLER) -> dict:
    name = str(body.get("display_name") or "someone")[:80]
    users.update_item(
        Key={"user_id": user["user_id"]},
        UpdateExpression="SET display_name = :n",
        ExpressionAttributeValues={":n": name},
    )
    return {"display_name": name}
